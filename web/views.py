from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults
from rest_framework.exceptions import NotFound

from web import home


@login_required
def home_view(request):
    return render(
        request,
        "web/home.html",
        {"title": home.home_title(request.user), "blocks": home.home_blocks_for(request.user)},
    )


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
