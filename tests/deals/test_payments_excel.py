from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from crm.models import AuditEntry
from deals.models import Payment
from deals.payments_excel import ImportRefused, payments_export, payments_import
from deals.services import deal_move_to_stage, payment_record
from tests.factories import contract_data, make_deal


@pytest.fixture
def deal(manager_msk):
    deal = make_deal(manager=manager_msk, last_name="Громова")
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    payment_record(deal=deal, by=manager_msk, paid_on=date(2026, 11, 3), amount=Decimal("40000"), method="card")
    return deal


def sheet(content):
    return load_workbook(BytesIO(content)).active


def with_rows(content, rows):
    wb = load_workbook(BytesIO(content))
    for row in rows:
        wb.active.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def test_export_one_row_per_payment(deal, manager_msk):
    ws = sheet(payments_export(user=manager_msk))
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("№ платежа", "№ сделки", "Клиент")
    assert len(rows) == 2
    assert rows[1][1:5] == (deal.pk, "Громова Иван Петрович", "ДБ", "ДБ-17/2026")
    assert (rows[1][8], rows[1][9]) == (40000, "Карта")
    assert AuditEntry.objects.filter(action="export", actor=manager_msk).count() == 1


def test_round_trip_changes_nothing_then_adds_new_rows(deal, manager_msk):
    exported = payments_export(user=manager_msk)
    assert payments_import(user=manager_msk, content=exported) == {"created": 0, "unchanged": 1}
    grown = with_rows(
        exported, [[None, deal.pk, None, None, None, None, None, "20.11.2026", "15000,50", "Наличные", "остаток"]]
    )
    assert payments_import(user=manager_msk, content=grown) == {"created": 1, "unchanged": 1}
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [Decimal("15000.50"), Decimal("40000")]


def test_bad_rows_are_reported_and_nothing_is_saved(deal, manager_msk):
    exported = payments_export(user=manager_msk)
    bad = with_rows(
        exported,
        [
            [None, deal.pk, None, None, None, None, None, "20.11.2026", "1000", "Наличные"],
            [None, deal.pk, None, None, None, None, None, "вчера", "abc", "Бартер"],
            [None, 999999, None, None, None, None, None, "20.11.2026", "1000", "Карта"],
        ],
    )
    with pytest.raises(ImportRefused) as err:
        payments_import(user=manager_msk, content=bad)
    assert [str(e) for e in err.value.errors] == [
        "Строка 4, столбец «Дата платежа»: нужна дата, например 15.11.2026",
        "Строка 4, столбец «Сумма, ₽»: нужно число, например 15000 или 15000,50",
        "Строка 4, столбец «Способ»: одно из: Наличные, Карта, Перевод, Счёт",
        "Строка 5, столбец «№ сделки»: нет такой сделки среди ваших",
    ]
    assert Payment.objects.count() == 1


def test_service_refusal_mid_file_rolls_back_earlier_rows(deal, manager_msk):
    exported = payments_export(user=manager_msk)
    bad = with_rows(
        exported,
        [
            [None, deal.pk, None, None, None, None, None, "20.11.2026", "1000", "Наличные"],
            [None, deal.pk, None, None, None, None, None, "01.01.2099", "1000", "Наличные"],
        ],
    )
    with pytest.raises(ImportRefused) as err:
        payments_import(user=manager_msk, content=bad)
    assert [str(e) for e in err.value.errors] == [
        "Строка 4, столбец «Дата платежа»: Дата платежа не может быть в будущем"
    ]
    assert Payment.objects.count() == 1


def test_changing_a_stored_payment_is_refused(deal, manager_msk):
    wb = load_workbook(BytesIO(payments_export(user=manager_msk)))
    wb.active["I2"] = 1
    out = BytesIO()
    wb.save(out)
    with pytest.raises(ImportRefused) as err:
        payments_import(user=manager_msk, content=out.getvalue())
    assert "записанный платёж менять нельзя" in str(err.value.errors[0])


def test_other_managers_deals_are_not_theirs_to_load(deal, manager_msk, manager2_msk):
    exported = payments_export(user=manager_msk)
    assert len(list(sheet(payments_export(user=manager2_msk)).iter_rows())) == 1  # headers only
    grown = with_rows(exported, [[None, deal.pk, None, None, None, None, None, "20.11.2026", "10", "Карта"]])
    with pytest.raises(ImportRefused):
        payments_import(user=manager2_msk, content=grown)
    assert Payment.objects.count() == 1


def test_page_download_and_upload(web, deal, manager_msk):
    web.force_login(manager_msk)
    url = reverse("deals:payments_table")
    download = web.get(url, {"download": 1})
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    upload = BytesIO(
        with_rows(download.content, [[None, deal.pk, None, None, None, None, None, "21.11.2026", "500", "Перевод"]])
    )
    upload.name = "payments.xlsx"
    response = web.post(url, {"file": upload})
    assert response.status_code == 302
    assert Payment.objects.count() == 2
    junk = BytesIO(b"not excel")
    junk.name = "x.xlsx"
    response = web.post(url, {"file": junk})
    assert response.status_code == 400
    assert "Это не файл Excel (.xlsx)." in response.content.decode()
