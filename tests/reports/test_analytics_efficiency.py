"""The managers' efficiency dashboard (/reports/analytics/efficiency/, /api/v1/analytics/efficiency/): first
response to new requests, «дела» done and overdue, «Мои дела» breaches, tasks on time, contracts and money,
as a hand count of ten days of work in two branches built through the services; who may read it, the
filters, the Excel file, the query count; and the lead's first response, set once by whoever acts first."""

import re
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from activities.services import activity_complete, activity_plan, clients_mark_abandoned, meeting_book, meeting_cancel
from deals.services import deal_move_to_stage, payment_record
from leads.models import Lead
from leads.services import lead_assign, lead_close, lead_convert, lead_create, lead_mark_non_target
from reports.analytics import efficiency
from reports.analytics.base import Filters
from tasks.services.creation import task_create
from tasks.services.work import task_complete
from tests.conftest import token_client
from tests.factories import make_client, make_deal

MSK = ZoneInfo("Europe/Moscow")
MONEY_TEXT = re.compile(r"-?\d+\.\d\d")  # how the API writes roubles
PAGE = "/reports/analytics/efficiency/"
API = "/api/v1/analytics/efficiency/"
PERIOD = {"date_from": "2026-12-01", "date_to": "2026-12-10"}
IVANOV, KUZNETSOV, PETROVA = "Иванов Сергей Николаевич", "Кузнецов Дмитрий Сергеевич", "Петрова Анна Игоревна"
SOKOLOV, VOLKOVA = "Соколов Павел Олегович", "Волкова Елена Андреевна"


def at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=MSK)


@pytest.fixture
def clock():
    with time_machine.travel(at(11, 1, 10), tick=False) as traveller:
        yield traveller


def lead_for(manager, call_centre, phone, name):
    lead, created = lead_create(by=call_centre, source="call", phone=phone, name=name, assigned_to=manager)
    assert created
    return lead


def contract(deal, manager, day: date, fee: str):
    data = {"contract_number": f"ДБ-{deal.pk}", "contract_date": day, "fee": Decimal(fee)}
    return deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager, data=data)


def call(manager, when, **subject):
    return activity_plan(by=manager, kind="call", planned_at=when, **subject)


def own_task(manager, deadline: date, title: str):
    return task_create(author=manager, responsible=manager, title=title, deadline=deadline)


@pytest.fixture
def work(clock, call_centre, head_msk, head_spb, manager_msk, manager2_msk, manager_spb):
    """November sets the stage; 1–10 December is the period. Times are Moscow's; today is Thursday 10.12, 11:00.

    Requests: Иванов A (answered by conversion in 3 h), B (a call done on it after 5 h, converted next day),
    C (unanswered); Петрова D (marked non-target after 1 h); Соколов E (converted after 10 h).
    «Дела» in the period: Иванов — B's call done, a call overdue, one cancelled, one later today, and busy
    time; Петрова — one done; Соколов — one overdue. Abandoned on 4.12: Забытов and Вернувшийся (Иванов,
    the latter back to work the same day), Невский (Соколов); Старых (Петрова) was abandoned in November.
    Tasks: Иванов — on time, late, overdue; Соколов — on time. Contracts: A 120 000 (Иванов, 5.12),
    E 90 000 (Соколов, 6.12); Ильин (Петрова) signed in November. Money: 50 000 on A, 30 000 on Ильин,
    10 000 on E.
    """
    make_client(manager=manager2_msk, last_name="Старых")
    clock.move_to(at(11, 15, 10))
    clients_mark_abandoned()
    clock.move_to(at(11, 20, 10))
    forgotten = make_client(manager=manager_msk, last_name="Забытов")
    returned = make_client(manager=manager_msk, last_name="Вернувшийся")
    make_client(manager=manager_spb, last_name="Невский")
    lead_for(manager_msk, call_centre, "+79160000099", "Ранний")  # before the period: not counted
    ilyin = make_deal(manager=manager2_msk, last_name="Ильин")
    clock.move_to(at(11, 25, 10))
    contract(ilyin, manager2_msk, date(2026, 11, 25), "60000")

    clock.move_to(at(12, 2, 9))
    lead_a = lead_for(manager_msk, call_centre, "+79160000001", "Алексеев")
    clock.move_to(at(12, 2, 10))
    lead_e = lead_for(manager_spb, call_centre, "+79160000005", "Егоров")
    clock.move_to(at(12, 2, 12))
    deal_a = lead_convert(
        lead=lead_a,
        by=manager_msk,
        service_line="db",
        manager=manager_msk,
        client_data={"last_name": "Алексеев", "first_name": "Иван"},
    )
    on_time = own_task(manager_msk, date(2026, 12, 3), "В срок")
    late = own_task(manager_msk, date(2026, 12, 4), "С опозданием")
    clock.move_to(at(12, 2, 20))
    deal_e = lead_convert(
        lead=lead_e,
        by=manager_spb,
        service_line="db",
        manager=manager_spb,
        client_data={"last_name": "Егоров", "first_name": "Иван"},
    )

    clock.move_to(at(12, 3, 10))
    lead_b = lead_for(manager_msk, call_centre, "+79160000002", "Борисов")
    b_call = call(manager_msk, at(12, 3, 15), lead=lead_b)
    task_complete(task=on_time, by=manager_msk)
    spb_task = own_task(manager_spb, date(2026, 12, 4), "Питерская")
    task_complete(task=spb_task, by=manager_spb)
    clock.move_to(at(12, 3, 15))
    activity_complete(activity=b_call, by=manager_msk, result="Дозвонился, записал на консультацию")

    clock.move_to(at(12, 4, 10))
    lead_for(manager_msk, call_centre, "+79160000003", "Васильев")
    assert clients_mark_abandoned() == 3
    deal_b = lead_convert(
        lead=lead_b,
        by=manager_msk,
        service_line="db",
        manager=manager_msk,
        client_data={"last_name": "Борисов", "first_name": "Иван"},
    )
    clock.move_to(at(12, 4, 11))
    returned.refresh_from_db()  # abandoned now, as a page would load it
    call(manager_msk, at(12, 14, 10), client=returned)  # back to work; the call is outside the period

    clock.move_to(at(12, 5, 10))
    lead_d = lead_for(manager2_msk, call_centre, "+79160000004", "Дмитриев")
    clock.move_to(at(12, 5, 11))
    lead_mark_non_target(lead=lead_d, by=manager2_msk, reason="Предлагают рекламу")
    contract(deal_a, manager_msk, date(2026, 12, 5), "120000")

    clock.move_to(at(12, 6, 10))
    contract(deal_e, manager_spb, date(2026, 12, 6), "90000")
    payment_record(deal=deal_e, by=manager_spb, paid_on=date(2026, 12, 6), amount=Decimal("10000"), method="cash")
    petrova_call = call(manager2_msk, at(12, 6, 12), deal=ilyin)
    call(manager_spb, at(12, 6, 12), deal=deal_e)
    clock.move_to(at(12, 6, 12, 30))
    activity_complete(activity=petrova_call, by=manager2_msk, result="Обсудили график")

    clock.move_to(at(12, 7, 9))
    payment_record(deal=deal_a, by=manager_msk, paid_on=date(2026, 12, 7), amount=Decimal("50000"), method="card")
    call(manager_msk, at(12, 8, 10), deal=deal_a)
    cancelled = call(manager_msk, at(12, 9, 12), deal=deal_b)
    call(manager_msk, at(12, 10, 15), deal=deal_a)
    meeting_book(by=manager_msk, manager=manager_msk, kind="busy", starts_at=at(12, 9, 10), ends_at=at(12, 9, 11))
    own_task(manager_msk, date(2026, 12, 8), "Просроченная")
    task_complete(task=late, by=manager_msk)

    clock.move_to(at(12, 8, 9))
    payment_record(deal=ilyin, by=manager2_msk, paid_on=date(2026, 12, 8), amount=Decimal("30000"), method="cash")
    meeting_cancel(activity=cancelled, by=manager_msk, reason="Клиент попросил перенести")

    clock.move_to(at(12, 10, 11))
    assert forgotten.pk
    return {"lead_b": lead_b}


ZERO_ROW = {
    "leads": 0,
    "response_hours": None,
    "unanswered": 0,
    "acts_planned": 0,
    "acts_done": 0,
    "acts_overdue": 0,
    "acts_cancelled": 0,
    "acts_done_pct": None,
    "abandoned": 0,
    "deals_no_plan": 0,
    "tasks_on_time": 0,
    "tasks_late": 0,
    "tasks_overdue": 0,
    "tasks_on_time_pct": None,
    "contracts": 0,
    "fees": "0.00",
    "money": "0.00",
}
# Иванов: A 3 h and B 5 h → 4 h; C unanswered. Four «дела» (busy time is none): done, overdue, cancelled, later
# today → 1 of 2 due. Забытов abandoned; deal B has nothing planned (deal A has today's call). Tasks 1/1/1.
IVANOV_ROW = {
    "who": IVANOV,
    "leads": 3,
    "response_hours": 4.0,
    "unanswered": 1,
    "acts_planned": 4,
    "acts_done": 1,
    "acts_overdue": 1,
    "acts_cancelled": 1,
    "acts_done_pct": 50.0,
    "abandoned": 1,
    "deals_no_plan": 1,
    "tasks_on_time": 1,
    "tasks_late": 1,
    "tasks_overdue": 1,
    "tasks_on_time_pct": 33.3,
    "contracts": 1,
    "fees": "120000.00",
    "money": "50000.00",
}
# Петрова: D answered in 1 h; one «дело» done; Ильин's deal has nothing planned; Старых was abandoned
# before the period. Ильин was signed in November, paid in December.
PETROVA_ROW = ZERO_ROW | {
    "who": PETROVA,
    "leads": 1,
    "response_hours": 1.0,
    "acts_planned": 1,
    "acts_done": 1,
    "acts_done_pct": 100.0,
    "deals_no_plan": 1,
    "money": "30000.00",
}
SOKOLOV_ROW = ZERO_ROW | {
    "who": SOKOLOV,
    "leads": 1,
    "response_hours": 10.0,
    "acts_planned": 1,
    "acts_overdue": 1,
    "acts_done_pct": 0.0,
    "abandoned": 1,
    "deals_no_plan": 1,
    "tasks_on_time": 1,
    "tasks_on_time_pct": 100.0,
    "contracts": 1,
    "fees": "90000.00",
    "money": "10000.00",
}


def table(response) -> dict:
    assert response.status_code == 200, response.content
    tables = response.json()["tables"]
    assert [t["key"] for t in tables] == ["managers"]
    return tables[0]


def test_head_sees_each_manager_of_the_branch(work, head_msk):
    got = table(token_client(head_msk).get(API, PERIOD))
    assert "branch" not in [c["key"] for c in got["columns"]]
    assert got["rows"] == [IVANOV_ROW, ZERO_ROW | {"who": KUZNETSOV}, PETROVA_ROW]
    assert got["totals"] == {
        "who": "Итого",
        "leads": 4,
        "response_hours": 3.0,  # the median of 3, 5 and 1 hours
        "unanswered": 1,
        "acts_planned": 5,
        "acts_done": 2,
        "acts_overdue": 1,
        "acts_cancelled": 1,
        "acts_done_pct": 66.7,
        "abandoned": 1,
        "deals_no_plan": 2,
        "tasks_on_time": 1,
        "tasks_late": 1,
        "tasks_overdue": 1,
        "tasks_on_time_pct": 33.3,
        "contracts": 1,
        "fees": "120000.00",
        "money": "80000.00",
    }


def test_director_sees_every_branch_with_the_branch_column(work, director, msk, spb):
    got = table(token_client(director).get(API, PERIOD))
    assert [c["key"] for c in got["columns"]][:2] == ["who", "branch"]
    assert got["rows"] == [
        ZERO_ROW | {"who": VOLKOVA, "branch": "Санкт-Петербург"},
        IVANOV_ROW | {"branch": "Москва"},
        ZERO_ROW | {"who": KUZNETSOV, "branch": "Москва"},
        PETROVA_ROW | {"branch": "Москва"},
        SOKOLOV_ROW | {"branch": "Санкт-Петербург"},
    ]
    assert got["totals"]["response_hours"] == 4.0  # 3, 5, 1 and 10 hours
    assert (got["totals"]["leads"], got["totals"]["fees"], got["totals"]["money"]) == (5, "210000.00", "90000.00")
    spb_only = table(token_client(director).get(API, {**PERIOD, "branch": spb.pk}))
    assert spb_only["rows"] == [ZERO_ROW | {"who": VOLKOVA}, SOKOLOV_ROW]


def test_head_never_sees_another_branch(work, head_spb, msk, manager_msk):
    got = table(token_client(head_spb).get(API, PERIOD))
    assert got["rows"] == [ZERO_ROW | {"who": VOLKOVA}, SOKOLOV_ROW]
    assert got["totals"]["money"] == "10000.00"
    for params in ({"branch": msk.pk}, {"manager": manager_msk.pk}):
        refused = token_client(head_spb).get(API, {**PERIOD, **params})
        assert refused.status_code == 400
        assert "tables" not in refused.json()


def test_filters(work, head_msk, manager2_msk):
    only = table(token_client(head_msk).get(API, {**PERIOD, "manager": manager2_msk.pk}))
    assert only["rows"] == [PETROVA_ROW]
    # The pipeline narrows requests, deals, contracts and money; «дела», clients and tasks have none.
    du = table(token_client(head_msk).get(API, {**PERIOD, "pipeline": "du"}))
    unchanged = ("acts_planned", "acts_done", "acts_overdue", "acts_cancelled", "abandoned")
    narrowed = {"leads": 0, "response_hours": None, "unanswered": 0, "deals_no_plan": 0, "contracts": 0}
    ivanov = du["rows"][0]
    assert ivanov == IVANOV_ROW | narrowed | {"fees": "0.00", "money": "0.00"}
    assert {k: ivanov[k] for k in unchanged} == {k: IVANOV_ROW[k] for k in unchanged}
    assert "к делам, клиентам и задачам — нет" in du["note"]


def _page(user, params):
    web = WebClient()
    web.force_login(user)
    return web.get(PAGE, params)


def test_page_and_excel_hold_the_same_numbers(work, head_msk):
    api = table(token_client(head_msk).get(API, PERIOD))
    page = _page(head_msk, PERIOD)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<td class="text-end text-nowrap">4,0 ч</td>' in html
    assert '<td class="text-end text-nowrap">120 000,00 ₽</td>' in html

    response = _page(head_msk, {**PERIOD, "export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    labels = [c["label"] + (", %" if c["kind"] == "percent" else "") for c in api["columns"]]
    header = rows.index(labels)
    expected = [[r[c["key"]] for c in api["columns"]] for r in api["rows"]]
    expected.append([api["totals"].get(c["key"]) for c in api["columns"]])
    assert [_plain(r) for r in rows[header + 1 :]] == [_plain(r) for r in expected]


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
def test_others_are_refused(who, request):
    user = request.getfixturevalue(who)
    assert token_client(user).get(API, PERIOD).status_code == 403
    assert _page(user, PERIOD).status_code == 403
    assert _page(user, {**PERIOD, "export": "xlsx"}).status_code == 403


def test_a_fixed_number_of_queries(work, director, head_msk):
    filters = Filters(date_from=date(2026, 12, 1), date_to=date(2026, 12, 10))
    counts = []
    for user in (director, head_msk):
        with CaptureQueriesContext(connection) as ctx:
            efficiency.build(user, filters)
        counts.append(len(ctx.captured_queries))
    # Contracts and money come from the rollup: a watermark, the sums and the rows past it, for each. The
    # past days' «дела» too: the stale days, the sums, those days' rows; and on PostgreSQL the requests the
    # same way, with the two medians' middle rows.
    assert counts == ([21, 21] if connection.vendor == "postgresql" else [19, 19])


# --- the lead's first response --------------------------------------------------------------------------


def test_first_response_is_the_first_act_and_is_never_moved(clock, call_centre, head_msk, manager_msk):
    clock.move_to(at(12, 1, 9))
    lead = lead_for(None, call_centre, "+79160000010", "Первый")
    clock.move_to(at(12, 1, 10))
    # Handing it to a manager and planning a call are no answer to the caller.
    lead_assign(lead=lead, manager=manager_msk, by=head_msk)
    planned = call(manager_msk, at(12, 1, 16), lead=lead)
    assert Lead.objects.get(pk=lead.pk).first_response_at is None
    clock.move_to(at(12, 1, 16, 20))
    activity_complete(activity=planned, by=manager_msk, result="Поговорили")
    assert Lead.objects.get(pk=lead.pk).first_response_at == at(12, 1, 16, 20)
    clock.move_to(at(12, 2, 10))
    lead_convert(
        lead=lead,
        by=manager_msk,
        service_line="db",
        manager=manager_msk,
        client_data={"last_name": "Первый", "first_name": "Иван"},
    )
    assert Lead.objects.get(pk=lead.pk).first_response_at == at(12, 1, 16, 20)


@pytest.mark.parametrize("act", ["convert", "close", "non_target"])
def test_each_closing_act_answers_a_lead_first(act, clock, call_centre, head_msk, manager_msk):
    clock.move_to(at(12, 1, 9))
    lead = lead_for(manager_msk, call_centre, "+79160000011", "Второй")
    assert lead.first_response_at is None
    clock.move_to(at(12, 1, 9, 45))
    if act == "convert":
        lead_convert(
            lead=lead,
            by=manager_msk,
            service_line="du",
            manager=manager_msk,
            client_data={"last_name": "Второй", "first_name": "Иван"},
        )
    elif act == "close":
        lead_close(lead=lead, by=head_msk, reason="Ошиблись номером")
    else:
        lead_mark_non_target(lead=lead, by=manager_msk, reason="Спам")
    assert Lead.objects.get(pk=lead.pk).first_response_at == at(12, 1, 9, 45)
    # A later close (of a non-target lead, by the head) leaves the first answer where it was.
    if act == "non_target":
        clock.move_to(at(12, 3, 12))
        lead_close(lead=lead, by=head_msk, reason="Реклама")
        assert Lead.objects.get(pk=lead.pk).first_response_at == at(12, 1, 9, 45)


# --- the backfill of leads that predate the field ---------------------------------------------------------


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_backfill_takes_the_earliest_act_the_rows_still_show(call_centre, head_msk, manager_msk):
    """Taken back to before leads 0007 (the column dropped) and forward again: a lead answered by a «дело»
    gets its time, a closed one its closing, a converted one its deal's opening, whichever came first; a
    non-target or unanswered one has no time to take and stays empty."""
    with time_machine.travel(at(12, 1, 9), tick=False) as clock:
        called = lead_for(manager_msk, call_centre, "+79160000021", "Позвонили")
        converted = lead_for(manager_msk, call_centre, "+79160000022", "Сделка")
        closed = lead_for(manager_msk, call_centre, "+79160000023", "Закрыт")
        spam = lead_for(manager_msk, call_centre, "+79160000024", "Спам")
        waiting = lead_for(manager_msk, call_centre, "+79160000025", "Ждёт")
        first_call = call(manager_msk, at(12, 1, 11), lead=called)
        clock.move_to(at(12, 1, 11, 5))
        activity_complete(activity=first_call, by=manager_msk, result="Поговорили")
        clock.move_to(at(12, 1, 12))
        lead_convert(
            lead=called,
            by=manager_msk,
            service_line="db",
            manager=manager_msk,
            client_data={"last_name": "Позвонили", "first_name": "Иван"},
        )
        clock.move_to(at(12, 1, 13))
        lead_convert(
            lead=converted,
            by=manager_msk,
            service_line="du",
            manager=manager_msk,
            client_data={"last_name": "Сделка", "first_name": "Иван"},
        )
        clock.move_to(at(12, 1, 14))
        lead_close(lead=closed, by=head_msk, reason="Ошиблись номером")
        lead_mark_non_target(lead=spam, by=manager_msk, reason="Реклама")
    live = dict(Lead.objects.values_list("pk", "first_response_at"))
    try:
        _migrate([("leads", "0006_lead_close")])
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert dict(Lead.objects.values_list("pk", "first_response_at")) == {
        called.pk: at(12, 1, 11, 5),
        converted.pk: at(12, 1, 13),
        closed.pk: at(12, 1, 14),
        spam.pk: None,
        waiting.pk: None,
    }
    assert live == {
        called.pk: at(12, 1, 11, 5),
        converted.pk: at(12, 1, 13),
        closed.pk: at(12, 1, 14),
        spam.pk: at(12, 1, 14),
        waiting.pk: None,
    }
