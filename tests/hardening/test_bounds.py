"""Absurd dates and sums (0001-01-01, 1900-01-01, 9 999 999 999,99 ₽) are refused with one Russian
message by the deal card's forms, the API, the services and the payments Excel import; nothing is
stored; sensible values still pass. The bounds live in deals/validators.py."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from deals.models import Creditor, Deal, Hearing, Instalment, Payment
from deals.payments_excel import ImportRefused, payments_export, payments_import
from deals.services import deal_move_to_stage
from tests.conftest import token_client
from tests.factories import make_deal

TODAY = timezone.localdate()
SIGNED = TODAY - timedelta(days=30)
FAR = "не больше 100 000 000 ₽: проверьте, нет ли лишних цифр."


def d(day) -> str:
    return f"{day:%d.%m.%Y}"


def years_ahead(years: int):
    try:
        return TODAY.replace(year=TODAY.year + years)
    except ValueError:  # 29 February
        return TODAY.replace(year=TODAY.year + years, day=28)


@pytest.fixture
def deal(manager_msk):
    return make_deal(manager=manager_msk)


@pytest.fixture
def contracted(deal, manager_msk):
    data = {"contract_number": "ДБ-1/2026", "contract_date": SIGNED, "fee": Decimal("120000")}
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=data)
    return deal


@pytest.fixture
def api(manager_msk):
    return token_client(manager_msk)


@pytest.fixture
def card(web, manager_msk):
    web.force_login(manager_msk)
    return web


def move_form(web, deal, stage, **fields):
    return web.post(reverse("deals:move", args=[deal.pk]), {"stage": stage, **fields}, headers={"HX-Request": "true"})


def move_api(api, deal, stage, **fields):
    return api.post(reverse("api-deal-move", args=[deal.pk]), {"stage": stage, **fields}, format="json")


def contract_fields(**overrides):
    return {"contract_number": "ДБ-1/2026", "contract_date": SIGNED.isoformat(), "fee": "120000", **overrides}


def unchanged(deal) -> tuple:
    fresh = Deal.objects.get(pk=deal.pk)
    return (fresh.stage, fresh.contract_date, fresh.fee, fresh.filing_date, fresh.total_debt)


# --- payments ---------------------------------------------------------------------------

BEFORE_CONTRACT = (SIGNED - timedelta(days=1)).isoformat()
IN_TWO_DAYS = (TODAY + timedelta(days=2)).isoformat()
BAD_PAYMENTS = [
    ("0001-01-01", "100", "paid_on", "Дата платежа не может быть раньше 01.01.2000."),
    ("1900-01-01", "100", "paid_on", "Дата платежа не может быть раньше 01.01.2000."),
    (BEFORE_CONTRACT, "100", "paid_on", f"Дата платежа не может быть раньше даты договора ({d(SIGNED)})."),
    (IN_TWO_DAYS, "100", "paid_on", "Дата платежа не может быть в будущем."),
    (TODAY.isoformat(), "9999999999.99", "amount", f"Сумма платежа — {FAR}"),
    (TODAY.isoformat(), "100000000.01", "amount", f"Сумма платежа — {FAR}"),
    (TODAY.isoformat(), "0", "amount", "Сумма платежа должна быть больше нуля."),
]


@pytest.mark.parametrize("paid_on, amount, field, message", BAD_PAYMENTS)
def test_payment_form_refuses_absurd_values(card, contracted, paid_on, amount, field, message):
    response = card.post(
        reverse("deals:payment_add", args=[contracted.pk]), {"paid_on": paid_on, "amount": amount, "method": "cash"}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Payment.objects.count() == 0


@pytest.mark.parametrize("paid_on, amount, field, message", BAD_PAYMENTS)
def test_payment_api_refuses_absurd_values(api, contracted, paid_on, amount, field, message):
    body = {"deal": contracted.pk, "paid_on": paid_on, "amount": amount, "method": "cash"}
    response = api.post(reverse("api-payments"), body, format="json")
    assert response.status_code == 400
    assert response.json() == {field: [message]}
    assert Payment.objects.count() == 0


def test_sensible_payments_still_pass(card, api, contracted):
    response = card.post(
        reverse("deals:payment_add", args=[contracted.pk]),
        {"paid_on": SIGNED.isoformat(), "amount": "40000", "method": "cash"},
    )
    assert response.status_code == 302
    # Tomorrow by Moscow's clock is already today in a branch further east; the top of the range is allowed.
    body = {"deal": contracted.pk, "paid_on": (TODAY + timedelta(days=1)).isoformat(), "method": "transfer"}
    assert api.post(reverse("api-payments"), {**body, "amount": "100000000.00"}, format="json").status_code == 201
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [Decimal("40000"), Decimal("100000000")]


def test_payment_without_contract_date_is_bounded_by_the_deals_opening(contracted, manager_msk, api):
    # A deal imported from the Disk at a contracted stage carries no contract date.
    Deal.objects.filter(pk=contracted.pk).update(contract_date=None)
    opened = timezone.localdate(Deal.objects.get(pk=contracted.pk).created_at)
    earliest = opened.replace(year=opened.year - 5)
    body = {"deal": contracted.pk, "amount": "100", "method": "cash"}
    refused = api.post(
        reverse("api-payments"), {**body, "paid_on": (earliest - timedelta(days=1)).isoformat()}, format="json"
    )
    assert refused.json() == {"paid_on": [f"Дата платежа не может быть раньше {d(earliest)}."]}
    accepted = api.post(reverse("api-payments"), {**body, "paid_on": earliest.isoformat()}, format="json")
    assert accepted.status_code == 201
    assert Payment.objects.count() == 1


def with_rows(content: bytes, rows) -> bytes:
    wb = load_workbook(BytesIO(content))
    for row in rows:
        wb.active.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def payment_row(deal, paid_on, amount):
    return [None, deal.pk, None, None, None, None, None, paid_on, amount, "Наличные"]


def test_excel_import_reports_absurd_rows_by_line_and_column(contracted, manager_msk):
    exported = payments_export(user=manager_msk)
    bad = with_rows(
        exported,
        [
            payment_row(contracted, "01.01.0001", "100"),
            payment_row(contracted, "01.01.1900", "100"),
            payment_row(contracted, d(TODAY), "9999999999,99"),
            payment_row(contracted, d(TODAY), "500"),
        ],
    )
    with pytest.raises(ImportRefused) as err:
        payments_import(user=manager_msk, content=bad)
    assert [str(e) for e in err.value.errors] == [
        "Строка 2, столбец «Дата платежа»: Дата платежа не может быть раньше 01.01.2000",
        "Строка 3, столбец «Дата платежа»: Дата платежа не может быть раньше 01.01.2000",
        f"Строка 4, столбец «Сумма, ₽»: Сумма платежа — {FAR.rstrip('.')}",
    ]
    assert Payment.objects.count() == 0


def test_excel_import_refuses_a_payment_before_the_contract(contracted, manager_msk):
    early = with_rows(
        payments_export(user=manager_msk),
        [payment_row(contracted, d(TODAY), "500"), payment_row(contracted, d(SIGNED - timedelta(days=1)), "500")],
    )
    with pytest.raises(ImportRefused) as err:
        payments_import(user=manager_msk, content=early)
    assert [str(e) for e in err.value.errors] == [
        f"Строка 3, столбец «Дата платежа»: Дата платежа не может быть раньше даты договора ({d(SIGNED)})"
    ]
    assert Payment.objects.count() == 0


# --- the contract: date and fee -----------------------------------------------------------------

BAD_CONTRACTS = [
    ({"contract_date": "1000-01-01"}, "contract_date", "Дата договора не может быть раньше 01.01.2000."),
    ({"contract_date": "1900-01-01"}, "contract_date", "Дата договора не может быть раньше 01.01.2000."),
    ({"contract_date": IN_TWO_DAYS}, "contract_date", "Дата договора не может быть в будущем."),
    ({"fee": "9999999999.99"}, "fee", f"Стоимость услуг — {FAR}"),
    ({"fee": "0"}, "fee", "Стоимость услуг должна быть больше нуля."),
]


@pytest.mark.parametrize("fields, field, message", BAD_CONTRACTS)
def test_move_form_refuses_absurd_contract(card, deal, fields, field, message):
    before = unchanged(deal)
    response = move_form(card, deal, "db_prep_court", **contract_fields(**fields))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert unchanged(deal) == before


@pytest.mark.parametrize("fields, field, message", BAD_CONTRACTS)
def test_move_api_refuses_absurd_contract(api, deal, fields, field, message):
    before = unchanged(deal)
    response = move_api(api, deal, "db_prep_court", **contract_fields(**fields))
    assert response.status_code == 400
    assert response.json() == {field: [message]}
    assert unchanged(deal) == before


def test_sensible_contract_still_passes(card, api, deal, manager_msk):
    assert move_form(card, deal, "db_prep_court", **contract_fields(fee="100000000")).status_code == 200
    fresh = Deal.objects.get(pk=deal.pk)
    assert (fresh.stage, fresh.contract_date, fresh.fee) == ("db_prep_court", SIGNED, Decimal("100000000"))
    other = make_deal(manager=manager_msk, last_name="Другой", phones=["+79160000099"])
    ok = move_api(api, other, "db_prep_court", **contract_fields(contract_date=TODAY.isoformat()))
    assert ok.status_code == 200
    assert ok.json()["contract_date"] == TODAY.isoformat()


# --- the case: filing, outcome, hearings, debts ------------------------------------------------------

COURT = {"court": "Арбитражный суд г. Москвы", "case_number": "А40-123456/2026"}
BAD_FILINGS = [
    ("0001-01-01", "Дата подачи заявления не может быть раньше 01.01.2000."),
    (IN_TWO_DAYS, "Дата подачи заявления не может быть в будущем."),
    (BEFORE_CONTRACT, "Заявление не может быть подано раньше договора."),
]


@pytest.mark.parametrize("filing_date, message", BAD_FILINGS)
def test_filing_date_is_bounded_in_the_form_and_the_api(card, api, contracted, filing_date, message):
    before = unchanged(contracted)
    response = move_form(card, contracted, "db_in_court", **COURT, filing_date=filing_date)
    assert response.status_code == 422
    assert message in response.content.decode()
    response = move_api(api, contracted, "db_in_court", **COURT, filing_date=filing_date)
    assert (response.status_code, response.json()) == (400, {"filing_date": [message]})
    assert unchanged(contracted) == before


def test_sensible_filing_date_passes(api, contracted):
    response = move_api(api, contracted, "db_in_court", **COURT, filing_date=SIGNED.isoformat())
    assert (response.status_code, response.json()["filing_date"]) == (200, SIGNED.isoformat())


def test_outcome_date_is_bounded(api, manager_msk):
    deal = make_deal(manager=manager_msk, service_line="du")
    move_api(api, deal, "du_contracted", **contract_fields())
    response = move_api(api, deal, "du_done", outcome_date="1900-01-01")
    assert (response.status_code, response.json()) == (
        400,
        {"outcome_date": ["Дата завершения не может быть раньше 01.01.2000."]},
    )
    assert Deal.objects.get(pk=deal.pk).stage == "du_contracted"
    assert move_api(api, deal, "du_done", outcome_date=TODAY.isoformat()).status_code == 200


LATEST_HEARING = years_ahead(5)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("date", "0001-01-01T10:00", "Дата заседания не может быть раньше 01.01.2000."),
        ("date", "1900-01-01T10:00", "Дата заседания не может быть раньше 01.01.2000."),
        ("date", "9999-12-31T10:00", f"Дата заседания — не позже {d(LATEST_HEARING)} (через 5 лет)."),
        ("next_date", "9999-12-31T10:00", f"Дата заседания — не позже {d(LATEST_HEARING)} (через 5 лет)."),
    ],
)
def test_hearing_form_refuses_absurd_dates(card, contracted, field, value, message):
    data = {"date": f"{TODAY + timedelta(days=20):%Y-%m-%d}T10:00", field: value}
    response = card.post(reverse("deals:hearing_add", args=[contracted.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Hearing.objects.count() == 0


def test_sensible_hearing_passes(card, contracted):
    data = {"date": f"{TODAY + timedelta(days=20):%Y-%m-%d}T10:00", "next_date": f"{LATEST_HEARING:%Y-%m-%d}T10:00"}
    assert card.post(reverse("deals:hearing_add", args=[contracted.pk]), data).status_code == 302
    assert Hearing.objects.count() == 1


DEBT_FAR = "не больше 10 000 000 000 ₽: проверьте, нет ли лишних цифр."


@pytest.mark.parametrize(
    "amount, message",
    [("20000000000", f"Сумма долга — {DEBT_FAR}"), ("0", "Сумма долга должна быть больше нуля.")],
)
def test_creditor_form_refuses_absurd_amounts(card, contracted, amount, message):
    data = {"name": "ПАО Банк", "inn": "7707083893", "kind": "bank", "amount": amount}
    response = card.post(reverse("deals:creditor_add", args=[contracted.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Creditor.objects.count() == 0
    assert Deal.objects.get(pk=contracted.pk).total_debt is None


@pytest.mark.parametrize(
    "total_debt, message",
    [("20000000000", f"Сумма долга — {DEBT_FAR}"), ("-1", "Сумма долга не может быть отрицательной.")],
)
def test_case_form_refuses_absurd_total_debt(card, contracted, total_debt, message):
    response = card.post(reverse("deals:case", args=[contracted.pk]), {"title": "БФЛ", "total_debt": total_debt})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Deal.objects.get(pk=contracted.pk).total_debt is None


def test_sensible_debts_pass(card, contracted):
    data = {"name": "ПАО Банк", "inn": "7707083893", "kind": "bank", "amount": "10000000000"}
    assert card.post(reverse("deals:creditor_add", args=[contracted.pk]), data).status_code == 302
    assert Deal.objects.get(pk=contracted.pk).total_debt == Decimal("10000000000")
    assert card.post(reverse("deals:case", args=[contracted.pk]), {"total_debt": "0"}).status_code == 302
    assert Deal.objects.get(pk=contracted.pk).total_debt == Decimal("0")


# --- the fee schedule ---------------------------------------------------------------------------

LATEST_DUE = years_ahead(10)


@pytest.mark.parametrize(
    "lines, message",
    [
        ("01.01.0001 120000", "Строка 1: Срок платежа 01.01.0001 раньше 01.01.2000."),
        (
            f"{d(TODAY)} 60000\n{d(LATEST_DUE + timedelta(days=1))} 60000",
            f"Строка 2: Срок платежа {d(LATEST_DUE + timedelta(days=1))} — дальше 10 лет (не позже {d(LATEST_DUE)}).",
        ),
        (f"{d(TODAY)} 9999999999,99", f"Строка 1: Сумма платежа — {FAR}"),
        (
            f"{d(SIGNED - timedelta(days=1))} 120000",
            f"Срок платежа {d(SIGNED - timedelta(days=1))} раньше даты договора ({d(SIGNED)}).",
        ),
    ],
)
def test_schedule_form_refuses_absurd_lines(card, contracted, lines, message):
    response = card.post(reverse("deals:schedule", args=[contracted.pk]), {"lines": lines})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Instalment.objects.count() == 0


def test_sensible_schedule_passes(card, contracted):
    lines = f"{d(SIGNED)} 60000\n{d(LATEST_DUE)} 60000"
    assert card.post(reverse("deals:schedule", args=[contracted.pk]), {"lines": lines}).status_code == 302
    assert list(Instalment.objects.values_list("due_date", flat=True)) == [SIGNED, LATEST_DUE]
