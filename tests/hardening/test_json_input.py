"""Deeply nested or malformed JSON is a 400 with a Russian message, never a 500."""

import pytest

from crm.api.parsers import MAX_JSON_DEPTH
from leads.models import Lead
from tests.conftest import token_client

LEADS = "/api/v1/leads/"
TOO_DEEP = f"Слишком глубокая вложенность JSON: допускается не больше {MAX_JSON_DEPTH} уровней."


def nested(depth: int) -> str:
    return '{"source": "site", "phone": "+79160001122", "message": ' + "[" * depth + "]" * depth + "}"


@pytest.fixture
def api_call_centre(call_centre):
    return token_client(call_centre)


@pytest.mark.parametrize("depth", [5000, 200, MAX_JSON_DEPTH])
def test_deep_nesting_is_refused_and_nothing_stored(api_call_centre, depth):
    # depth counts the message's lists; the body's own object is one level more.
    response = api_call_centre.post(LEADS, nested(depth), content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP}
    assert Lead.objects.count() == 0


def test_nesting_at_the_limit_reaches_validation(api_call_centre):
    response = api_call_centre.post(LEADS, nested(MAX_JSON_DEPTH - 1), content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"message"}
    assert Lead.objects.count() == 0


def test_malformed_json_is_refused_in_russian(api_call_centre):
    response = api_call_centre.post(LEADS, '{"source": "site", "phone": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Некорректный JSON: ")
    assert Lead.objects.count() == 0


def test_ordinary_lead_is_still_taken(api_call_centre):
    response = api_call_centre.post(LEADS, {"source": "site", "phone": "+79160001122"}, format="json")
    assert response.status_code == 201
    assert Lead.objects.get().phone_norm == "79160001122"


def test_form_bodies_still_parse(api_call_centre):
    response = api_call_centre.post(LEADS, {"source": "site", "phone": "+79160001122"})
    assert response.status_code == 201
    assert Lead.objects.count() == 1
