"""Exported spreadsheets keep text as text: a name like '=HYPERLINK(…)' is never a live formula."""

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from crm.excel import append_row, safe_cell
from deals.payments_excel import payments_import
from deals.services import deal_move_to_stage, payment_record
from integrations.yandex_disk.services import _questionnaire
from tests.factories import contract_data, make_deal

FORMULA_NAME = '=HYPERLINK("http://x","y")'


def reloaded(content: bytes):
    return load_workbook(BytesIO(content)).active


@pytest.fixture
def deal(manager_msk):
    deal = make_deal(manager=manager_msk, kind="company", company_name=FORMULA_NAME)
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    payment_record(
        deal=deal, by=manager_msk, paid_on=date(2026, 11, 3), amount=Decimal("40000"), method="card", comment="@SUM(1)"
    )
    return deal


def test_payments_export_keeps_a_formula_like_client_name_as_text(web, manager_msk, deal):
    web.force_login(manager_msk)
    response = web.get(reverse("deals:payments_table"), {"download": "1"})
    assert response.status_code == 200
    ws = reloaded(response.content)
    name, comment = ws["C2"], ws["K2"]
    assert (name.value, name.data_type) == (FORMULA_NAME, "s")
    assert (comment.value, comment.data_type) == ("@SUM(1)", "s")


def test_payments_export_keeps_numbers_and_dates_typed(web, manager_msk, deal):
    web.force_login(manager_msk)
    ws = reloaded(web.get(reverse("deals:payments_table"), {"download": "1"}).content)
    assert (ws["B2"].value, ws["B2"].data_type) == (deal.pk, "n")
    assert (ws["I2"].value, ws["I2"].data_type) == (40000, "n")
    assert (ws["H2"].value, ws["H2"].data_type) == (datetime(2026, 11, 3), "d")


def test_payments_round_trip_still_changes_nothing(web, manager_msk, deal):
    web.force_login(manager_msk)
    exported = web.get(reverse("deals:payments_table"), {"download": "1"}).content
    assert payments_import(user=manager_msk, content=exported) == {"created": 0, "unchanged": 1}


def test_questionnaire_keeps_a_formula_like_client_name_as_text(manager_msk, deal):
    ws = reloaded(_questionnaire(deal.client, deal))
    cell = ws["B2"]
    assert (ws["A2"].value, cell.value, cell.data_type) == ("ФИО / организация", FORMULA_NAME, "s")


@pytest.mark.parametrize("text", ["=1+1", "+79161234567", "-5", "@SUM(A1)", "#N/A", "\t=1", "обычный текст"])
def test_safe_cell_stores_any_text_literally(text):
    wb = Workbook()
    append_row(wb.active, [text, 7, Decimal("1.50"), date(2026, 1, 2)])
    out = BytesIO()
    wb.save(out)
    row = reloaded(out.getvalue())[1]
    assert [(c.value, c.data_type) for c in row] == [
        (text, "s"),
        (7, "n"),
        (1.5, "n"),
        (datetime(2026, 1, 2), "d"),
    ]


def test_safe_cell_marks_formula_like_text_for_editing_too():
    ws = Workbook().active
    assert safe_cell(ws, "=1+1").quotePrefix is True
    assert safe_cell(ws, "Иванов").quotePrefix is False
