"""Extreme dates in a page's query string (0001-01-01, 9999-12-31) give a Russian message about the
period, never a 500: the task efficiency page, the deal list and the deals API list."""

import pytest
from django.urls import reverse

from tests.conftest import token_client
from tests.factories import make_deal

PERIOD = "Период — даты с 01.01.2000 по 31.12.2100."
EXTREMES = ["9999-12-31", "0001-01-01"]


@pytest.fixture
def page(web):
    # A 500 must come back as a response here, not as the view's exception.
    web.raise_request_exception = False
    return web


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "9999-12-31", "date_to": "9999-12-31"},
        {"date_from": "9999-12-31"},
        {"date_to": "0001-01-01"},
        {"date_from": "0001-01-01", "date_to": "9999-12-31"},
    ],
)
def test_efficiency_page_with_extreme_dates_says_so(page, head_msk, query):
    page.force_login(head_msk)
    response = page.get(reverse("tasks:efficiency"), query)
    assert response.status_code == 400
    body = response.content.decode()
    assert f"{PERIOD} Показан период по умолчанию." in body
    assert response.context["period_errors"] == [PERIOD]


def test_efficiency_page_with_a_sensible_period_still_works(page, head_msk):
    page.force_login(head_msk)
    response = page.get(reverse("tasks:efficiency"), {"date_from": "2000-01-01", "date_to": "2100-12-31"})
    assert response.status_code == 200
    assert (response.context["date_from"].isoformat(), response.context["period_errors"]) == ("2000-01-01", [])


@pytest.mark.parametrize("field", ["created_from", "created_to"])
@pytest.mark.parametrize("value", EXTREMES)
def test_deal_list_with_extreme_dates_says_so(page, director, manager_msk, field, value):
    make_deal(manager=manager_msk)
    page.force_login(director)
    response = page.get(reverse("deals:list"), {field: value})
    assert response.status_code == 200
    assert f"Проверьте фильтры: {PERIOD}" in response.content.decode()


@pytest.mark.parametrize("field", ["created_from", "created_to"])
@pytest.mark.parametrize("value", EXTREMES)
def test_deals_api_list_with_extreme_dates_is_400(director, field, value):
    response = token_client(director).get(reverse("api-deals"), {field: value})
    assert response.status_code == 400
    assert response.json() == {field: [PERIOD]}


def test_deals_api_list_with_sensible_dates_still_filters(director, manager_msk):
    deal = make_deal(manager=manager_msk)
    api = token_client(director)
    rows = api.get(reverse("api-deals"), {"created_from": "2000-01-01", "created_to": "2100-12-31"}).json()["results"]
    assert [r["id"] for r in rows] == [deal.pk]
    assert api.get(reverse("api-deals"), {"created_to": "2000-01-01"}).json()["results"] == []


@pytest.mark.parametrize("value", EXTREMES)
def test_task_list_with_an_extreme_cursor_is_not_an_error(page, manager_msk, value):
    page.force_login(manager_msk)
    assert page.get(reverse("tasks:list"), {"cursor": f"{value}_1"}).status_code == 200
