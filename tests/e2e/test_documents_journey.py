"""A manager makes the invoice from the auto-task «Выставить счёт» and downloads its PDF:
a real browser, the live server and real Celery workers converting with LibreOffice."""

from pathlib import Path

import pytest
from docx import Document
from playwright.sync_api import Page, expect

from deals.models import StageAutomation
from deals.services import deal_move_to_stage
from integrations.models import DocumentTemplate, GeneratedDocument
from tasks.models import Task
from tests.documents.helpers import flat, pdf_text, qr_codes
from tests.e2e.helpers import enter_as
from tests.factories import contract_data, make_deal
from tests.integration import test_documents_worker as documents_worker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

workers = documents_worker.workers


def test_manager_makes_the_invoice_from_the_auto_task_and_downloads_the_pdf(
    page: Page, live_server, workers, manager_msk, firm, tmp_path, page_problems, screenshot
):
    StageAutomation.objects.create(stage="db_prep_court", title="Выставить счёт", assignee="manager")
    deal = make_deal(manager=manager_msk, last_name="Браузерова", first_name="Ольга", patronymic="Ивановна")
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    task = Task.objects.get(deal=deal, title="Выставить счёт")

    enter_as(page, live_server, manager_msk.username)
    page.goto(f"/tasks/{task.pk}/")
    block = page.get_by_test_id("task-invoice")
    expect(block).to_contain_text("Счёт по сделке")
    amount = block.get_by_label("Сумма, ₽")
    expect(amount).to_have_value("120000,00")  # the balance of the contract: no schedule yet
    amount.fill("40000")
    block.get_by_test_id("task-make-invoice").click()
    expect(page.get_by_text("готовится: через несколько секунд")).to_be_visible()

    # The block refreshes itself until the worker is done; then the PDF link appears.
    link = page.get_by_test_id("task-invoice-pdf")
    expect(link).to_be_visible(timeout=60_000)
    screenshot(page, "documents-task-invoice")
    with page.expect_download() as download:
        link.click()
    saved = Path(tmp_path) / "invoice.pdf"
    download.value.save_as(saved)
    document = GeneratedDocument.objects.get(deal=deal)
    assert download.value.suggested_filename == f"Счёт № {document.number}.pdf"
    data = saved.read_bytes()
    text = flat(pdf_text(data))
    assert "Браузерова Ольга Ивановна" in text and "40 000,00" in text and "сорок тысяч рублей 00 копеек" in text
    [code] = qr_codes(data)
    assert "|Sum=4000000|" in code

    # The deal card lists it too, with both files.
    page.goto(f"/deals/{deal.pk}/")
    row = page.get_by_test_id("documents-list").locator(f'tr[data-id="{document.pk}"]')
    expect(row).to_contain_text(f"Счёт № {document.number}")
    expect(row.get_by_test_id("download-docx")).to_be_visible()
    screenshot(page, "documents-deal-card")
    assert page_problems == []


def test_admin_uploads_a_template_refused_then_accepted(
    page: Page, live_server, admin_user, tmp_path, page_problems, screenshot
):
    enter_as(page, live_server, admin_user.username)
    page.goto("/admin/integrations/documenttemplate/")
    in_use = page.get_by_test_id("templates-in-use")
    expect(in_use).to_contain_text("Акт об оказанных услугах")
    expect(in_use).to_contain_text("по умолчанию (из CRM)")
    expect(page.locator("#template-fields")).to_contain_text("{{ payment.amount_words }}")
    screenshot(page, "documents-admin-templates")
    # The default act, downloaded to edit in Word, is a document the CRM would accept back.
    with page.expect_download() as download:
        in_use.get_by_role("row", name="Акт об оказанных услугах").get_by_role("link").click()
    default = tmp_path / "act.docx"
    download.value.save_as(default)

    bad = tmp_path / "акт.docx"
    document = Document()
    document.add_paragraph("Акт для {{ client.full_name }}")
    document.save(bad)
    page.goto("/admin/integrations/documenttemplate/add/")
    page.get_by_label("Вид").select_option("act")
    page.get_by_label("Файл .docx").set_input_files(str(bad))
    page.get_by_role("button", name="Сохранить", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("{{ client.full_name }}")
    screenshot(page, "documents-admin-template-refused")
    assert not DocumentTemplate.objects.exists()

    page.get_by_label("Вид").select_option("act")
    page.get_by_label("Файл .docx").set_input_files(str(default))
    page.get_by_label("Что изменилось").fill("как в CRM")
    page.get_by_role("button", name="Сохранить", exact=True).click()
    expect(page.get_by_test_id("templates-in-use")).to_contain_text("версия 1")
    assert DocumentTemplate.objects.get().kind == "act"
    assert page_problems == []
