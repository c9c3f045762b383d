"""The heads' funnel and payments on the demo office equal a count by hand.

The demo (`seed_demo`) is loaded with the clock stopped; each figure is counted here from
the demo's own table of clients (web/demo/pipeline.py CLIENTS: one deal per row, its line,
final stage, source and manager) and the firm's stage order, never by asking the dashboard
code. Times in stage and the days of the stuck deals are written out by hand from the
demo's story (`_story`: the spans and the row number n).
"""

import io
from collections import Counter
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from crm.models import User
from crm.pipelines import ORDER, TERMINATED, ServiceLine
from tests.conftest import token_client
from web.demo.pipeline import CLIENTS

pytestmark = pytest.mark.django_db

# Tuesday evening: every demo move was made on an earlier day, within working hours, so the
# days in stage are whole.
NOW = datetime(2026, 11, 24, 18, 0, tzinfo=ZoneInfo("Europe/Moscow"))
# 120 days back: the oldest demo deal was opened 95 days ago.
PERIOD = {"date_from": "2026-07-27", "date_to": "2026-11-24"}
BRANCH_OF = {"manager.msk": "Москва", "manager2.msk": "Москва", "manager.spb": "Санкт-Петербург"}
SOURCE_LABELS = {
    "call": "Звонок",
    "site": "Сайт",
    "referral": "Рекомендация",
    "mail": "Почта",
    "partner": "Партнёр",
    "walk_in": "Пришёл в офис",
    "other": "Другое",
}
# What the demo signs a contract for, and the instalment of it paid 44 days before today.
FEE = {"db": Decimal("150000"), "du": Decimal("40000")}
THIRD = {"db": Decimal("50000"), "du": Decimal("13333")}
SCHEDULED = {"db_prep_court", "db_in_court", "du_contracted"}  # the demo sets a schedule in these stages
REFUSED = "Клиент отказался от услуг"


@pytest.fixture
def demo_office(db):
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        yield {u.username: u for u in User.objects.all()}


def analytics(user, slug, **query) -> dict:
    response = token_client(user).get(f"/api/v1/analytics/{slug}/", {**PERIOD, **query})
    assert response.status_code == 200, response.content
    return {t["key"]: t for t in response.json()["tables"]}


def rows_of(branch=None, line=None):
    return [
        {"login": r[0], "name": f"{r[1]} {r[2]} {r[3]}", "line": r[5], "stage": r[6], "source": r[7]}
        for r in CLIENTS
        if (branch is None or BRANCH_OF[r[0]] == branch) and (line is None or r[5] == line)
    ]


def passed(row) -> list[str]:
    """The stages a deal entered: its line in order up to its stage; a termination after the contract."""
    order = ORDER[ServiceLine(row["line"])]
    if row["stage"] == TERMINATED[row["line"]]:
        return [order[0], order[1], row["stage"]]
    return order[: order.index(row["stage"]) + 1]


def stage_figures(rows) -> dict:
    """Per stage: (entered, moved on, terminated) — counted from the rows as the definitions state."""
    entered = Counter(stage for r in rows for stage in passed(r))
    figures = {}
    for line in ServiceLine:
        order, terminated = ORDER[line], TERMINATED[line]
        for stage in [*order, terminated]:
            following = order[order.index(stage) + 1] if stage in order[:-1] else None
            moved_on = entered[following] if following else None
            # Termination follows the contract stage (the demo terminates right after signing).
            quit_here = sum(1 for r in rows if r["stage"] == terminated and passed(r)[-2] == stage)
            is_closed = stage in (order[-1], terminated)
            figures[stage] = (entered[stage], moved_on, None if is_closed else quit_here)
    return figures


def shown_stages(tables) -> dict:
    return {r["code"]: (r["entered"], r["moved_on"], r["terminated"]) for r in tables["stages"]["rows"]}


def test_funnel_stages_as_director_equal_the_clients_table(demo_office):
    tables = analytics(demo_office["director"], "funnel")
    assert shown_stages(tables) == stage_figures(rows_of())
    # The same, written out once, so a slip in the counting above cannot hide one in the page.
    assert shown_stages(tables) == {
        "db_in_work": (8, 5, 0),
        "db_prep_court": (5, 3, 1),
        "db_in_court": (3, 1, 0),
        "db_archive": (1, None, None),
        "db_terminated": (1, None, None),
        "du_in_work": (5, 4, 0),
        "du_contracted": (4, 1, 1),
        "du_done": (1, None, None),
        "du_terminated": (1, None, None),
    }
    rows = {r["code"]: r for r in tables["stages"]["rows"]}
    assert {code: r["conversion"] for code, r in rows.items() if r["conversion"] is not None} == {
        "db_in_work": 62.5,
        "db_prep_court": 60.0,
        "db_in_court": 33.3,
        "du_in_work": 80.0,
        "du_contracted": 25.0,
    }
    # Days in stage of the deals that left it (n = the row in CLIENTS):
    # ДБ «В работе» 10 + n % 5: n = 1, 2, 3, 4, 11 → 11, 12, 13, 14, 11 → median 12;
    # ДУ «В работе»: n = 7, 8, 9, 12 → 12, 13, 14, 12 → 12.5;
    # «Подготовка к АС» 30 + n: n = 2, 3, 11 → 32, 33, 41, and n = 4 terminated after 20 → 32.5;
    # «В суде» 25 (n = 3); ДУ «Договор заключён»: n = 8 done after 40, n = 9 terminated after 20 → 30.
    assert {code: r["median_days"] for code, r in rows.items() if r["median_days"] is not None} == {
        "db_in_work": 12.0,
        "du_in_work": 12.5,
        "db_prep_court": 32.5,
        "db_in_court": 25.0,
        "du_contracted": 30.0,
    }
    # In their stage now for more than 30 days: Никитин (in work 35 days), Громова (prep 81),
    # Данилов (court 45), Карпова (contracted 62), Павлов (contracted 47); the rest are younger.
    assert {code: r["stuck"] for code, r in rows.items() if r["stuck"]} == {
        "db_in_work": 1,
        "db_prep_court": 1,
        "db_in_court": 1,
        "du_contracted": 2,
    }
    assert [(r["client"], r["days"]) for r in tables["stuck"]["rows"]] == [
        ("Громова Светлана Игоревна", 81),
        ("Карпова Елена Викторовна", 62),
        ("Павлов Артём Игоревич", 47),
        ("Данилов Роман Сергеевич", 45),
        ("Никитин Павел Андреевич", 35),
    ]


def test_funnel_losses_leads_and_sources_as_director(demo_office):
    tables = analytics(demo_office["director"], "funnel")
    terminated = Counter(
        (ORDER[ServiceLine(r["line"])][1], r["line"]) for r in rows_of() if r["stage"] == TERMINATED[r["line"]]
    )
    contract_label = {"db": "ДБ · Подготовка к АС", "du": "ДУ · Договор заключён"}
    expected_losses = sorted(
        [
            *[
                {"kind": "Расторжение", "stage": contract_label[line], "reason": REFUSED, "count": n}
                for (_, line), n in terminated.items()
            ],
            # web/demo/activities.py: one client each abandoned, moved to the pool, lost for good.
            {"kind": "Заброшен", "stage": "без сделки", "reason": "нет запланированных дел", "count": 1},
            {"kind": "В отстойнике", "stage": "без сделки", "reason": "перенесён в отстойник", "count": 1},
            {"kind": "Потерян окончательно", "stage": "без сделки", "reason": "Уехал из России", "count": 1},
            # The demo's advertiser, marked non-target.
            {
                "kind": "Нецелевое обращение",
                "stage": "до сделки",
                "reason": "Предлагают рекламу, не клиент",
                "count": 1,
            },
        ],
        key=lambda r: (-r["count"], r["kind"], r["stage"], r["reason"]),
    )
    assert tables["losses"]["rows"] == expected_losses
    assert tables["losses"]["totals"]["count"] == 6

    # Seven requests in the last weeks (three of them callers no client has, from the telephony demo),
    # none turned into a deal yet, one non-target.
    assert [(r["step"], r["count"]) for r in tables["leads"]["rows"]] == [
        ("Обращения за период", 7),
        ("Стали сделкой", 0),
        ("Заключён договор", 0),
        ("Закрыты без сделки или нецелевые", 1),
    ]

    rows = rows_of()
    # Виктор, Реклама, Реклама снова by phone and the three unknown callers of web/demo/telephony.py;
    # Алина from the site
    leads = Counter({"call": 6, "site": 1})
    deals = Counter(r["source"] for r in rows)
    contracted = [r for r in rows if len(passed(r)) > 1]
    contracts = Counter(r["source"] for r in contracted)
    fees = Counter()
    for r in contracted:
        fees[r["source"]] += FEE[r["line"]]
    money = Counter()
    for r in rows:
        if r["stage"] in SCHEDULED:
            money[r["source"]] += THIRD[r["line"]]
    expected_sources = [
        (label, leads[code], deals[code], contracts[code], fees[code], money[code])
        for code, label in SOURCE_LABELS.items()
        if leads[code] or deals[code]
    ]
    assert [
        (r["source"], r["leads"], r["deals"], r["contracts"], Decimal(r["fees"]), Decimal(r["money"]))
        for r in tables["sources"]["rows"]
    ] == expected_sources
    assert expected_sources == [
        ("Звонок", 6, 5, 3, Decimal("230000"), Decimal("13333")),
        ("Сайт", 1, 4, 4, Decimal("490000"), Decimal("113333")),
        ("Рекомендация", 0, 2, 1, Decimal("150000"), Decimal("50000")),
        ("Партнёр", 0, 1, 1, Decimal("40000"), Decimal("0")),
        ("Пришёл в офис", 0, 1, 0, Decimal("0"), Decimal("0")),
    ]

    # The director without a branch filter reads it by branch.
    assert tables["people"]["title"] == "По филиалам"
    by_branch = {}
    for branch in ("Москва", "Санкт-Петербург"):
        mine = rows_of(branch=branch)
        signed = [r for r in mine if len(passed(r)) > 1]
        by_branch[branch] = (
            len(mine),
            len(signed),
            sum(FEE[r["line"]] for r in signed),
            sum(1 for r in mine if r["stage"] == TERMINATED[r["line"]]),
            sum(THIRD[r["line"]] for r in mine if r["stage"] in SCHEDULED),
        )
    shown = {
        r["who"]: (r["deals"], r["contracts"], Decimal(r["fees"]), r["terminated"], Decimal(r["money"]))
        for r in tables["people"]["rows"]
    }
    assert (
        shown
        == by_branch
        == {
            "Москва": (10, 7, Decimal("720000"), 2, Decimal("113333")),
            "Санкт-Петербург": (3, 2, Decimal("190000"), 0, Decimal("63333")),
        }
    )


def test_head_sees_only_the_branch_and_a_pipeline_filter_narrows_it(demo_office):
    head = demo_office["rop.msk"]
    tables = analytics(head, "funnel")
    assert shown_stages(tables) == stage_figures(rows_of(branch="Москва"))
    assert tables["people"]["title"] == "По менеджерам"
    people = {r["who"]: (r["deals"], r["contracts"]) for r in tables["people"]["rows"]}
    names = {u.username: u.full_name for u in demo_office.values()}
    assert people == {
        names[login]: (
            sum(1 for r in rows_of() if r["login"] == login),
            sum(1 for r in rows_of() if r["login"] == login and len(passed(r)) > 1),
        )
        for login in ("manager.msk", "manager2.msk")
    }
    # Moscow's requests: Алина (site) and the advertiser (phone), both given to manager.msk.
    assert tables["leads"]["rows"][0]["count"] == 2

    only_du = analytics(head, "funnel", pipeline="du")
    assert [r["code"] for r in only_du["stages"]["rows"]] == ["du_in_work", "du_contracted", "du_done", "du_terminated"]
    assert shown_stages(only_du) == {
        stage: figures
        for stage, figures in stage_figures(rows_of(branch="Москва", line="du")).items()
        if stage.startswith("du_")
    }


def scheduled_rows(branch=None):
    return [r for r in rows_of(branch=branch) if r["stage"] in SCHEDULED]


@pytest.mark.parametrize("login, branch", [("director", None), ("rop.msk", "Москва"), ("rop.spb", "Санкт-Петербург")])
def test_payments_by_month_equal_the_demo_schedules(demo_office, login, branch):
    # Each scheduled demo deal owes its fee in thirds: 45 and 15 days ago and in 15 days (the last
    # third takes the rounding), and paid the first third 44 days ago. Today is 24 November:
    # 10 October, 9 November and 9 December; paid on 11 October.
    rows = scheduled_rows(branch)
    first = sum(THIRD[r["line"]] for r in rows)
    last = sum(FEE[r["line"]] - 2 * THIRD[r["line"]] for r in rows)
    tables = analytics(demo_office[login], "payments", date_to="2026-12-31")
    months = [
        (r["month"], Decimal(r["expected"]), Decimal(r["received"]), Decimal(r["collected"]), r["rate"])
        for r in tables["months"]["rows"]
    ]
    zero = Decimal("0")
    assert months == [
        ("Июль 2026", zero, zero, zero, None),
        ("Август 2026", zero, zero, zero, None),
        ("Сентябрь 2026", zero, zero, zero, None),
        ("Октябрь 2026", first, first, first, 100.0),
        ("Ноябрь 2026", first, zero, zero, 0.0),
        ("Декабрь 2026", last, zero, zero, 0.0),
    ]
    totals = tables["months"]["totals"]
    assert (Decimal(totals["expected"]), Decimal(totals["received"])) == (2 * first + last, first)
    # Overdue today: the November third of every scheduled deal.
    overdue = tables["overdue"]["totals"]
    assert (overdue["count"], Decimal(overdue["outstanding"]), overdue["oldest_days"]) == (len(rows), first, 15)
    assert sorted(r["client"] for r in tables["overdue_list"]["rows"]) == sorted(r["name"] for r in rows)


def test_payments_written_out_for_the_director(demo_office):
    """The hand count above, in figures: three ДБ and two ДУ deals on a schedule."""
    months = analytics(demo_office["director"], "payments", date_to="2026-12-31")["months"]["rows"]
    assert [(r["month"], r["expected"], r["received"]) for r in months[3:]] == [
        ("Октябрь 2026", "176666.00", "176666.00"),
        ("Ноябрь 2026", "176666.00", "0.00"),
        ("Декабрь 2026", "176668.00", "0.00"),
    ]
