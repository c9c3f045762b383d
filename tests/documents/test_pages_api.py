"""The deal card's «Документы» block, the invoice button on the auto-task and the API."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import AuditEntry, OutboxJob
from deals.services import deal_move_to_stage
from integrations.documents import services
from integrations.models import GeneratedDocument
from tasks.services import task_create
from tests.conftest import token_client
from tests.factories import contract_data, make_deal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def deal(manager_msk):
    deal = make_deal(manager=manager_msk, last_name="Карточкин")
    return deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())


def test_card_offers_documents_and_asks_for_one(web, deal, manager_msk, firm):
    web.force_login(manager_msk)
    card = web.get(f"/deals/{deal.pk}/")
    assert card.context["documents_section"] and card.context["documents"] == []
    assert [k for k, _ in card.context["document_kinds"]] == [
        "contract",
        "invoice",
        "act",
        "power_of_attorney",
        "creditor_list",
    ]
    # The invoice is offered for the remaining balance (no schedule yet): 120 000 ₽.
    assert card.context["invoice_proposal"].amount == Decimal("120000")
    response = web.post(f"/integrations/deals/{deal.pk}/documents/", {"kind": "invoice", "amount": "40 000,50"})
    assert response.status_code == 302 and response["Location"].endswith(f"/deals/{deal.pk}/#documents")
    document = GeneratedDocument.objects.get()
    assert (document.kind, document.amount, document.status) == ("invoice", Decimal("40000.50"), "pending")
    assert OutboxJob.objects.filter(kind=services.KIND, key=str(document.pk)).exists()
    # Pending: the block polls itself until the worker is done.
    section = web.get(f"/integrations/deals/{deal.pk}/documents/section/")
    assert b'hx-trigger="every 2s"' in section.content
    services.document_make(document.pk)
    section = web.get(f"/integrations/deals/{deal.pk}/documents/section/")
    assert b"every 2s" not in section.content and b'data-testid="download-pdf"' in section.content
    document.refresh_from_db()
    pdf = web.get(f"/clients/{deal.client_id}/documents/{document.pdf_id}/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.VIEW_PERSONAL_DATA, target_id=str(document.pdf_id)
    ).exists()


def test_a_bad_amount_comes_back_on_the_block_changing_nothing(web, deal, manager_msk, firm):
    web.force_login(manager_msk)
    response = web.post(
        f"/integrations/deals/{deal.pk}/documents/", {"kind": "invoice", "amount": "-1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert "Сумма должна быть больше нуля" in response.content.decode()
    assert not GeneratedDocument.objects.exists()


def test_others_are_refused(web, deal, manager2_msk, call_centre, lawyer_msk, firm):
    for user, status in [(manager2_msk, 404), (call_centre, 404), (lawyer_msk, 403)]:
        web.force_login(user)
        response = web.post(f"/integrations/deals/{deal.pk}/documents/", {"kind": "invoice", "amount": "100"})
        assert response.status_code == status, user.username
    assert not GeneratedDocument.objects.exists()
    # The lawyer sees the block with the court papers only.
    web.force_login(lawyer_msk)
    kinds = [k for k, _ in web.get(f"/deals/{deal.pk}/").context["document_kinds"]]
    assert kinds == ["power_of_attorney", "creditor_list"]


def test_the_invoice_task_has_the_button(web, deal, manager_msk, head_msk, firm):
    task = task_create(author=None, responsible=manager_msk, title="Выставить счёт", deal=deal, client=deal.client)
    other = task_create(author=head_msk, responsible=manager_msk, title="Позвонить клиенту", deal=deal)
    web.force_login(manager_msk)
    page = web.get(f"/tasks/{task.pk}/")
    assert page.context["invoice_task_deal"] == deal
    assert page.context["invoice_task_proposal"].amount == Decimal("120000")
    assert "invoice_task_deal" not in web.get(f"/tasks/{other.pk}/").context
    response = web.post(
        f"/integrations/deals/{deal.pk}/documents/",
        {"kind": "invoice", "amount": "120000.00", "next": f"/tasks/{task.pk}/"},
    )
    assert response["Location"] == f"/tasks/{task.pk}/"
    page = web.get(f"/tasks/{task.pk}/")
    assert [d.number for d in page.context["invoice_task_documents"]] == [GeneratedDocument.objects.get().number]


def test_api_202_then_state_then_files(deal, manager_msk, manager2_msk, lawyer_msk, firm):
    api = token_client(manager_msk)
    response = api.post(f"/api/v1/deals/{deal.pk}/documents/", {"kind": "invoice", "amount": "40000.00"}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending" and body["amount"] == "40000.00" and body["pdf"] is None
    detail = api.get(f"/api/v1/documents/{body['id']}/")
    assert detail.json()["status"] == "pending"
    assert api.get(f"/api/v1/documents/{body['id']}/pdf/").status_code == 404
    services.document_make(body["id"])
    ready = api.get(f"/api/v1/documents/{body['id']}/").json()
    assert ready["status"] == "ready" and ready["pdf"].endswith(f"/api/v1/documents/{body['id']}/pdf/")
    pdf = api.get(ready["pdf"])
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    docx = api.get(ready["docx"])
    assert b"".join(docx.streaming_content).startswith(b"PK")
    # Others: a colleague does not see it; a lawyer may not make an invoice.
    assert token_client(manager2_msk).get(f"/api/v1/documents/{body['id']}/").status_code == 404
    refused = token_client(lawyer_msk).post(f"/api/v1/deals/{deal.pk}/documents/", {"kind": "invoice"}, format="json")
    assert refused.status_code == 403
    assert GeneratedDocument.objects.count() == 1


def test_api_field_errors(deal, manager_msk, firm):
    api = token_client(manager_msk)
    for payload, field in [
        ({"kind": "receipt"}, "kind"),
        ({"kind": "invoice", "amount": "0"}, "amount"),
        ({"kind": "invoice", "legal_entity": 999}, "legal_entity"),
    ]:
        response = api.post(f"/api/v1/deals/{deal.pk}/documents/", payload, format="json")
        assert response.status_code == 400 and field in response.json(), (payload, response.content)
    assert not GeneratedDocument.objects.exists()


def test_card_queries_do_not_grow_with_documents(web, deal, manager_msk, firm):
    web.force_login(manager_msk)
    services.document_make(services.document_request(deal=deal, by=manager_msk, kind="invoice", amount="1").pk)
    with CaptureQueriesContext(connection) as one:
        web.get(f"/integrations/deals/{deal.pk}/documents/section/")
    for _ in range(5):
        services.document_make(services.document_request(deal=deal, by=manager_msk, kind="invoice", amount="1").pk)
    with CaptureQueriesContext(connection) as six:
        web.get(f"/integrations/deals/{deal.pk}/documents/section/")
    assert len(six.captured_queries) == len(one.captured_queries)


def test_move_form_takes_the_drafted_contract(web, manager_msk, firm):
    deal = make_deal(manager=manager_msk, last_name="Черновиков")
    web.force_login(manager_msk)
    form = web.get(f"/deals/{deal.pk}/move/?stage=db_prep_court").context["form"]
    assert form["contract_number"].value() is None
    drafted = services.document_request(deal=deal, by=manager_msk, kind="contract", amount="95000")
    form = web.get(f"/deals/{deal.pk}/move/?stage=db_prep_court").context["form"]
    assert form["contract_number"].value() == drafted.number
    assert form["fee"].value() == Decimal("95000.00")
