"""The funnel and losses dashboard: exact figures of every table on a hand-countable set, through the
API, the page and the Excel file; filters, period bounds (Moscow days), access and validation.

The set (times Moscow; the period is November 2026, «today» is 10 December 2026 12:00, stuck > 30 days,
so stuck means on the stage since before 10 November 12:00):

| deal | line, manager, source | stage history |
|---|---|---|
| Алексеев | ДБ, Иванов (Мск), call | 20.10 opened; 03.11 → prep (fee 100 000); 11.11 → court |
| Борисов | ДБ, Иванов, site (lead L1) | 02.11 09:00 opened; 05.11 → prep (50 000); 20.11 → terminated «Передумал» |
| Васильев | ДБ, Петрова (Мск), site | 30.11 23:30 opened (the last minutes of the period) |
| Григорьев | ДБ, Петрова, call | 01.12 00:10 opened (after the period, though 30.11 in UTC) |
| Дмитриев | ДБ, Соколов (СПб), referral | 01.11 00:05 opened (31.10 in UTC); 15.11 00:05 → prep (200 000) |
| Егоров | ДБ, Иванов, call | 01.09 opened, still there: stuck |
| Жуков | ДУ, Иванов, referral (lead L2, no line) | 04.11 12:00 opened; 06.11 → contracted (30 000); 25.11 → done |
| Зайцев | ДУ, Соколов, call | 31.10 23:50 opened (before); 12.11 23:50 → contracted (40 000) |
| Игнатьев | ДБ, Соколов, other | 16.11 imported straight into court |
| Козлов | ДБ, Петрова, call | 01.08 opened, still there: stuck; client lost 12.11 «Ушёл к конкурентам» |

Payments: Алексеев 05.11 30 000; Борисов 06.11 10 000; Жуков 07.11 5 000; Дмитриев 30.11 50 000 and
01.12 20 000 (after). Clients: Кириллов (Мск, no deal) abandoned 10.11; Лебедев (СПб, no deal) abandoned
10.11 then pooled 14.11; Медведев (Мск) lost 15.10 (before). Leads: L1 site/db → Борисов; L2 referral, no
line → Жуков; L3 call/db closed 08.11 «Реклама»; L4 mail non-target «Спам»; L5 call (СПб) made 25.10,
closed 02.11 «Дорого»; L6 call/du (СПб) 20.11, in work.
"""

from datetime import date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from activities.services import client_mark_lost, client_to_pool, clients_mark_abandoned
from crm.models import AuditEntry
from deals.models import DealStageChange
from deals.services import deal_create, deal_import, deal_move_to_stage, payment_record
from leads.services import lead_close, lead_convert, lead_create, lead_mark_non_target
from reports.analytics.base import show
from tests.conftest import token_client
from tests.factories import make_client

MSK = ZoneInfo("Europe/Moscow")
API = "/api/v1/analytics/funnel/"
PAGE = "/reports/analytics/funnel/"
NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


def msk(*args) -> datetime:
    return datetime(*args, tzinfo=MSK)


def at(*args):
    return time_machine.travel(msk(*args), tick=False)


def contract(day: date, fee: str) -> dict:
    return {"contract_number": f"Д-{day:%d%m}-{fee}", "contract_date": day, "fee": Decimal(fee)}


class World:
    """The deals of the set by surname, and the cast."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


@pytest.fixture
def world(director, head_msk, head_spb, manager_msk, manager2_msk, manager_spb, call_centre, office_manager):
    ivanov, petrova, sokolov = manager_msk, manager2_msk, manager_spb
    phones = iter(f"+7916555{n:04d}" for n in range(1, 100))
    deals = {}

    def open_deal(surname, manager, line, source, when):
        client = make_client(manager=manager, last_name=surname, phones=(next(phones),))
        with at(*when):
            deals[surname] = deal_create(by=manager, client=client, service_line=line, manager=manager, source=source)
        return deals[surname]

    def move(surname, stage, when, data):
        deal = deals[surname]
        with at(*when):
            deals[surname] = deal_move_to_stage(deal=deal, stage=stage, by=deal.manager, data=data)

    def pay(surname, paid_on, amount):
        deal = deals[surname]
        with at(paid_on.year, paid_on.month, paid_on.day, 18, 0):
            payment_record(deal=deal, by=deal.manager, paid_on=paid_on, amount=Decimal(amount), method="cash")

    def lead(source, line, assigned_to, when):
        with at(*when):
            made, _ = lead_create(
                by=call_centre, source=source, phone=next(phones), service_line=line, assigned_to=assigned_to
            )
        return made

    # Clients that leave the work: created long before, no deals (Козлов's deal is opened below).
    with at(2026, 9, 15, 10, 0):
        kirillov = make_client(manager=ivanov, last_name="Кириллов", phones=(next(phones),))
        lebedev = make_client(manager=sokolov, last_name="Лебедев", phones=(next(phones),))
        medvedev = make_client(manager=ivanov, last_name="Медведев", phones=(next(phones),))
    with at(2026, 10, 15, 10, 0):
        client_mark_lost(client=medvedev, by=head_msk, reason="Умер")

    open_deal("Козлов", petrova, "db", "call", (2026, 8, 1, 10, 0))
    open_deal("Егоров", ivanov, "db", "call", (2026, 9, 1, 10, 0))
    open_deal("Алексеев", ivanov, "db", "call", (2026, 10, 20, 10, 0))
    move("Алексеев", "db_prep_court", (2026, 11, 3, 10, 0), contract(date(2026, 11, 3), "100000"))
    pay("Алексеев", date(2026, 11, 5), "30000")
    move(
        "Алексеев",
        "db_in_court",
        (2026, 11, 11, 10, 0),
        {"court": "АС г. Москвы", "case_number": "А40-111111/2026", "filing_date": date(2026, 11, 11)},
    )

    l1 = lead("site", "db", ivanov, (2026, 11, 2, 8, 0))
    with at(2026, 11, 2, 9, 0):
        deals["Борисов"] = lead_convert(
            lead=l1,
            by=ivanov,
            service_line="db",
            manager=ivanov,
            client_data={"last_name": "Борисов", "first_name": "Иван"},
        )
    move("Борисов", "db_prep_court", (2026, 11, 5, 9, 0), contract(date(2026, 11, 5), "50000"))
    pay("Борисов", date(2026, 11, 6), "10000")
    # The beat on 10.11 finds Кириллов and Лебедев with nothing planned; every other client has an open deal.
    with at(2026, 11, 10, 3, 0):
        assert clients_mark_abandoned() == 2
    move("Борисов", "db_terminated", (2026, 11, 20, 9, 0), {"termination_reason": "Передумал"})

    open_deal("Васильев", petrova, "db", "site", (2026, 11, 30, 23, 30))
    open_deal("Григорьев", petrova, "db", "call", (2026, 12, 1, 0, 10))

    open_deal("Дмитриев", sokolov, "db", "referral", (2026, 11, 1, 0, 5))
    move("Дмитриев", "db_prep_court", (2026, 11, 15, 0, 5), contract(date(2026, 11, 15), "200000"))
    pay("Дмитриев", date(2026, 11, 30), "50000")
    pay("Дмитриев", date(2026, 12, 1), "20000")

    l2 = lead("referral", "", ivanov, (2026, 11, 4, 11, 0))
    with at(2026, 11, 4, 12, 0):
        deals["Жуков"] = lead_convert(
            lead=l2,
            by=ivanov,
            service_line="du",
            manager=ivanov,
            client_data={"last_name": "Жуков", "first_name": "Иван"},
        )
    move("Жуков", "du_contracted", (2026, 11, 6, 12, 0), contract(date(2026, 11, 6), "30000"))
    pay("Жуков", date(2026, 11, 7), "5000")
    move("Жуков", "du_done", (2026, 11, 25, 12, 0), {"outcome_date": date(2026, 11, 25)})

    open_deal("Зайцев", sokolov, "du", "call", (2026, 10, 31, 23, 50))
    move("Зайцев", "du_contracted", (2026, 11, 12, 23, 50), contract(date(2026, 11, 12), "40000"))

    ignatyev = make_client(manager=sokolov, last_name="Игнатьев", phones=(next(phones),))
    with at(2026, 11, 16, 10, 0):
        deals["Игнатьев"] = deal_import(
            client=ignatyev, service_line="db", stage="db_in_court", manager=sokolov, source_note="СПб/ДБ/В суде"
        )

    l3 = lead("call", "db", petrova, (2026, 11, 7, 10, 0))
    with at(2026, 11, 8, 10, 0):
        lead_close(lead=l3, by=head_msk, reason="Реклама")
    l4 = lead("mail", "", ivanov, (2026, 11, 9, 10, 0))
    with at(2026, 11, 9, 11, 0):
        lead_mark_non_target(lead=l4, by=office_manager, reason="Спам")
    l5 = lead("call", "db", sokolov, (2026, 10, 25, 10, 0))
    with at(2026, 11, 2, 10, 0):
        lead_close(lead=l5, by=head_spb, reason="Дорого")
    lead("call", "du", sokolov, (2026, 11, 20, 10, 0))

    with at(2026, 11, 12, 15, 0):
        client_mark_lost(client=deals["Козлов"].client, by=head_msk, reason="Ушёл к конкурентам")
    with at(2026, 11, 14, 15, 0):
        client_to_pool(client=lebedev, by=head_spb)
    return World(deals=deals, kirillov=kirillov, lebedev=lebedev)


@pytest.fixture
def today():
    with at(2026, 12, 10, 12, 0):
        yield


def api_get(user, **params):
    response = token_client(user).get(API, params)
    assert response.status_code == 200, response.content.decode()
    return {t["key"]: t for t in response.json()["tables"]}


def rows(user, key, **params):
    return api_get(user, **{**NOVEMBER, **params})[key]["rows"]


def stage(code, label, entered, moved_on, conversion, terminated, median_days, stuck):
    return {
        "stage": label,
        "code": code,
        "entered": entered,
        "moved_on": moved_on,
        "conversion": conversion,
        "terminated": terminated,
        "median_days": median_days,
        "stuck": stuck,
    }


def closed_stage(code, label, entered):
    return stage(code, label, entered, None, None, None, None, None)


IN_WORK, PREP, COURT = "ДБ · В работе (не заключён)", "ДБ · Подготовка к АС", "ДБ · В суде"
ARCHIVE, DB_TERM = "ДБ · Архив (завершён)", "ДБ · Расторжение"
DU_IN_WORK, DU_CONTRACTED, DU_DONE, DU_TERM = (
    "ДУ · В работе (не заключён)",
    "ДУ · Договор заключён",
    "ДУ · Завершён",
    "ДУ · Расторжение",
)

DIRECTOR_STAGES = [
    # in work: Борисов, Васильев, Дмитриев entered; Борисов and Дмитриев moved on; medians 14 (Алексеев), 3, 14.
    stage("db_in_work", IN_WORK, 3, 2, 66.7, 0, 14.0, 2),
    # prep: Алексеев, Борисов, Дмитриев; Алексеев went to court (8 days), Борисов terminated (15 days).
    stage("db_prep_court", PREP, 3, 1, 33.3, 1, 11.5, 0),
    stage("db_in_court", COURT, 2, 0, 0.0, 0, None, 0),
    closed_stage("db_archive", ARCHIVE, 0),
    closed_stage("db_terminated", DB_TERM, 1),
    # ДУ in work: Жуков (Зайцев opened in October); medians 2 (Жуков) and 12 (Зайцев).
    stage("du_in_work", DU_IN_WORK, 1, 1, 100.0, 0, 7.0, 0),
    stage("du_contracted", DU_CONTRACTED, 2, 1, 50.0, 0, 19.0, 0),
    closed_stage("du_done", DU_DONE, 1),
    closed_stage("du_terminated", DU_TERM, 0),
]

DIRECTOR_LOSSES = [
    {"kind": "В отстойнике", "stage": "без сделки", "reason": "перенесён в отстойник", "count": 1},
    {"kind": "Заброшен", "stage": "без сделки", "reason": "нет запланированных дел", "count": 1},
    {"kind": "Нецелевое обращение", "stage": "до сделки", "reason": "Спам", "count": 1},
    {"kind": "Обращение закрыто", "stage": "до сделки", "reason": "Дорого", "count": 1},
    {"kind": "Обращение закрыто", "stage": "до сделки", "reason": "Реклама", "count": 1},
    {"kind": "Потерян окончательно", "stage": IN_WORK, "reason": "Ушёл к конкурентам", "count": 1},
    {"kind": "Расторжение", "stage": PREP, "reason": "Передумал", "count": 1},
]


def lead_rows(leads, converted, contracted, closed):
    def share(n):
        return round(100 * n / leads, 1) if leads else None

    return [
        {"step": "Обращения за период", "count": leads, "share": 100.0 if leads else None},
        {"step": "Стали сделкой", "count": converted, "share": share(converted)},
        {"step": "Заключён договор", "count": contracted, "share": share(contracted)},
        {"step": "Закрыты без сделки или нецелевые", "count": closed, "share": share(closed)},
    ]


def source(label, leads, lead_contracts, conversion, deals, contracts, fees, money):
    return {
        "source": label,
        "leads": leads,
        "lead_contracts": lead_contracts,
        "conversion": conversion,
        "deals": deals,
        "contracts": contracts,
        "fees": fees,
        "money": money,
    }


def person(who, deals, contracts, conversion, fees, terminated, money):
    return {
        "who": who,
        "deals": deals,
        "contracts": contracts,
        "conversion": conversion,
        "fees": fees,
        "terminated": terminated,
        "money": money,
    }


# --- the director, no filters: every table ---------------------------------------------


def test_director_sees_every_table_exactly(director, world, today):
    tables = api_get(director, **NOVEMBER)
    assert list(tables) == ["stages", "leads", "losses", "stuck", "sources", "people"]
    assert tables["stages"]["rows"] == DIRECTOR_STAGES
    # L1…L4 and L6 came in November (L5 in October); L1 and L2 became deals with contracts; L3 closed, L4 non-target.
    assert tables["leads"]["rows"] == lead_rows(5, 2, 2, 2)
    assert tables["losses"]["rows"] == DIRECTOR_LOSSES
    assert tables["losses"]["totals"] == {"kind": "Всего", "count": 7}
    kozlov, egorov = world.deals["Козлов"], world.deals["Егоров"]
    assert tables["stuck"]["rows"] == [
        {
            "client": "Козлов Иван Петрович",
            "url": f"/deals/{kozlov.pk}/",
            "stage": IN_WORK,
            "manager": "Петрова Анна Игоревна",
            "days": 131,
        },
        {
            "client": "Егоров Иван Петрович",
            "url": f"/deals/{egorov.pk}/",
            "stage": IN_WORK,
            "manager": "Иванов Сергей Николаевич",
            "days": 100,
        },
    ]
    assert tables["sources"]["rows"] == [
        source("Звонок", 2, 0, 0.0, 0, 2, "140000.00", "30000.00"),
        source("Сайт", 1, 1, 100.0, 2, 1, "50000.00", "10000.00"),
        source("Рекомендация", 1, 1, 100.0, 2, 2, "230000.00", "55000.00"),
        source("Почта", 1, 0, 0.0, 0, 0, "0.00", "0.00"),
        source("Другое", 0, 0, None, 1, 0, "0.00", "0.00"),
    ]
    assert tables["sources"]["totals"] == {
        "source": "Итого",
        "leads": 5,
        "lead_contracts": 2,
        "deals": 5,
        "contracts": 5,
        "fees": "420000.00",
        "money": "95000.00",
        "conversion": 40.0,
    }
    assert tables["people"]["title"] == "По филиалам"
    assert tables["people"]["rows"] == [
        person("Санкт-Петербург", 2, 2, 100.0, "240000.00", 0, "50000.00"),
        person("Москва", 3, 3, 100.0, "180000.00", 1, "45000.00"),
    ]
    assert tables["people"]["totals"] == {
        "who": "Итого",
        "deals": 5,
        "contracts": 5,
        "fees": "420000.00",
        "terminated": 1,
        "money": "95000.00",
    }


def test_head_sees_their_branch_by_manager(head_msk, world, today):
    tables = api_get(head_msk, **NOVEMBER)
    assert tables["stages"]["rows"] == [
        stage("db_in_work", IN_WORK, 2, 1, 50.0, 0, 8.5, 2),
        stage("db_prep_court", PREP, 2, 1, 50.0, 1, 11.5, 0),
        stage("db_in_court", COURT, 1, 0, 0.0, 0, None, 0),
        closed_stage("db_archive", ARCHIVE, 0),
        closed_stage("db_terminated", DB_TERM, 1),
        stage("du_in_work", DU_IN_WORK, 1, 1, 100.0, 0, 2.0, 0),
        stage("du_contracted", DU_CONTRACTED, 1, 1, 100.0, 0, 19.0, 0),
        closed_stage("du_done", DU_DONE, 1),
        closed_stage("du_terminated", DU_TERM, 0),
    ]
    assert tables["leads"]["rows"] == lead_rows(4, 2, 2, 2)
    assert tables["losses"]["rows"] == [
        r for r in DIRECTOR_LOSSES if r["kind"] != "В отстойнике" and r["reason"] != "Дорого"
    ]
    assert [r["client"] for r in tables["stuck"]["rows"]] == ["Козлов Иван Петрович", "Егоров Иван Петрович"]
    assert tables["people"]["title"] == "По менеджерам"
    assert tables["people"]["rows"] == [
        person("Иванов Сергей Николаевич", 2, 3, 150.0, "180000.00", 1, "45000.00"),
        person("Петрова Анна Игоревна", 1, 0, 0.0, "0.00", 0, "0.00"),
    ]
    assert api_get(head_msk, **NOVEMBER) == tables  # the same answer twice: nothing it reads drifts


# --- filters ---------------------------------------------------------------------------


def test_branch_filter_for_the_director(director, spb, world, today):
    tables = api_get(director, branch=spb.pk, **NOVEMBER)
    assert tables["people"]["title"] == "По менеджерам"
    assert tables["people"]["rows"] == [person("Соколов Павел Олегович", 2, 2, 100.0, "240000.00", 0, "50000.00")]
    assert tables["stages"]["rows"][:3] == [
        stage("db_in_work", IN_WORK, 1, 1, 100.0, 0, 14.0, 0),
        stage("db_prep_court", PREP, 1, 0, 0.0, 0, None, 0),
        stage("db_in_court", COURT, 1, 0, 0.0, 0, None, 0),
    ]
    assert tables["leads"]["rows"] == lead_rows(1, 0, 0, 0)  # L6; L5 came in October
    assert tables["losses"]["rows"] == [
        DIRECTOR_LOSSES[0],
        {"kind": "Обращение закрыто", "stage": "до сделки", "reason": "Дорого", "count": 1},
    ]
    assert tables["stuck"]["rows"] == []


def test_manager_filter(director, manager2_msk, world, today):
    tables = api_get(director, manager=manager2_msk.pk, **NOVEMBER)
    # Васильев entered; Козлов is stuck (Васильев only since 30.11).
    assert tables["stages"]["rows"][0] == stage("db_in_work", IN_WORK, 1, 0, 0.0, 0, None, 1)
    assert [r["entered"] for r in tables["stages"]["rows"]] == [1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert tables["leads"]["rows"] == lead_rows(1, 0, 0, 1)  # L3, closed
    assert tables["people"]["rows"] == [person("Петрова Анна Игоревна", 1, 0, 0.0, "0.00", 0, "0.00")]
    assert [r["client"] for r in tables["stuck"]["rows"]] == ["Козлов Иван Петрович"]
    assert [(r["kind"], r["reason"]) for r in tables["losses"]["rows"]] == [
        ("Обращение закрыто", "Реклама"),
        ("Потерян окончательно", "Ушёл к конкурентам"),
    ]


def test_source_filter(director, world, today):
    tables = api_get(director, source="referral", **NOVEMBER)
    assert [r for r in tables["stages"]["rows"] if r["entered"] or r["stuck"]] == [
        stage("db_in_work", IN_WORK, 1, 1, 100.0, 0, 14.0, 0),
        stage("db_prep_court", PREP, 1, 0, 0.0, 0, None, 0),
        stage("du_in_work", DU_IN_WORK, 1, 1, 100.0, 0, 2.0, 0),
        stage("du_contracted", DU_CONTRACTED, 1, 1, 100.0, 0, 19.0, 0),
        closed_stage("du_done", DU_DONE, 1),
    ]
    assert tables["leads"]["rows"] == lead_rows(1, 1, 1, 0)
    assert tables["sources"]["rows"] == [source("Рекомендация", 1, 1, 100.0, 2, 2, "230000.00", "55000.00")]
    assert tables["stuck"]["rows"] == []
    # Clients carry no source: their losses stay; terminations and leads are narrowed.
    assert [r["kind"] for r in tables["losses"]["rows"]] == ["В отстойнике", "Заброшен", "Потерян окончательно"]


def test_pipeline_filter(director, world, today):
    du = api_get(director, pipeline="du", **NOVEMBER)
    assert du["stages"]["rows"] == DIRECTOR_STAGES[5:]
    # L2 had no line when it came in; it became a ДУ deal, so it is a ДУ lead. L6 was marked ДУ.
    assert du["leads"]["rows"] == lead_rows(2, 1, 1, 0)
    assert du["sources"]["rows"] == [
        source("Звонок", 1, 0, 0.0, 0, 1, "40000.00", "0.00"),
        source("Рекомендация", 1, 1, 100.0, 1, 1, "30000.00", "5000.00"),
    ]
    db = api_get(director, pipeline="db", **NOVEMBER)
    assert db["stages"]["rows"] == DIRECTOR_STAGES[:5]
    assert db["leads"]["rows"] == lead_rows(2, 1, 1, 1)  # L1 → Борисов, L3 closed
    assert db["people"]["rows"] == [
        person("Санкт-Петербург", 2, 1, 50.0, "200000.00", 0, "50000.00"),
        person("Москва", 2, 2, 100.0, "150000.00", 1, "40000.00"),
    ]


def test_stuck_threshold(director, world, today):
    # 101 days: only Козлов (131); 5 days catches every open deal that has not moved since 5.12 12:00.
    assert [r["client"] for r in rows(director, "stuck", stuck_days=101)] == ["Козлов Иван Петрович"]
    stuck = rows(director, "stuck", stuck_days=5)
    assert [(r["client"], r["days"]) for r in stuck] == [
        ("Козлов Иван Петрович", 131),
        ("Егоров Иван Петрович", 100),
        ("Алексеев Иван Петрович", 29),
        ("Зайцев Иван Петрович", 27),
        ("Дмитриев Иван Петрович", 25),
        ("Игнатьев Иван Петрович", 24),
        ("Васильев Иван Петрович", 9),
        ("Григорьев Иван Петрович", 9),
    ]
    # Closed stages are never stuck: Борисов (terminated) and Жуков (done) are not listed.
    assert [r["stuck"] for r in rows(director, "stages", stuck_days=5)] == [4, 1, 2, None, None, 0, 1, None, None]


def test_stuck_list_is_at_most_twenty_oldest_first(director, manager_msk, world, today):
    for n in range(25):
        client = make_client(manager=manager_msk, last_name=f"Застрявший{n:02d}", phones=(f"+7903000{n:04d}",))
        with at(2026, 10, 1 + n, 10, 0):
            deal_create(by=manager_msk, client=client, service_line="db", manager=manager_msk)
    stuck = rows(director, "stuck")
    assert len(stuck) == 20
    assert [r["client"] for r in stuck[:2]] == ["Козлов Иван Петрович", "Егоров Иван Петрович"]
    assert [r["client"] for r in stuck[2:]] == [f"Застрявший{n:02d} Иван Петрович" for n in range(18)]
    assert [r["days"] for r in stuck[2:4]] == [70, 69]
    # The stage column counts them all, not only the listed twenty.
    assert rows(director, "stages")[0]["stuck"] == 2 + 25


def test_period_bounds_are_moscow_days_inclusive(director, world, today):
    def in_work_entered(day_from, day_to):
        return rows(director, "stages", date_from=day_from, date_to=day_to)[0]["entered"]

    # Васильев 30.11 23:30 counts on the last day; Григорьев 01.12 00:10 (30.11 21:10 UTC) does not.
    assert in_work_entered("2026-11-30", "2026-11-30") == 1
    assert in_work_entered("2026-12-01", "2026-12-01") == 1
    # Дмитриев 01.11 00:05 (31.10 UTC) is November's; Зайцев (ДУ) 31.10 23:50 is October's.
    assert in_work_entered("2026-11-01", "2026-11-01") == 1
    assert rows(director, "stages", date_from="2026-10-31", date_to="2026-10-31")[5]["entered"] == 1
    assert rows(director, "stages", date_from="2026-11-01", date_to="2026-11-01")[5]["entered"] == 0
    # Payments by their day: Дмитриев's 30.11 payment is in a one-day period ending 30.11, the 01.12 one is not.
    assert rows(director, "sources", date_from="2026-11-30", date_to="2026-11-30") == [
        source("Сайт", 0, 0, None, 1, 0, "0.00", "0.00"),
        source("Рекомендация", 0, 0, None, 0, 0, "0.00", "50000.00"),
    ]


def test_blank_period_is_the_current_month_to_date(director, world, today):
    response = token_client(director).get(API)
    assert response.json()["filters"] == {
        "date_from": "2026-12-01",
        "date_to": "2026-12-10",
        "branch": None,
        "manager": None,
        "source": "",
        "pipeline": "",
        "stuck_days": 30,
    }
    assert {t["key"]: t for t in response.json()["tables"]}["stages"]["rows"][0]["entered"] == 1  # Григорьев


# --- the page shows the same numbers --------------------------------------------------


class TablesParser(HTMLParser):
    """Each dashboard section's body rows as [(text, href)] per cell."""

    def __init__(self):
        super().__init__()
        self.tables, self.current, self.row, self.cell, self.in_body = {}, None, None, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and (attrs.get("data-testid") or "").startswith("table-"):
            self.current = attrs["data-testid"].removeprefix("table-")
            self.tables[self.current] = []
        elif self.current and tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.row = []
        elif self.row is not None and tag == "td":
            self.cell = ["", None]
        elif self.cell is not None and tag == "a":
            self.cell[1] = attrs.get("href")

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.row.append((self.cell[0].strip(), self.cell[1]))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.current].append(self.row)
            self.row = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "section":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[0] += data


def page_tables(web, user, **params):
    web.force_login(user)
    response = web.get(PAGE, params)
    assert response.status_code == 200
    parser = TablesParser()
    parser.feed(response.content.decode())
    return parser.tables


def test_page_shows_the_api_numbers(web, director, world, today):
    api = api_get(director, **NOVEMBER)
    page = page_tables(web, director, **NOVEMBER)
    assert list(page) == list(api)
    for key, table in api.items():
        link = "client" if key == "stuck" else None  # the stuck list links each client to the deal
        shown = [
            [(show(r.get(c["key"]), c["kind"]), r["url"] if c["key"] == link else None) for c in table["columns"]]
            for r in table["rows"]
        ]
        assert page[key] == shown, key
    # As a reader sees them.
    assert [t for t, _ in page["stages"][0]] == [IN_WORK, "3", "2", "66,7 %", "0", "14,0 дн.", "2"]
    assert [t for t, _ in page["stages"][3]] == [ARCHIVE, "0", "—", "—", "—", "—", "—"]
    assert [t for t, _ in page["sources"][2]] == [
        "Рекомендация", "1", "1", "100,0 %", "2", "2", "230 000,00 ₽", "55 000,00 ₽",
    ]  # fmt: skip
    assert page["stuck"][0][0] == ("Козлов Иван Петрович", f"/deals/{world.deals['Козлов'].pk}/")


# --- access ----------------------------------------------------------------------------

FUNNEL_TABLES = ("deals_dealstagechange", "deals_deal", "leads_lead", "deals_payment")


def touched(queries) -> set[str]:
    return {t for t in FUNNEL_TABLES if any(f'"{t}"' in q["sql"] for q in queries)}


@pytest.mark.parametrize("username", ["manager.msk", "lawyer.msk", "callcenter", "office", "admin"])
def test_other_roles_get_403_and_nothing_is_computed(web, everyone, username, world, today):
    user = everyone[username]
    web.force_login(user)
    with CaptureQueriesContext(connection) as page_queries:
        page = web.get(PAGE, NOVEMBER)
        export = web.get(PAGE, {**NOVEMBER, "export": "xlsx"})
    with CaptureQueriesContext(connection) as api_queries:
        api = token_client(user).get(API, NOVEMBER)
    assert (page.status_code, export.status_code, api.status_code) == (403, 403, 403)
    assert api.json() == {"detail": "Аналитику видят РОП своего филиала и директор."}
    assert touched(page_queries.captured_queries) == set()
    assert touched(api_queries.captured_queries) == set()
    # The same requests by the director do read them: the check above can fail.
    director = everyone["director"]
    with CaptureQueriesContext(connection) as control:
        assert token_client(director).get(API, NOVEMBER).status_code == 200
    assert touched(control.captured_queries) == set(FUNNEL_TABLES)


def test_head_cannot_pick_another_branch(web, head_msk, spb, world, today):
    api = token_client(head_msk).get(API, {**NOVEMBER, "branch": spb.pk})
    assert api.status_code == 400
    assert api.json() == {"branch": ["Выберите корректный вариант. Вашего варианта нет среди допустимых значений."]}
    web.force_login(head_msk)
    page = web.get(PAGE, {**NOVEMBER, "branch": spb.pk})
    assert page.status_code == 400
    html = page.content.decode()
    assert "Выберите корректный вариант." in html
    assert 'data-testid="table-' not in html and "Санкт-Петербург</td>" not in html


def test_head_cannot_pick_another_branchs_manager(head_msk, manager_spb, world, today):
    api = token_client(head_msk).get(API, {**NOVEMBER, "manager": manager_spb.pk})
    assert api.status_code == 400
    assert list(api.json()) == ["manager"]


def test_head_passing_their_own_branch_gets_their_figures(head_msk, msk, world, today):
    assert api_get(head_msk, branch=msk.pk, **NOVEMBER) == api_get(head_msk, **NOVEMBER)


def test_head_spb_sees_only_spb(head_spb, world, today):
    tables = api_get(head_spb, **NOVEMBER)
    assert tables["people"]["rows"] == [person("Соколов Павел Олегович", 2, 2, 100.0, "240000.00", 0, "50000.00")]
    assert [r["entered"] for r in tables["stages"]["rows"]] == [1, 1, 1, 0, 0, 0, 1, 0, 0]


def test_director_may_pick_any_branch(director, msk, spb, world, today):
    fees = {b.name: api_get(director, branch=b.pk, **NOVEMBER)["people"]["totals"]["fees"] for b in (msk, spb)}
    assert fees == {"Москва": "180000.00", "Санкт-Петербург": "240000.00"}


# --- validation ------------------------------------------------------------------------

BAD_FILTERS = [
    ({"date_from": "2026-13-01", "date_to": "2026-11-30"}, {"date_from": ["Введите правильную дату."]}),
    ({"date_from": "2026-11-30", "date_to": "2026-11-01"}, {"date_to": ["Конец периода раньше его начала."]}),
    ({"date_from": "2024-01-01", "date_to": "2026-06-30"}, {"date_to": ["Период не длиннее двух лет."]}),
    # Two years and one day.
    ({"date_from": "2024-12-01", "date_to": "2026-12-01"}, {"date_to": ["Период не длиннее двух лет."]}),
    # No end: the period runs to today, and that is too long too.
    ({"date_from": "2020-01-01"}, {"date_from": ["Период не длиннее двух лет."]}),
    ({**NOVEMBER, "stuck_days": "0"}, {"stuck_days": ["Убедитесь, что это значение больше либо равно 1."]}),
    ({**NOVEMBER, "stuck_days": "366"}, {"stuck_days": ["Убедитесь, что это значение меньше либо равно 365."]}),
    ({**NOVEMBER, "stuck_days": "много"}, {"stuck_days": ["Введите целое число."]}),
    (
        {**NOVEMBER, "source": "tv"},
        {"source": ["Выберите корректный вариант. tv нет среди допустимых значений."]},
    ),
    (
        {**NOVEMBER, "pipeline": "xx"},
        {"pipeline": ["Выберите корректный вариант. xx нет среди допустимых значений."]},
    ),
]


@pytest.mark.parametrize(("params", "errors"), BAD_FILTERS)
def test_bad_filters_are_refused_with_russian_errors(web, director, params, errors, world, today):
    client = token_client(director)
    web.force_login(director)
    before = (DealStageChange.objects.count(), AuditEntry.objects.count())
    with CaptureQueriesContext(connection) as queries:
        api = client.get(API, params)
    assert api.status_code == 400
    assert api.json() == errors
    assert touched(queries.captured_queries) == set()
    page = web.get(PAGE, params)
    assert page.status_code == 400
    html = page.content.decode()
    for messages in errors.values():
        for message in messages:
            assert message in html
    assert 'data-testid="filter-errors"' in html and 'data-testid="table-' not in html
    assert web.get(PAGE, {**params, "export": "xlsx"}).status_code == 400
    assert (DealStageChange.objects.count(), AuditEntry.objects.count()) == before


def test_exactly_two_years_is_accepted(director, world, today):
    assert token_client(director).get(API, {"date_from": "2024-12-01", "date_to": "2026-11-30"}).status_code == 200


# --- Excel -----------------------------------------------------------------------------


def test_excel_holds_the_api_numbers(web, director, world, today):
    api = api_get(director, **NOVEMBER)
    web.force_login(director)
    response = web.get(PAGE, {**NOVEMBER, "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="funnel-20261101-20261130.xlsx"'
    book = load_workbook(BytesIO(response.content))
    sheets = dict(zip(api, book.sheetnames, strict=True))
    assert sheets == {
        "stages": "Воронка по стадиям",
        "leads": "От обращения до договора",
        "losses": "Потери по стадиям и причинам",
        "stuck": "Дольше всех на стадии (более 30",  # Excel's 31 characters
        "sources": "Источники обращений",
        "people": "По филиалам",
    }
    for key, table in api.items():
        ws = book[sheets[key]]
        values = [list(r) for r in ws.iter_rows(values_only=True)]
        labels = [c["label"] + (", %" if c["kind"] == "percent" else "") for c in table["columns"]]
        header = values.index(labels)
        assert all(cell.font.b for cell in ws[header + 1]), table["key"]
        body = values[header + 1 : header + 1 + len(table["rows"])]
        expected = [
            [Decimal(r[c["key"]]) if c["kind"] == "money" else r.get(c["key"]) for c in table["columns"]]
            for r in table["rows"]
        ]
        assert body == expected, table["key"]
        money = [i for i, c in enumerate(table["columns"]) if c["kind"] == "money"]
        for row in ws.iter_rows(min_row=header + 2, max_row=header + 1 + len(table["rows"])):
            for i in money:
                assert row[i].data_type == "n"
        if table["totals"]:
            totals = values[header + 1 + len(table["rows"])]
            assert totals == [
                Decimal(table["totals"][c["key"]]) if c["kind"] == "money" and c["key"] in table["totals"]
                else table["totals"].get(c["key"])
                for c in table["columns"]
            ], table["key"]  # fmt: skip


def test_excel_keeps_a_formula_like_client_name_as_text(web, director, manager_msk, world, today):
    name = '=HYPERLINK("http://x","y")'
    client = make_client(manager=manager_msk, kind="company", last_name="", company_name=name, phones=("+79030009999",))
    with at(2026, 9, 2, 10, 0):
        deal_create(by=manager_msk, client=client, service_line="db", manager=manager_msk)
    web.force_login(director)
    book = load_workbook(BytesIO(web.get(PAGE, {**NOVEMBER, "export": "xlsx"}).content))
    ws = book["Дольше всех на стадии (более 30"]
    cells = [row[0] for row in ws.iter_rows() if row[0].value == name]
    assert len(cells) == 1
    assert (cells[0].data_type, cells[0].quotePrefix) == ("s", True)
