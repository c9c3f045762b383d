from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from web import home


@login_required
def home_view(request):
    return render(
        request,
        "web/home.html",
        {"title": home.home_title(request.user), "blocks": home.home_blocks_for(request.user)},
    )
