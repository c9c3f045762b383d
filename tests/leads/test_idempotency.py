"""`Idempotency-Key` on POST /api/v1/leads/ belongs to the caller who sent it.

A key is a retry token, not an address: another caller's key must never hand
back their lead, and the same caller reusing a key for a different request is
refused rather than silently answered with the first lead.
"""

import pytest
from django.urls import reverse

from crm.errors import DomainError
from leads.models import Lead
from leads.services import lead_create
from tests.conftest import token_client

BODY = {"source": "site", "phone": "+7 916 111-22-33", "name": "Мария", "message": "Долг 1,2 млн, банкротство"}
OTHER = {"source": "site", "phone": "+7 921 555-00-11", "name": "Олег", "message": "Раздел имущества"}


def test_another_callers_key_never_returns_their_lead(manager_msk, manager_spb):
    first = token_client(manager_msk).post(reverse("api-leads"), BODY, format="json", HTTP_IDEMPOTENCY_KEY="form-1")
    assert first.status_code == 201
    theirs = token_client(manager_spb)
    assert theirs.get(reverse("api-lead-detail", args=[first.json()["id"]])).status_code == 404

    second = theirs.post(reverse("api-leads"), OTHER, format="json", HTTP_IDEMPOTENCY_KEY="form-1")

    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]
    assert (second.json()["name"], second.json()["phone"]) == ("Олег", "+7 921 555-00-11")
    assert Lead.objects.filter(idempotency_key="form-1").count() == 2
    assert Lead.objects.get(pk=first.json()["id"]).name == "Мария"


def test_another_caller_sending_the_same_body_and_key_gets_a_lead_of_their_own(call_centre, manager_msk):
    first = token_client(call_centre).post(reverse("api-leads"), BODY, format="json", HTTP_IDEMPOTENCY_KEY="k")
    second = token_client(manager_msk).post(reverse("api-leads"), BODY, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert list(Lead.objects.order_by("id").values_list("created_by__username", flat=True)) == [
        "callcenter",
        "manager.msk",
    ]


def test_same_caller_same_key_different_body_is_422_and_changes_nothing(call_centre):
    api = token_client(call_centre)
    first = api.post(reverse("api-leads"), BODY, format="json", HTTP_IDEMPOTENCY_KEY="site-42")
    assert first.status_code == 201
    before = list(Lead.objects.values())

    again = api.post(reverse("api-leads"), OTHER, format="json", HTTP_IDEMPOTENCY_KEY="site-42")

    assert again.status_code == 422
    assert again.json() == {
        "detail": "Ключ Idempotency-Key «site-42» уже использован для другого обращения. "
        "Для нового обращения пришлите новый ключ.",
        "code": "idempotency_key_reused",
    }
    assert list(Lead.objects.values()) == before


def test_same_caller_same_key_same_body_is_the_same_lead_200(call_centre):
    api = token_client(call_centre)
    first = api.post(reverse("api-leads"), BODY, format="json", HTTP_IDEMPOTENCY_KEY="site-43")
    # The same request with the phone written differently is still the same request.
    again = api.post(
        reverse("api-leads"), {**BODY, "phone": "8 (916) 111-22-33"}, format="json", HTTP_IDEMPOTENCY_KEY="site-43"
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Lead.objects.count() == 1


def test_service_refuses_a_reused_key_with_a_russian_message(call_centre):
    lead_create(by=call_centre, source="site", phone="+79160001122", idempotency_key="abc")
    with pytest.raises(DomainError) as err:
        lead_create(by=call_centre, source="site", phone="+79160009999", idempotency_key="abc")
    assert err.value.code == "idempotency_key_reused"
    assert Lead.objects.count() == 1


def test_system_intake_keys_are_their_own_scope(call_centre):
    """Requests with no caller (mail, telephony) share one scope, apart from every user's."""
    system, created = lead_create(by=None, source="mail", email="a@example.ru", idempotency_key="msg-1")
    mine, mine_created = lead_create(by=call_centre, source="mail", email="b@example.ru", idempotency_key="msg-1")
    again, again_created = lead_create(by=None, source="mail", email="a@example.ru", idempotency_key="msg-1")
    assert (created, mine_created, again_created) == (True, True, False)
    assert again.pk == system.pk != mine.pk


def test_a_lead_stored_before_keys_were_scoped_still_answers_its_caller(call_centre):
    """Rows written before the fingerprint existed: same caller, key and contact → the same lead."""
    lead, _ = lead_create(by=call_centre, source="site", phone="+79160001122", name="Мария", idempotency_key="old")
    Lead.objects.filter(pk=lead.pk).update(idempotency_fingerprint="")
    again, created = lead_create(
        by=call_centre, source="site", phone="+79160001122", name="Мария", idempotency_key="old"
    )
    assert (again.pk, created) == (lead.pk, False)
    with pytest.raises(DomainError, match="уже использован"):
        lead_create(by=call_centre, source="site", phone="+79169999999", name="Мария", idempotency_key="old")
