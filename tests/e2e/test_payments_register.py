"""The payments register and the board's money, in a real browser.

A manager opens «Платежи», keeps only the overdue instalments, reads the
totals and downloads exactly those rows as Excel; a head of sales reads each
board column's sum of fees and opens a deal with «+ сделка» for a new client.
"""

from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from crm.models import AuditEntry
from deals.models import Deal
from deals.services import deal_move_to_stage, payment_record, schedule_set
from tests.e2e.helpers import at, enter_as
from tests.factories import make_deal

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def contracted(manager, last_name, fee):
    deal = make_deal(manager=manager, last_name=last_name)
    deal_move_to_stage(
        deal=deal,
        stage="db_prep_court",
        by=manager,
        data={"contract_number": f"ДБ-{last_name}", "contract_date": date(2026, 9, 1), "fee": Decimal(fee)},
    )
    return deal


def test_manager_filters_overdue_reads_totals_and_exports(
    page: Page, live_server, manager_msk, manager2_msk, page_problems, screenshot, tmp_path
):
    with at(2026, 12, 10, 11, 0):
        mine = contracted(manager_msk, "Громова", "90000")
        schedule_set(
            deal=mine,
            by=manager_msk,
            items=[
                (date(2026, 10, 15), Decimal("30000")),
                (date(2026, 11, 15), Decimal("30000")),
                (date(2026, 12, 20), Decimal("30000")),
            ],
        )
        payment_record(deal=mine, by=manager_msk, paid_on=date(2026, 10, 14), amount=Decimal("40000"), method="cash")
        other = contracted(manager2_msk, "Ильин", "60000")
        schedule_set(deal=other, by=manager2_msk, items=[(date(2026, 11, 1), Decimal("60000"))])

        enter_as(page, live_server, "manager.msk")
        page.get_by_role("link", name="Платежи", exact=True).click()
        page.wait_for_url(f"{live_server.url}/payments/")
        expect(page.get_by_role("heading", name="Платежи")).to_be_visible()
        # This month: the December instalment, owed in full.
        expect(page.get_by_test_id("total-due")).to_have_text("30 000,00 ₽")

        page.get_by_label("Только просроченные").check()
        page.get_by_test_id("register-apply").click()
        page.wait_for_url("**/payments/?*overdue=on*")
        rows = page.get_by_test_id("register-table").locator("tbody tr[data-kind]")
        expect(rows).to_have_count(1)  # November: 30 000 − 10 000 left of the 40 000 paid
        expect(rows.first).to_contain_text("15.11.2026")
        expect(rows.first).to_contain_text("Громова")
        expect(rows.first).to_contain_text("просрочен")
        expect(page.get_by_test_id("total-overdue")).to_have_text("20 000,00 ₽")
        expect(page.get_by_test_id("total-received")).to_have_text("0,00 ₽")
        expect(page.get_by_test_id("register-table")).not_to_contain_text("Ильин")
        screenshot(page, "payments-register-overdue")

        with page.expect_download() as info:
            page.get_by_test_id("register-export").click()
        path = tmp_path / "register.xlsx"
        info.value.save_as(path)
        data = list(load_workbook(path)["Реестр платежей"].iter_rows(min_row=2, values_only=True))
        assert [(r[0].date(), r[1], r[2], r[3], Decimal(str(r[7])), r[10]) for r in data] == [
            (date(2026, 11, 15), "По графику", mine.pk, mine.client.display_name, Decimal("20000"), "да")
        ]
        assert AuditEntry.objects.filter(
            action=AuditEntry.Action.EXPORT, target_repr="Реестр платежей (Excel)", actor=manager_msk
        ).exists()

        # The Excel table (download and upload) stays one click away.
        page.get_by_test_id("register-table-link").click()
        page.wait_for_url(f"{live_server.url}/deals/payments/")
        expect(page.get_by_test_id("download")).to_be_visible()
    # The export is a navigation Chromium reports as aborted once it becomes a download: no page problem.
    assert page_problems == []


def test_head_reads_column_sums_and_opens_a_deal_with_plus_deal(
    page: Page, live_server, head_msk, manager_msk, manager2_msk, page_problems, screenshot
):
    with at(2026, 12, 10, 11, 0):
        contracted(manager_msk, "Громова", "150000")
        contracted(manager2_msk, "Карпова", "45000.50")
        make_deal(manager=manager2_msk, last_name="Белов")

        enter_as(page, live_server, "rop.msk")
        page.goto("/deals/board/db/")
        prep = page.get_by_test_id("column-db_prep_court")
        expect(prep.locator("[data-count]")).to_have_text("2")
        expect(prep.locator("[data-fee-total]")).to_have_text("195 000,50 ₽")
        expect(page.get_by_test_id("column-db_in_work").locator("[data-fee-total]")).to_have_text("—")
        screenshot(page, "board-column-sums")

        page.get_by_test_id("board-new-deal").click()
        page.wait_for_url("**/deals/new/?line=db")
        page.get_by_label("Телефон или ФИО клиента").fill("Новиков")
        page.get_by_role("button", name="Найти").click()
        expect(page.get_by_test_id("client-none")).to_be_visible()
        page.get_by_label("Менеджер").select_option(label=manager2_msk.full_name)
        page.get_by_label("Фамилия").fill("Новиков")
        page.get_by_label("Имя", exact=True).fill("Пётр")
        page.get_by_label("Телефон", exact=True).fill("+7 916 555-44-33")
        screenshot(page, "board-new-deal-form")
        page.get_by_test_id("new-deal-submit").click()
        page.wait_for_url("**/deals/*/")
        deal = Deal.objects.get(client__last_name="Новиков")
        assert (deal.stage, deal.manager_id, deal.branch_id) == ("db_in_work", manager2_msk.pk, head_msk.branch_id)
        expect(page.get_by_text("Сделка создана")).to_be_visible()

        page.wait_for_load_state("networkidle")  # leaving while the favicon loads would abort it
        page.goto("/deals/board/db/")
        expect(page.get_by_test_id("column-db_in_work").locator("[data-count]")).to_have_text("2")
        expect(page.get_by_test_id("column-db_in_work")).to_contain_text("Новиков")
        screenshot(page, "board-after-new-deal")
    assert page_problems == []
