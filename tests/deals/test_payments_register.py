"""The payments register (/payments/): rows, filters, totals, paging, the Excel file, who may open it."""

import io
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from crm.models import AuditEntry, User
from deals import selectors
from deals.models import Instalment, Payment
from deals.payments_excel import REGISTER_HEADERS, register_row_values
from deals.services import deal_move_to_stage, payment_record, schedule_set
from tests.factories import make_deal

MSK = ZoneInfo("Europe/Moscow")
TODAY = date(2026, 12, 10)
REGISTER = "/payments/"
EXPORT = "/payments/export/"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(datetime(2026, 12, 10, 11, 0, tzinfo=MSK), tick=False):
        yield


def contracted(manager, name, fee="90000"):
    deal = make_deal(manager=manager, last_name=name)
    deal_move_to_stage(
        deal=deal,
        stage="db_prep_court",
        by=manager,
        data={"contract_number": f"ДБ-{name}", "contract_date": date(2026, 9, 1), "fee": Decimal(fee)},
    )
    return deal


@pytest.fixture
def book(manager_msk, manager2_msk, manager_spb):
    """Three managers' deals with schedules and payments in October–January."""
    deals = {}
    for manager, name in [(manager_msk, "Громова"), (manager2_msk, "Ильин"), (manager_spb, "Осипова")]:
        deal = contracted(manager, name)
        schedule_set(
            deal=deal,
            by=manager,
            items=[
                (date(2026, 10, 15), Decimal("30000")),
                (date(2026, 11, 15), Decimal("30000")),
                (date(2026, 12, 20), Decimal("30000")),
            ],
        )
        deals[name] = deal
    payment_record(
        deal=deals["Громова"], by=manager_msk, paid_on=date(2026, 10, 14), amount=Decimal("30000"), method="cash"
    )
    payment_record(
        deal=deals["Громова"],
        by=manager_msk,
        paid_on=date(2026, 12, 2),
        amount=Decimal("10000"),
        method="card",
        comment='=HYPERLINK("x")',
    )
    payment_record(
        deal=deals["Ильин"], by=manager2_msk, paid_on=date(2026, 12, 5), amount=Decimal("45000"), method="transfer"
    )
    payment_record(
        deal=deals["Осипова"], by=manager_spb, paid_on=date(2026, 12, 1), amount=Decimal("5000"), method="cash"
    )
    return deals


def expected(user_deals, *, start, end, method="", overdue_only=False):
    """The hand count: rows and totals computed from the stored rows, not through the selector."""
    payments = [
        p
        for p in Payment.objects.filter(deal__in=user_deals)
        if start <= p.paid_on <= end and (not method or p.method == method) and not overdue_only
    ]
    instalments = [
        i
        for i in Instalment.objects.filter(deal__in=user_deals)
        if start <= i.due_date <= end and i.paid_amount < i.amount and not method
        and (not overdue_only or i.due_date < TODAY)
    ]  # fmt: skip
    return {
        "payments": {p.pk for p in payments},
        "instalments": {i.pk for i in instalments},
        "received": sum((p.amount for p in payments), Decimal("0")),
        "due": sum((i.amount - i.paid_amount for i in instalments), Decimal("0")),
        "overdue": sum((i.amount - i.paid_amount for i in instalments if i.due_date < TODAY), Decimal("0")),
    }


def shown(response):
    rows = response.context["rows"]
    return {r.pk for r in rows if r.kind == "payment"}, {r.pk for r in rows if r.kind == "instalment"}


def totals_of(response):
    return response.context["totals"]


def plain(values):
    """A row as comparable values: Excel gives dates back as datetimes, money as floats, "" as None."""
    out = []
    for v in values:
        if isinstance(v, datetime):
            v = v.date()
        elif isinstance(v, float | int | Decimal) and not isinstance(v, bool):
            v = Decimal(str(v))
        elif v == "":
            v = None
        out.append(v)
    return out


def rub(amount):
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",") + " ₽"


@pytest.mark.parametrize(
    "query, start, end, method, overdue",
    [
        ({}, date(2026, 12, 1), date(2026, 12, 31), "", False),  # this month by default
        ({"date_from": "2026-10-01", "date_to": "2026-12-31"}, date(2026, 10, 1), date(2026, 12, 31), "", False),
        ({"date_from": "2026-10-01", "method": "cash"}, date(2026, 10, 1), date(2100, 12, 31), "cash", False),
        ({"overdue": "on"}, date(2000, 1, 1), TODAY, "", True),  # all time up to today
        ({"overdue": "on", "date_from": "2026-11-01"}, date(2026, 11, 1), date(2100, 12, 31), "", True),
    ],
)
def test_manager_sees_own_rows_and_totals_equal_the_hand_count(
    book, web, manager_msk, query, start, end, method, overdue
):
    web.force_login(manager_msk)
    response = web.get(REGISTER, query)
    assert response.status_code == 200
    want = expected([book["Громова"]], start=start, end=end, method=method, overdue_only=overdue)
    assert shown(response) == (want["payments"], want["instalments"])
    totals = totals_of(response)
    assert (totals["received"], totals["due"], totals["overdue"]) == (
        rub(want["received"]),
        rub(want["due"]),
        rub(want["overdue"]),
    )
    assert totals["rows"] == len(want["payments"]) + len(want["instalments"])


def test_the_default_month_by_hand(book, web, manager_msk):
    """The same figures written out: 40 000 paid covers October (30 000) and 10 000 of November;
    December holds the 10 000 card payment and the 20 Dec instalment, owed in full (30 000)."""
    web.force_login(manager_msk)
    body = web.get(REGISTER).content.decode()
    totals = web.get(REGISTER).context["totals"]
    assert totals == {"received": "10 000,00 ₽", "due": "30 000,00 ₽", "overdue": "0,00 ₽", "rows": 2}
    assert "Громова" in body and "Ильин" not in body and "Осипова" not in body


def test_overdue_only_by_hand(book, web, manager2_msk):
    # Ильин paid 45 000 on a 30 000 + 30 000 + 30 000 schedule: October paid, November half paid.
    web.force_login(manager2_msk)
    response = web.get(REGISTER, {"overdue": "on"})
    assert [(r.kind, r.on, r.amount, r.overdue) for r in response.context["rows"]] == [
        ("instalment", date(2026, 11, 15), Decimal("15000.00"), True)
    ]
    assert response.context["totals"]["overdue"] == "15 000,00 ₽"
    assert response.context["totals"]["received"] == "0,00 ₽"


def test_head_sees_the_branch_and_may_narrow_to_a_manager(book, web, head_msk, manager2_msk):
    web.force_login(head_msk)
    period = {"date_from": "2026-10-01", "date_to": "2026-12-31"}
    want = expected([book["Громова"], book["Ильин"]], start=date(2026, 10, 1), end=date(2026, 12, 31))
    assert shown(web.get(REGISTER, period)) == (want["payments"], want["instalments"])
    one = expected([book["Ильин"]], start=date(2026, 10, 1), end=date(2026, 12, 31))
    response = web.get(REGISTER, {**period, "manager": manager2_msk.pk})
    assert shown(response) == (one["payments"], one["instalments"])
    assert response.context["totals"]["received"] == rub(one["received"])


def test_head_cannot_reach_another_branch_by_its_filters(book, web, head_msk, manager_spb, spb):
    web.force_login(head_msk)
    for query in ({"manager": manager_spb.pk}, {"branch": spb.pk}):
        response = web.get(REGISTER, {"date_from": "2026-10-01", **query})
        payments, instalments = shown(response)
        assert not payments & set(Payment.objects.filter(deal=book["Осипова"]).values_list("pk", flat=True))
        assert not instalments & set(Instalment.objects.filter(deal=book["Осипова"]).values_list("pk", flat=True))


def test_director_sees_all_and_filters_by_branch(book, web, director, spb):
    web.force_login(director)
    period = {"date_from": "2026-10-01", "date_to": "2026-12-31"}
    everything = expected(list(book.values()), start=date(2026, 10, 1), end=date(2026, 12, 31))
    assert shown(web.get(REGISTER, period)) == (everything["payments"], everything["instalments"])
    spb_only = expected([book["Осипова"]], start=date(2026, 10, 1), end=date(2026, 12, 31))
    response = web.get(REGISTER, {**period, "branch": spb.pk})
    assert shown(response) == (spb_only["payments"], spb_only["instalments"])
    assert response.context["totals"]["due"] == rub(spb_only["due"])


@pytest.mark.parametrize("query", [{"date_from": "0001-01-01"}, {"date_to": "9999-12-31"}])
def test_an_absurd_period_is_a_form_error_not_a_500(book, web, manager_msk, query):
    web.force_login(manager_msk)
    response = web.get(REGISTER, query)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["filters"].date_from == date(2026, 12, 1)


def test_paging_walks_every_row_once_in_order(book, web, director, monkeypatch):
    monkeypatch.setattr(selectors, "REGISTER_PAGE", 2)
    web.force_login(director)
    query = {"date_from": "2026-10-01", "date_to": "2026-12-31"}
    response = web.get(REGISTER, query)
    rows = list(response.context["rows"])
    next_query = response.context["next_query"]
    while next_query:
        page = web.get(f"{REGISTER}?{next_query}", headers={"HX-Request": "true"})
        assert page.templates[0].name == "deals/_register_rows.html"
        rows += page.context["rows"]
        next_query = page.context["next_query"]
    everything = expected(list(book.values()), start=date(2026, 10, 1), end=date(2026, 12, 31))
    assert len(rows) == len(everything["payments"]) + len(everything["instalments"])
    assert [r.sort_key for r in rows] == sorted(r.sort_key for r in rows)
    assert len({(r.kind, r.pk) for r in rows}) == len(rows)


def test_excel_equals_the_rows_shown_and_is_audited(book, web, head_msk, monkeypatch):
    monkeypatch.setattr(selectors, "REGISTER_PAGE", 3)
    web.force_login(head_msk)
    query = {"date_from": "2026-10-01", "date_to": "2026-12-31"}
    response = web.get(REGISTER, query)
    rows = list(response.context["rows"])
    next_query = response.context["next_query"]
    while next_query:
        page = web.get(f"{REGISTER}?{next_query}", headers={"HX-Request": "true"})
        rows += page.context["rows"]
        next_query = page.context["next_query"]
    before = AuditEntry.objects.count()
    exported = web.get(EXPORT, query)
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(BytesIO(exported.content))
    ws = wb["Реестр платежей"]
    lines = list(ws.iter_rows(values_only=True))
    assert list(lines[0]) == REGISTER_HEADERS

    assert [plain(line) for line in lines[1:]] == [plain(register_row_values(r)) for r in rows]
    # The comment that looks like a formula stays text.
    comment = next(c for c in ws["L"] if c.value and str(c.value).startswith("="))
    assert comment.data_type == "s"
    sums = {r[0]: r[1] for r in wb["Итоги"].iter_rows(values_only=True)}
    want = expected([book["Громова"], book["Ильин"]], start=date(2026, 10, 1), end=date(2026, 12, 31))
    assert Decimal(str(sums["Получено, ₽"])) == want["received"]
    assert Decimal(str(sums["К оплате по графику, ₽"])) == want["due"]
    assert sums["Строк"] == len(rows)
    entry = AuditEntry.objects.order_by("-id").first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.target_type, entry.actor_id) == (AuditEntry.Action.EXPORT, "deals.payment", head_msk.pk)
    assert entry.changes["rows"] == len(rows)


def test_excel_of_overdue_only_carries_only_overdue_instalments(book, web, manager_msk):
    web.force_login(manager_msk)
    ws = load_workbook(BytesIO(web.get(EXPORT, {"overdue": "on"}).content))["Реестр платежей"]
    data = list(ws.iter_rows(min_row=2, values_only=True))
    assert data and all(row[1] == "По графику" and row[10] == "да" for row in data)
    assert {row[2] for row in data} == {book["Громова"].pk}


@pytest.mark.parametrize("who", ["lawyer_msk", "admin_user", "call_centre", "office_manager"])
def test_other_roles_are_refused_and_nothing_is_written(book, web, request, who):
    web.force_login(request.getfixturevalue(who))
    before = AuditEntry.objects.count()
    assert web.get(REGISTER).status_code == 403
    assert web.get(EXPORT, {"date_from": "2026-01-01"}).status_code == 403
    assert AuditEntry.objects.count() == before


def test_anonymous_is_sent_to_log_in(web):
    response = web.get(REGISTER)
    assert response.status_code == 302 and "login" in response["Location"]


def test_menu_platezhi_opens_the_register(book, web, manager_msk):
    web.force_login(manager_msk)
    body = web.get(reverse("home")).content.decode()
    assert f'href="{reverse("payments:register")}"' in body
    register = web.get(reverse("payments:register")).content.decode()
    # The Excel table (download and upload) is one click away.
    assert reverse("deals:payments_table") in register


def test_register_query_count_is_fixed(book, web, manager_msk, director, query_count):
    web.force_login(manager_msk)
    web.get(REGISTER)  # warm the session
    # session, user, menu counters, payments page, instalments page, payments totals, instalment totals
    with query_count(7):
        web.get(REGISTER, {"date_from": "2026-10-01"})
    web.force_login(director)
    web.get(REGISTER)
    # + branches and managers for the filters
    with query_count(9):
        web.get(REGISTER, {"date_from": "2026-10-01"})


# --- the demo office --------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["manager.msk", "rop.msk", "director"])
def test_totals_on_the_demo_data_equal_a_hand_count(db, web, login):
    call_command("seed_demo", stdout=io.StringIO())
    user = User.objects.get(username=login)
    web.force_login(user)
    visible = list(selectors.deals_visible_to(user))
    for query, start, end, overdue in [
        ({"date_from": "2000-01-01", "date_to": "2100-12-31"}, date(2000, 1, 1), date(2100, 12, 31), False),
        ({"overdue": "on"}, date(2000, 1, 1), TODAY, True),
    ]:
        response = web.get(REGISTER, query)
        want = expected(visible, start=start, end=end, overdue_only=overdue)
        assert want["received"] or want["due"]
        assert shown(response) == (want["payments"], want["instalments"])
        totals = response.context["totals"]
        assert (totals["received"], totals["due"], totals["overdue"]) == (
            rub(want["received"]),
            rub(want["due"]),
            rub(want["overdue"]),
        )
