"""`next` sends people back within the CRM only: a crafted form never redirects to another site."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from activities import services as activity_services
from crm.http import safe_next
from tests.factories import make_client

EVIL = "https://evil.example/phish"


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/deals/5/", "/deals/5/"),
        (EVIL, "/fallback/"),
        ("//evil.example/x", "/fallback/"),
        ("javascript:alert(1)", "/fallback/"),
        ("", "/fallback/"),
    ],
)
def test_safe_next_keeps_only_this_sites_paths(target, expected):
    request = RequestFactory().post("/x/", {"next": target})
    assert safe_next(request, "/fallback/") == expected


def test_closing_an_activity_never_redirects_off_site(web, manager_msk):
    client = make_client(manager=manager_msk)
    call = activity_services.activity_plan(
        by=manager_msk, kind="call", planned_at=timezone.now() + timedelta(hours=2), client=client
    )
    web.force_login(manager_msk)
    response = web.post(f"/activities/{call.pk}/done/", {"result": "Поговорили", "next": EVIL})
    assert response.status_code == 302
    assert response["Location"] == "/my-day/"


@pytest.mark.parametrize("action", ["reanimate", "to-pool"])
def test_pool_actions_never_redirect_off_site(web, head_msk, manager_msk, action):
    client = make_client(manager=manager_msk)
    client.status = "abandoned"
    client.save(update_fields=["status"])
    web.force_login(head_msk)
    response = web.post(f"/clients/{client.pk}/{action}/", {"next": EVIL, "manager": manager_msk.pk, "reason": "тест"})
    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil")
