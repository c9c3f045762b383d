"""Incoming papers and the stage's required documents, walked through in a real browser.

A manager registers a court ruling on the deal card and finds it again in the register «Входящие»
and its Excel file; a stage rule refuses a move until the signed contract's scan is on the client's card.
Every journey checks the database as well as the page.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from clients.models import ClientDocument
from crm.workdays import add_working_days
from deals.models import Deal, IncomingDocument, StageDocumentRule
from deals.services import deal_move_to_stage, incoming_register
from tasks.models import Task
from tests.e2e.helpers import enter_as
from tests.factories import contract_data, make_deal

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A tiny PDF made in memory: the form asks only that a scan be attached.
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
RULING = "Определение/решение суда"
SIGNED_CONTRACT = "Договор подписанный (скан)"


def pdf(name: str) -> dict:
    """A file for `set_input_files`, made in memory."""
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def test_manager_registers_a_court_ruling_and_finds_it_in_the_register_and_its_excel(
    page: Page, live_server, manager_msk, lawyer_msk, page_problems, screenshot, tmp_path
):
    deal = make_deal(manager=manager_msk, last_name="Входящева", first_name="Анна", patronymic="Сергеевна")
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    today = timezone.localdate()
    deadline = add_working_days(today, 4)
    number = f"ВХ-{today.year}-0001"

    enter_as(page, live_server, manager_msk.username)
    page.goto(f"/deals/{deal.pk}/")
    section = page.get_by_test_id("incoming-section")
    expect(section).to_contain_text("Входящих документов по сделке пока нет.")
    section.get_by_test_id("incoming-add").locator("summary").click()
    form = section.get_by_test_id("incoming-form")
    expect(form).to_be_visible()
    expect(form.get_by_label("Дата получения", exact=True)).to_have_value(today.isoformat())
    form.get_by_label("Отправитель", exact=True).fill("Арбитражный суд г. Москвы")
    form.get_by_role("combobox", name="Вид", exact=True).select_option(label=RULING)
    form.get_by_label("Скан документа", exact=True).set_input_files(pdf("opredelenie.pdf"))
    form.get_by_label("Содержание", exact=True).fill("Оставить заявление без движения до устранения недостатков.")
    form.get_by_label("Срок ответа", exact=True).fill(deadline.isoformat())
    form.get_by_role("combobox", name="Ответственный за ответ", exact=True).select_option(label=lawyer_msk.full_name)
    screenshot(page, "incoming-form-filled")
    form.get_by_role("button", name="Зарегистрировать входящий", exact=True).click()

    # Back on the card: the row with the year's first number, the deadline and the task's link.
    expect(page.get_by_text(f"Входящий зарегистрирован: № {number}.")).to_be_visible()
    incoming = IncomingDocument.objects.get()
    row = page.get_by_test_id("incoming-list").locator(f'tr[data-id="{incoming.pk}"]')
    expect(row).to_contain_text(number)
    expect(row).to_contain_text(RULING)
    expect(row).to_contain_text("Арбитражный суд г. Москвы")
    expect(row).to_contain_text(f"до {deadline:%d.%m.%Y}")
    expect(row).to_contain_text(lawyer_msk.short_name)
    expect(row.get_by_role("link", name="opredelenie.pdf")).to_be_visible()
    screenshot(page, "incoming-deal-card")

    task = Task.objects.get(deal=deal, title__startswith=f"Ответить на входящий № {number}")
    assert (task.responsible, task.deadline, incoming.task) == (lawyer_msk, deadline, task)
    assert (incoming.kind, incoming.received_on, incoming.responsible) == ("court_ruling", today, lawyer_msk)
    assert incoming.file.name == "opredelenie.pdf" and incoming.file.client_id == deal.client_id

    # The card's link opens the task.
    row.get_by_role("link", name="задача: новая").click()
    page.wait_for_url(f"{live_server.url}/tasks/{task.pk}/")
    expect(page.get_by_text(f"Ответить на входящий № {number}: Арбитражный суд г. Москвы").first).to_be_visible()
    screenshot(page, "incoming-reply-task")

    # A creditor's letter, registered next, so the register has a row of another kind to filter out.
    letter = incoming_register(
        deal=deal,
        by=manager_msk,
        received_on=today,
        sender="ПАО «Банк»",
        kind="creditor_letter",
        upload=SimpleUploadedFile("pismo.pdf", PDF, content_type="application/pdf"),
    )
    assert letter.number == f"ВХ-{today.year}-0002"

    page.goto("/")
    more = page.get_by_test_id("nav-more")
    more.get_by_role("button", name="Ещё").click()
    more.get_by_role("link", name="Входящие", exact=True).click()
    page.wait_for_url(f"{live_server.url}/incoming/")
    table = page.get_by_test_id("incoming-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator(f'tr[data-id="{incoming.pk}"]')).to_contain_text(number)
    expect(table.locator(f'tr[data-id="{letter.pk}"]')).to_contain_text("Письмо кредитора")
    screenshot(page, "incoming-register")

    filters = page.get_by_test_id("incoming-filters")
    filters.get_by_label("Вид", exact=True).select_option(label=RULING)
    filters.get_by_test_id("incoming-apply").click()
    page.wait_for_url("**/incoming/?*kind=court_ruling*")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr")).to_contain_text(number)
    expect(table.locator("tbody tr")).to_contain_text("Входящева Анна Сергеевна")
    screenshot(page, "incoming-register-filtered")

    with page.expect_download() as download:
        page.get_by_test_id("incoming-export").click()
    saved = Path(tmp_path) / "incoming.xlsx"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"incoming-{today:%Y%m%d}.xlsx"
    sheet = load_workbook(saved).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2], r[3]) for r in rows] == [(number, RULING, "Арбитражный суд г. Москвы")]
    assert page_problems == []


def test_stage_rule_refuses_the_move_until_the_signed_contract_is_on_the_client_card(
    page: Page, live_server, manager_msk, page_problems, screenshot
):
    StageDocumentRule.objects.create(stage="db_prep_court", document_kind="contract_signed")
    deal = make_deal(manager=manager_msk, last_name="Правилова", first_name="Вера", patronymic="Павловна")
    contract_date = timezone.localdate() - timedelta(days=1)
    refusal = f"Для стадии «Подготовка к АС» нужен документ «{SIGNED_CONTRACT}»: прикрепите его в карточке клиента."

    enter_as(page, live_server, manager_msk.username)
    page.goto(f"/deals/{deal.pk}/")
    current = page.get_by_test_id("stage-bar").locator(".step.current")
    expect(current).to_have_text("В работе (не заключён)")
    page.get_by_role("button", name="→ Подготовка к АС", exact=True).click()
    modal = page.locator("#move-modal")
    expect(modal.get_by_role("heading")).to_have_text("Правилова Вера Павловна → «Подготовка к АС»")
    modal.get_by_label("Номер договора", exact=True).fill("ДБ-55/2026")
    modal.get_by_label("Дата договора", exact=True).fill(contract_date.isoformat())
    modal.get_by_label("Стоимость услуг, ₽", exact=True).fill("110000")
    modal.get_by_role("button", name="Перенести", exact=True).click()

    # Refused in the modal, with what was typed kept; the deal has not moved.
    expect(modal.get_by_role("alert")).to_have_text(refusal)
    expect(modal.get_by_label("Номер договора", exact=True)).to_have_value("ДБ-55/2026")
    expect(modal).to_have_css("opacity", "1")
    screenshot(page, "stage-rule-refused")
    deal.refresh_from_db()
    assert (deal.stage, deal.contract_number) == ("db_in_work", "")
    modal.get_by_role("button", name="Отмена", exact=True).click()
    expect(modal).to_be_hidden()
    expect(current).to_have_text("В работе (не заключён)")

    # The signed contract's scan, on the client's card.
    page.get_by_role("heading", level=1).get_by_role("link").click()
    page.wait_for_url(f"{live_server.url}/clients/{deal.client_id}/")
    documents = page.locator("#documents")
    documents.get_by_label("Вид", exact=True).select_option(label=SIGNED_CONTRACT)
    documents.get_by_label("Файл", exact=True).set_input_files(pdf("dogovor-podpisannyi.pdf"))
    documents.get_by_role("button", name="Прикрепить", exact=True).click()
    expect(page.get_by_text("Документ прикреплён")).to_be_visible()
    expect(page.get_by_test_id("documents")).to_contain_text("dogovor-podpisannyi.pdf")
    expect(page.get_by_test_id("documents")).to_contain_text(SIGNED_CONTRACT)
    screenshot(page, "stage-rule-client-documents")
    assert ClientDocument.objects.filter(client=deal.client, kind="contract_signed").count() == 1

    # Back to the deal: the same move now goes through.
    page.goto(f"/deals/{deal.pk}/")
    page.get_by_role("button", name="→ Подготовка к АС", exact=True).click()
    modal.get_by_label("Номер договора", exact=True).fill("ДБ-55/2026")
    modal.get_by_label("Дата договора", exact=True).fill(contract_date.isoformat())
    modal.get_by_label("Стоимость услуг, ₽", exact=True).fill("110000")
    modal.get_by_role("button", name="Перенести", exact=True).click()
    expect(page.get_by_test_id("stage-bar").locator(".step.current")).to_have_text("Подготовка к АС")
    expect(modal).to_be_hidden()
    expect(page.get_by_text(f"№ ДБ-55/2026 от {contract_date:%d.%m.%Y}")).to_be_visible()
    screenshot(page, "stage-rule-moved")
    deal = Deal.objects.get(pk=deal.pk)
    assert (deal.stage, deal.contract_number) == ("db_prep_court", "ДБ-55/2026")
    # Only the refused move answered with an error.
    assert page_problems == [f"422 {live_server.url}/deals/{deal.pk}/move/"]
