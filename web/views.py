from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults
from rest_framework.exceptions import NotFound

from web import home, search


@login_required
def home_view(request):
    return render(
        request,
        "web/home.html",
        {"title": home.home_title(request.user), "blocks": home.home_blocks_for(request.user)},
    )


@login_required
def search_view(request):
    """«Все результаты» of the header box: up to 20 clients, deals and leads."""
    q = request.GET.get("q", "")
    return render(request, "web/search.html", {"q": q, "results": search.search(request.user, q)})


@login_required
def search_box_view(request):
    """The header box's dropdown, asked by htmx as the user types."""
    q = request.GET.get("q", "")
    results = search.search(request.user, q, limit=search.BOX_PER_TYPE)
    return render(request, "web/_search_box_results.html", {"q": q, "results": results})


def not_found(request, exception):
    """The site's 404; under /api/ it is JSON like every other API answer.

    An address no API route matches (`/api/v1/deals/-1/`, `/api/v1/deals/abc/`)
    never reaches DRF, so without this a token client got the HTML page.
    """
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": str(NotFound.default_detail)}, status=404, json_dumps_params={"ensure_ascii": False}
        )
    return defaults.page_not_found(request, exception)
