"""Calendars, the booking grid and meetings with absurd dates: a Russian message or a 400, never a 500,
and nothing stored. A meeting is booked at most a year ahead."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from tests.conftest import token_client
from tests.factories import make_client

EXTREMES = ["9999-12-31", "0001-01-01"]


@pytest.fixture
def page(web):
    web.raise_request_exception = False  # a 500 must come back as a response here
    return web


@pytest.mark.parametrize("value", EXTREMES)
@pytest.mark.parametrize("view", ["day", "week"])
def test_calendar_pages_with_extreme_dates_say_so(page, manager_msk, value, view):
    page.force_login(manager_msk)
    response = page.get(reverse("activities:calendar_of", args=[manager_msk.pk]), {"date": value, "view": view})
    assert response.status_code == 400
    assert "Период — даты с 01.01.2000 по 31.12.2100. Показан сегодняшний день." in response.content.decode()
    assert response.context["day"] == timezone.localdate()


@pytest.mark.parametrize("value", EXTREMES)
def test_calendar_redirect_keeps_the_date_and_the_page_says_so(page, manager_msk, value):
    page.force_login(manager_msk)
    response = page.get(reverse("activities:calendar"), {"owner": manager_msk.pk, "date": value}, follow=True)
    assert response.status_code == 400


@pytest.mark.parametrize("value", EXTREMES)
def test_booking_grid_with_extreme_dates_says_so(page, call_centre, manager_msk, msk, value):
    page.force_login(call_centre)
    response = page.get(reverse("activities:booking"), {"branch": msk.pk, "date": value})
    assert response.status_code == 400
    assert "Показан сегодняшний день." in response.content.decode()


@pytest.mark.parametrize("start", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00-05:00", "nonsense"])
def test_booking_form_link_with_an_absurd_start_opens_an_empty_form(page, call_centre, manager_msk, start):
    page.force_login(call_centre)
    response = page.get(reverse("activities:booking_new"), {"manager": manager_msk.pk, "start": start})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "starts_at, message",
    [
        ("9999-12-31T23:30", "Дата — с 01.01.2000 по 31.12.2100."),
        ("0001-01-01T10:00", "Дата — с 01.01.2000 по 31.12.2100."),
        ((timezone.localtime() + timedelta(days=400)).strftime("%Y-%m-%dT10:00"), "не дальше чем на год вперёд"),
    ],
)
def test_booking_form_refuses_absurd_meetings_and_stores_nothing(page, call_centre, manager_msk, starts_at, message):
    make_client(manager=manager_msk, phones=["+7 916 555-44-33"])
    page.force_login(call_centre)
    data = {"manager": manager_msk.pk, "kind": "meeting", "starts_at": starts_at, "duration": 60,
            "phone": "8 (916) 555-44-33"}  # fmt: skip
    response = page.post(f"{reverse('activities:booking_new')}?manager={manager_msk.pk}", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Activity.objects.count() == 0


@pytest.mark.parametrize("starts_at", ["9999-12-31T10:00:00+03:00", "0001-01-01T10:00:00+03:00"])
def test_meetings_api_refuses_absurd_dates_with_400(call_centre, manager_msk, starts_at):
    client = make_client(manager=manager_msk)
    api = token_client(call_centre)
    body = {"manager": manager_msk.pk, "client": client.pk, "starts_at": starts_at, "ends_at": starts_at}
    response = api.post(reverse("api-meetings"), body, format="json")
    assert response.status_code == 400, response.content
    assert Activity.objects.count() == 0


def test_a_call_planned_two_years_ahead_is_refused(page, manager_msk):
    client = make_client(manager=manager_msk)
    page.force_login(manager_msk)
    when = (timezone.localtime() + timedelta(days=800)).strftime("%Y-%m-%dT10:00")
    response = page.post(
        reverse("activities:activity_plan", args=[client.pk]),
        {"kind": "call", "direction": "outbound", "planned_at": when},
    )
    assert response.status_code == 400
    assert "не дальше чем на год вперёд" in response.content.decode()
    assert Activity.objects.count() == 0
