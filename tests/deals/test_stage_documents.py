"""Stage rules that require a client document: «Подготовка к АС» only with the signed contract."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.services import document_add
from crm.errors import DomainError
from deals.models import Deal, DealStageChange, StageDocumentRule
from deals.services import deal_move_to_stage
from tests.conftest import token_client
from tests.factories import contract_data, make_deal

MESSAGE = "Для стадии «Подготовка к АС» нужен документ «Договор подписанный (скан)»: прикрепите его в карточке клиента."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def rule(db):
    return StageDocumentRule.objects.create(stage="db_prep_court", document_kind="contract_signed")


def _scan(kind, client, by):
    upload = SimpleUploadedFile("договор.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    return document_add(client=client, by=by, upload=upload, kind=kind)


def _assert_unchanged(deal):
    fresh = Deal.objects.get(pk=deal.pk)
    assert (fresh.stage, fresh.contract_number, fresh.fee) == ("db_in_work", "", None)
    assert list(DealStageChange.objects.filter(deal=deal).values_list("to_stage", flat=True)) == ["db_in_work"]


def test_move_is_refused_without_the_document_and_changes_nothing(rule, manager_msk):
    deal = make_deal(manager=manager_msk)
    _scan("contract", deal.client, manager_msk)  # an unsigned contract is another kind
    with pytest.raises(DomainError) as exc:
        deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    assert (exc.value.message, exc.value.field, exc.value.code) == (MESSAGE, "stage", "documents")
    _assert_unchanged(deal)


def test_move_is_allowed_once_the_signed_contract_is_attached(rule, manager_msk):
    deal = make_deal(manager=manager_msk)
    _scan("contract_signed", deal.client, manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    assert Deal.objects.get(pk=deal.pk).stage == "db_prep_court"


def test_an_inactive_rule_does_not_block(rule, manager_msk):
    StageDocumentRule.objects.filter(pk=rule.pk).update(is_active=False)
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    assert Deal.objects.get(pk=deal.pk).stage == "db_prep_court"


def test_a_rule_of_another_stage_does_not_block(manager_msk):
    StageDocumentRule.objects.create(stage="db_in_court", document_kind="contract_signed")
    deal = make_deal(manager=manager_msk)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    assert Deal.objects.get(pk=deal.pk).stage == "db_prep_court"


def test_api_answers_400_on_the_stage_field(rule, manager_msk):
    deal = make_deal(manager=manager_msk)
    body = {"stage": "db_prep_court", **{k: str(v) for k, v in contract_data().items()}}
    response = token_client(manager_msk).post(reverse("api-deal-move", args=[deal.pk]), body, format="json")
    assert response.status_code == 400
    assert response.json() == {"stage": [MESSAGE]}
    _assert_unchanged(deal)
    _scan("contract_signed", deal.client, manager_msk)
    response = token_client(manager_msk).post(reverse("api-deal-move", args=[deal.pk]), body, format="json")
    assert (response.status_code, response.json()["stage"]) == (200, "db_prep_court")


def _post_move(web, deal, **extra):
    data = {"stage": "db_prep_court", **{k: str(v) for k, v in contract_data().items()}, **extra}
    return web.post(reverse("deals:move", args=[deal.pk]), data, **({"HTTP_HX_REQUEST": "true"} if extra else {}))


def test_card_page_shows_the_russian_message(rule, web, manager_msk):
    deal = make_deal(manager=manager_msk)
    web.force_login(manager_msk)
    response = _post_move(web, deal)
    assert response.status_code == 302
    page = web.get(response["Location"]).content.decode()
    assert MESSAGE in page
    _assert_unchanged(deal)


def test_card_modal_keeps_the_form_with_the_message(rule, web, manager_msk):
    deal = make_deal(manager=manager_msk)
    web.force_login(manager_msk)
    response = _post_move(web, deal, **{"from": "card"})
    assert response.status_code == 422
    body = response.content.decode()
    assert MESSAGE in body and 'value="ДБ-17/2026"' in body
    _assert_unchanged(deal)


def test_board_drop_answers_409_with_the_message(rule, web, manager_msk):
    deal = make_deal(manager=manager_msk)
    web.force_login(manager_msk)
    data = {"stage": "db_prep_court", **{k: str(v) for k, v in contract_data().items()}}
    response = web.post(reverse("deals:move", args=[deal.pk]), data, HTTP_HX_REQUEST="true")
    assert (response.status_code, response.content.decode()) == (409, MESSAGE)
    _assert_unchanged(deal)
