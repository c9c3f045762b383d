"""The payments dashboard (/reports/analytics/payments/, /api/v1/analytics/payments/): expected and received
by month, collection, overdue instalments by manager or branch and the longest overdue, as a hand count of
four deals' schedules and payments; who may read it, the filters, the Excel file and the query count."""

import re
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from deals.services import deal_create, deal_move_to_stage, payment_record, schedule_set
from reports.analytics import payments
from reports.analytics.base import Filters
from tests.conftest import token_client
from tests.factories import make_client, make_deal

MSK = ZoneInfo("Europe/Moscow")
MONEY_TEXT = re.compile(r"-?\d+\.\d\d")  # how the API writes roubles
PAGE = "/reports/analytics/payments/"
API = "/api/v1/analytics/payments/"
PERIOD = {"date_from": "2026-10-01", "date_to": "2026-12-31"}
SCHEDULE = [
    (date(2026, 10, 15), Decimal("30000")),
    (date(2026, 11, 15), Decimal("30000")),
    (date(2026, 12, 20), Decimal("30000")),
]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2026, 12, 10, 11, 0, tzinfo=MSK), tick=False):
        yield


def contract(deal, manager, number, fee="90000", stage="db_prep_court"):
    data = {"contract_number": number, "contract_date": date(2026, 9, 1), "fee": Decimal(fee)}
    return deal_move_to_stage(deal=deal, stage=stage, by=manager, data=data)


@pytest.fixture
def book(manager_msk, manager2_msk, manager_spb):
    """Moscow: Громова and Лаптев (Иванов), Ильин (Петрова); St Petersburg: Осипова (Соколов).

    Money is spread oldest instalment first, so after the payments below:
    Громова 40 000 paid → 15.10 paid, 15.11 10 000 of 30 000, 20.12 nothing;
    Ильин 45 000 → 15.10 paid, 15.11 15 000; Осипова 5 000 → 15.10 5 000;
    Лаптев (ДУ, by referral) 20 000 in September → 20.09 paid, 20.11 nothing.
    """
    deals = {}
    for manager, name in [(manager_msk, "Громова"), (manager2_msk, "Ильин"), (manager_spb, "Осипова")]:
        deal = contract(make_deal(manager=manager, last_name=name), manager, f"ДБ-{name}")
        schedule_set(deal=deal, by=manager, items=SCHEDULE)
        deals[name] = deal
    client = make_client(manager=manager_msk, last_name="Лаптев", phones=("+79160000077",))
    laptev = deal_create(by=manager_msk, client=client, service_line="du", manager=manager_msk, source="referral")
    contract(laptev, manager_msk, "ДУ-1", fee="60000", stage="du_contracted")
    schedule_set(
        deal=laptev,
        by=manager_msk,
        items=[(date(2026, 9, 20), Decimal("20000")), (date(2026, 11, 20), Decimal("40000"))],
    )
    deals["Лаптев"] = laptev
    for name, who, paid_on, amount in [
        ("Громова", manager_msk, date(2026, 10, 14), "30000"),
        ("Громова", manager_msk, date(2026, 12, 2), "10000"),
        ("Ильин", manager2_msk, date(2026, 12, 5), "45000"),
        ("Осипова", manager_spb, date(2026, 12, 1), "5000"),
        ("Лаптев", manager_msk, date(2026, 9, 25), "20000"),
    ]:
        payment_record(deal=deals[name], by=who, paid_on=paid_on, amount=Decimal(amount), method="cash")
    return deals


def tables(response) -> dict:
    assert response.status_code == 200, response.content
    return {t["key"]: t for t in response.json()["tables"]}


def months_of(table) -> list[tuple]:
    return [(r["month"], r["expected"], r["received"], r["collected"], r["rate"]) for r in table["rows"]]


def test_head_sees_months_of_their_branch_only(book, head_msk):
    got = tables(token_client(head_msk).get(API, PERIOD))
    # October: Громова and Ильин due 30 000 each, both paid in full by now; received Громова's 30 000.
    # November: 30 000 + 30 000 + Лаптев's 40 000; 10 000 + 15 000 + 0 collected; nothing received.
    # December: 30 000 + 30 000 due on the 20th, nothing of them collected; received 10 000 + 45 000.
    assert months_of(got["months"]) == [
        ("Октябрь 2026", "60000.00", "30000.00", "60000.00", 100.0),
        ("Ноябрь 2026", "100000.00", "0.00", "25000.00", 25.0),
        ("Декабрь 2026", "60000.00", "55000.00", "0.00", 0.0),
    ]
    assert got["months"]["totals"] == {
        "month": "Итого",
        "expected": "220000.00",
        "received": "85000.00",
        "collected": "85000.00",
        "rate": 38.6,
    }


def test_head_overdue_by_manager_and_the_longest_overdue(book, head_msk):
    got = tables(token_client(head_msk).get(API, PERIOD))
    assert got["overdue"]["title"] == "Просроченные взносы по менеджерам"
    # Иванов: Громова's 15.11 (20 000 left) and Лаптев's 20.11 (40 000); Петрова: Ильин's 15.11 (15 000).
    assert got["overdue"]["rows"] == [
        {"who": "Иванов Сергей Николаевич", "count": 2, "deals": 2, "outstanding": "60000.00", "oldest_days": 25},
        {"who": "Петрова Анна Игоревна", "count": 1, "deals": 1, "outstanding": "15000.00", "oldest_days": 25},
    ]
    assert got["overdue"]["totals"] == {
        "who": "Итого",
        "count": 3,
        "deals": 3,
        "outstanding": "75000.00",
        "oldest_days": 25,
    }
    listed = [
        (r["client"], r["due_date"], r["days"], r["amount"], r["outstanding"]) for r in got["overdue_list"]["rows"]
    ]
    assert listed == [
        ("Громова Иван Петрович", "15.11.2026", 25, "30000.00", "20000.00"),
        ("Ильин Иван Петрович", "15.11.2026", 25, "30000.00", "15000.00"),
        ("Лаптев Иван Петрович", "20.11.2026", 20, "40000.00", "40000.00"),
    ]
    assert [r["url"] for r in got["overdue_list"]["rows"]] == [
        book["Громова"].url,
        book["Ильин"].url,
        book["Лаптев"].url,
    ]


def test_director_sees_every_branch_and_overdue_by_branch(book, director, head_spb):
    got = tables(token_client(director).get(API, PERIOD))
    assert months_of(got["months"]) == [
        ("Октябрь 2026", "90000.00", "30000.00", "65000.00", 72.2),
        ("Ноябрь 2026", "130000.00", "0.00", "25000.00", 19.2),
        ("Декабрь 2026", "90000.00", "60000.00", "0.00", 0.0),
    ]
    assert got["overdue"]["title"] == "Просроченные взносы по филиалам"
    # Осипова owes 25 000 of 15.10 and 30 000 of 15.11.
    assert got["overdue"]["rows"] == [
        {"who": "Москва", "count": 3, "deals": 3, "outstanding": "75000.00", "oldest_days": 25},
        {"who": "Санкт-Петербург", "count": 2, "deals": 1, "outstanding": "55000.00", "oldest_days": 56},
    ]
    assert got["overdue"]["totals"]["outstanding"] == "130000.00"
    assert [(r["client"], r["due_date"]) for r in got["overdue_list"]["rows"]] == [
        ("Осипова Иван Петрович", "15.10.2026"),
        ("Громова Иван Петрович", "15.11.2026"),
        ("Ильин Иван Петрович", "15.11.2026"),
        ("Осипова Иван Петрович", "15.11.2026"),
        ("Лаптев Иван Петрович", "20.11.2026"),
    ]
    # The director's branch filter gives the head's figures; by manager again.
    spb = tables(token_client(director).get(API, {**PERIOD, "branch": head_spb.branch_id}))
    assert months_of(spb["months"]) == [
        ("Октябрь 2026", "30000.00", "0.00", "5000.00", 16.7),
        ("Ноябрь 2026", "30000.00", "0.00", "0.00", 0.0),
        ("Декабрь 2026", "30000.00", "5000.00", "0.00", 0.0),
    ]
    assert [(r["who"], r["outstanding"]) for r in spb["overdue"]["rows"]] == [("Соколов Павел Олегович", "55000.00")]
    assert spb == tables(token_client(head_spb).get(API, PERIOD))


def test_head_never_sees_another_branch(book, head_spb, head_msk, msk):
    got = tables(token_client(head_spb).get(API, PERIOD))
    text = str(got)
    for other in ("Громова", "Ильин", "Лаптев", "Иванов", "Петрова"):
        assert other not in text
    assert got["months"]["totals"]["expected"] == "90000.00"
    # Asking for Moscow is a filter error, not Moscow's numbers.
    refused = token_client(head_spb).get(API, {**PERIOD, "branch": msk.pk})
    assert refused.status_code == 400
    assert "tables" not in refused.json()
    page = _page(head_spb, {**PERIOD, "branch": msk.pk})
    assert page.status_code == 400
    assert page.context["dashboard"] is None


def test_filters_narrow_every_table(book, head_msk, manager2_msk):
    by_manager = tables(token_client(head_msk).get(API, {**PERIOD, "manager": manager2_msk.pk}))
    assert months_of(by_manager["months"]) == [
        ("Октябрь 2026", "30000.00", "0.00", "30000.00", 100.0),
        ("Ноябрь 2026", "30000.00", "0.00", "15000.00", 50.0),
        ("Декабрь 2026", "30000.00", "45000.00", "0.00", 0.0),
    ]
    assert [r["who"] for r in by_manager["overdue"]["rows"]] == ["Петрова Анна Игоревна"]
    assert [r["client"] for r in by_manager["overdue_list"]["rows"]] == ["Ильин Иван Петрович"]
    for narrowing in ({"pipeline": "du"}, {"source": "referral"}):
        only_laptev = tables(token_client(head_msk).get(API, {**PERIOD, **narrowing}))
        assert months_of(only_laptev["months"]) == [
            ("Октябрь 2026", "0.00", "0.00", "0.00", None),
            ("Ноябрь 2026", "40000.00", "0.00", "0.00", 0.0),
            ("Декабрь 2026", "0.00", "0.00", "0.00", None),
        ]
        assert [r["client"] for r in only_laptev["overdue_list"]["rows"]] == ["Лаптев Иван Петрович"]
    # A period of part of a month counts only its days: 1–14 November holds no instalment, 15–30 both.
    early = tables(token_client(head_msk).get(API, {"date_from": "2026-11-01", "date_to": "2026-11-14"}))
    assert months_of(early["months"]) == [("Ноябрь 2026", "0.00", "0.00", "0.00", None)]


def _page(user, params):
    web = WebClient()
    web.force_login(user)
    return web.get(PAGE, params)


def test_page_shows_the_same_numbers_and_excel_holds_them(book, head_msk):
    api = tables(token_client(head_msk).get(API, PERIOD))
    page = _page(head_msk, PERIOD)
    assert page.status_code == 200
    dashboard = page.context["dashboard"]
    assert [t.key for t in dashboard.tables] == ["months", "overdue", "overdue_list"]
    html = page.content.decode()
    assert '<td class="text-end text-nowrap">220 000,00 ₽</td>' in html  # the totals row
    assert f'href="{book["Громова"].url}"' in html

    response = _page(head_msk, {**PERIOD, "export": "xlsx"})
    assert response.status_code == 200
    book_xlsx = load_workbook(BytesIO(response.content))
    assert len(book_xlsx.sheetnames) == 3
    for sheet, key in zip(book_xlsx.worksheets, ["months", "overdue", "overdue_list"], strict=True):
        table = api[key]
        labels = [c["label"] + (", %" if c["kind"] == "percent" else "") for c in table["columns"]]
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
        header = rows.index(labels)
        expected = [[r[c["key"]] for c in table["columns"]] for r in table["rows"]]
        if table["totals"]:
            expected.append([table["totals"].get(c["key"]) for c in table["columns"]])
        assert [_plain(row) for row in rows[header + 1 :]] == [_plain(row) for row in expected]


def _plain(values):
    """Excel gives money back as numbers, the API as strings: compare as Decimals."""
    out = []
    for v in values:
        if isinstance(v, int | float) and not isinstance(v, bool):
            v = Decimal(str(v)).normalize()
        elif isinstance(v, str) and MONEY_TEXT.fullmatch(v):
            v = Decimal(v).normalize()
        out.append(v)
    return out


@pytest.mark.parametrize("who", ["manager_msk", "lawyer_msk", "call_centre", "admin_user", "office_manager"])
def test_others_are_refused(book, who, request):
    user = request.getfixturevalue(who)
    assert token_client(user).get(API, PERIOD).status_code == 403
    assert _page(user, PERIOD).status_code == 403
    assert _page(user, {**PERIOD, "export": "xlsx"}).status_code == 403


def test_a_fixed_number_of_queries(book, director, head_msk):
    filters = Filters(date_from=date(2026, 10, 1), date_to=date(2026, 12, 31))
    for user in (director, head_msk):
        with CaptureQueriesContext(connection) as ctx:
            payments.build(user, filters)
        # Money received is the rollup's: its watermark, the rolled-up sums and the rows past the watermark.
        # Expected and collected too, from the instalments' two facts read together: the stale days, the sums,
        # and those days' rows of each.
        assert len(ctx.captured_queries) == 10
