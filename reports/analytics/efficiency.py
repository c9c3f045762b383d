"""Manager efficiency: one row per sales employee in the reader's scope, with how fast they answer new
requests, how they keep their «дела», the «Мои дела» rule, their tasks, and what they signed and collected.

Every figure is one grouped query over an indexed period (or, for «as of now» figures, over the open rows) or
a read of the rollup (requests and past days' «дела» by day, reports/analytics/rollup.py), so the dashboard
costs the same couple of dozen queries for five managers or five hundred. Definitions, as the page
states them:
- «Первый ответ» — the median time from a request's arrival to the first act on it (a «дело» done on it,
  a deal made from it, closed, marked non-target); handing it to a manager is not an answer;
- «Без ответа» — requests of the period still open and not yet answered;
- «Дела» — activities planned for the period (busy time is not a «дело»); «% выполнения» — done of those
  whose time has come (done or overdue), so the rest of today and the future do not lower it;
- «Мои дела» — clients that became abandoned in the period (and still are), and now: open deals with
  nothing planned within the rule's horizon (the end-of-day report's list). Clients without a deal and
  without a plan are left out: counting them firm-wide is an anti-join over every client (1.5 s at a
  million), and a client left so becomes abandoned within the grace period, which is counted;
- tasks — those with a deadline in the period, counted as the tasks' efficiency page counts them;
- contracts and money — as in the funnel: deals that entered the contract stage, payments received.
"""

from collections import defaultdict
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Value
from django.utils import timezone

from activities.models import Activity, ActivitySettings
from activities.selectors import deals_breaking_rule
from clients.models import Client
from crm import access
from crm.models import User
from leads.models import Lead
from reports.analytics import rollup
from reports.analytics.base import HOURS, MONEY, PERCENT, TEXT, Column, Dashboard, Filters, Table, percent
from reports.analytics.funnel import contract_stages
from reports.analytics.scope import leads_in, scoped
from reports.analytics.stats import medians, period_bounds
from tasks.selectors import efficiency as task_efficiency

TITLE = "Эффективность менеджеров"
OPEN_LEAD = (Lead.Status.NEW, Lead.Status.IN_WORK)
# Summed in the totals row; the medians and shares are recomputed there instead.
SUMMED = (
    "leads",
    "unanswered",
    "acts_planned",
    "acts_done",
    "acts_overdue",
    "acts_cancelled",
    "abandoned",
    "deals_no_plan",
    "tasks_on_time",
    "tasks_late",
    "tasks_overdue",
    "contracts",
    "fees",
    "money",
)
MONEY_KEYS = ("fees", "money")


def _people(user, filters: Filters) -> list[dict]:
    """The sales staff the reader may pick (a head's branch, the director's all), under the filters."""
    qs = User.objects.filter(access.analytics_people_q(user))
    if filters.branch_id:
        qs = qs.filter(branch_id=filters.branch_id)
    if filters.manager_id:
        qs = qs.filter(pk=filters.manager_id)
    return list(qs.order_by("full_name", "pk").values("pk", "full_name", "is_active", "branch__name"))


def build(user, filters: Filters) -> Dashboard:
    return Dashboard(slug="efficiency", title=TITLE, filters=filters, tables=[_managers_table(user, filters)])


def _grouped(qs, key: str, **aggregates) -> dict:
    return {row.pop(key): row for row in qs.order_by().values(key).annotate(**aggregates)}


def _lead_figures(user, filters: Filters, ids: list[int]) -> tuple[dict, dict, float | None]:
    """Per manager: requests of the period and those unanswered; the median first response per manager and
    over them all (the whole table's median, not a median of medians). From the rollup of requests by day
    on PostgreSQL; the rows themselves when a source or pipeline filter narrows them (the rollup has neither)
    and on SQLite."""
    if connection.vendor == "postgresql" and not filters.source and not filters.pipeline:
        lead_counts = defaultdict(lambda: {"leads": 0, "unanswered": 0})
        wanted = set(ids)
        rolled = rollup.day_sums("lead", user, filters, ("manager_id", "k1", "k2"))
        for (manager, bucket, state), value in rolled.items():
            if manager in wanted:
                lead_counts[manager]["leads"] += value["n"]
                if bucket == "" and state == "open":
                    lead_counts[manager]["unanswered"] += value["n"]
        response, overall = rollup.response_medians(user, filters, ids, rolled)
        return dict(lead_counts), response, overall
    start, end = period_bounds(filters)
    # The funnel's rule for leads (a converted lead is in its deal's pipeline), so both pages count alike.
    leads = leads_in(
        user,
        filters,
        Lead.objects.filter(created_at__gte=start, created_at__lt=end, merged_into__isnull=True, assigned_to__in=ids),
    )
    lead_counts = _grouped(
        leads,
        "assigned_to_id",
        leads=Count("id"),
        unanswered=Count("id", filter=Q(first_response_at__isnull=True, status__in=OPEN_LEAD)),
    )
    response = medians(leads, "assigned_to_id", "response_seconds")
    overall = medians(leads.annotate(everyone=Value(1)), "everyone", "response_seconds").get(1)
    return lead_counts, response, overall


def _activity_figures(user, filters: Filters) -> dict:
    """Per responsible: «дела» planned for the period, done, overdue, cancelled. The days before today from the
    rollup (a planned one there is overdue); today and later from the rows, where «overdue» depends on the hour.
    Activities carry no source or pipeline: those filters do not narrow them (the note says so)."""
    acts = defaultdict(lambda: {"planned": 0, "done": 0, "overdue": 0, "cancelled": 0})
    today = timezone.localdate()
    if filters.date_from < today:
        past = replace(filters, date_to=min(filters.date_to, today - timedelta(days=1)))
        for (manager, status), value in rollup.day_sums("activity", user, past, ("manager_id", "k1")).items():
            figures = acts[manager]
            figures["planned"] += value["n"]
            key = {Activity.Status.DONE: "done", Activity.Status.CANCELLED: "cancelled"}.get(status, "overdue")
            figures[key] += value["n"]
    if filters.date_to >= today:
        start, end = period_bounds(replace(filters, date_from=max(filters.date_from, today)))
        now = timezone.now()
        rows = _grouped(
            scoped(
                Activity.objects.filter(planned_at__gte=start, planned_at__lt=end).exclude(kind=Activity.Kind.BUSY),
                user,
                filters,
                manager="responsible",
                source=None,
            ),
            "responsible_id",
            planned=Count("id"),
            done=Count("id", filter=Q(status=Activity.Status.DONE)),
            overdue=Count("id", filter=Q(status=Activity.Status.PLANNED, planned_at__lt=now)),
            cancelled=Count("id", filter=Q(status=Activity.Status.CANCELLED)),
        )
        for manager, row in rows.items():
            for key, n in row.items():
                acts[manager][key] += n
    return dict(acts)


def _managers_table(user, filters: Filters) -> Table:
    start, end = period_bounds(filters)
    people = _people(user, filters)
    ids = [p["pk"] for p in people]
    lead_counts, response, overall = _lead_figures(user, filters, ids)
    acts = _activity_figures(user, filters)
    abandoned = _grouped(
        scoped(
            Client.objects.filter(
                status=Client.Status.ABANDONED,
                status_changed_at__gte=start,
                status_changed_at__lt=end,
                merged_into__isnull=True,
            ),
            user,
            filters,
            source=None,
        ),
        "manager_id",
        n=Count("id"),
    )
    rule = ActivitySettings.load()
    deals_no_plan = _grouped(
        scoped(deals_breaking_rule(user, rule), user, filters, line="service_line"), "manager_id", n=Count("id")
    )
    # The tasks' own efficiency figures (tasks.selectors), so both pages agree on every number.
    tasks = {
        row.employee.pk: row
        for row in task_efficiency(
            user, date_from=filters.date_from, date_to=filters.date_to, employee_id=filters.manager_id
        )
    }
    # Contracts (the fee at signing) and money received, per manager, from the rollup (as in the funnel).
    contracts = {
        manager: {"n": v["n"], "fees": v["amount"]}
        for (manager,), v in rollup.sums(
            "manager_stage", user, filters, ("manager_id",), k1__in=contract_stages(filters)
        ).items()
    }
    money = {
        manager: {"total": v["amount"]}
        for (manager,), v in rollup.sums("manager_payment", user, filters, ("manager_id",)).items()
    }

    with_branch = not filters.branch_id
    rows = []
    for person in people:
        pk = person["pk"]
        lead_row = lead_counts.get(pk, {"leads": 0, "unanswered": 0})
        act = acts.get(pk, {"planned": 0, "done": 0, "overdue": 0, "cancelled": 0})
        task = tasks.get(pk)
        on_time, late, task_overdue = (task.done_on_time, task.done_late, task.overdue_open) if task else (0, 0, 0)
        row = {
            "who": person["full_name"],
            "leads": lead_row["leads"],
            "response_hours": _hours(response.get(pk)),
            "unanswered": lead_row["unanswered"],
            "acts_planned": act["planned"],
            "acts_done": act["done"],
            "acts_overdue": act["overdue"],
            "acts_cancelled": act["cancelled"],
            "acts_done_pct": percent(act["done"], act["done"] + act["overdue"]),
            "abandoned": abandoned.get(pk, {}).get("n", 0),
            "deals_no_plan": deals_no_plan.get(pk, {}).get("n", 0),
            "tasks_on_time": on_time,
            "tasks_late": late,
            "tasks_overdue": task_overdue,
            "tasks_on_time_pct": percent(on_time, on_time + late + task_overdue),
            "contracts": contracts.get(pk, {}).get("n", 0),
            "fees": _money(contracts.get(pk, {}).get("fees")),
            "money": _money(money.get(pk, {}).get("total")),
        }
        # Someone who has left stays in the table while the period still holds their figures.
        if person["is_active"] or any(row[k] for k in SUMMED):
            rows.append(row | ({"branch": person["branch__name"] or "—"} if with_branch else {}))

    totals = {"who": "Итого"} | {k: sum((r[k] for r in rows), _money(0) if k in MONEY_KEYS else 0) for k in SUMMED}
    totals |= {
        "response_hours": _hours(overall),
        "acts_done_pct": percent(totals["acts_done"], totals["acts_done"] + totals["acts_overdue"]),
        "tasks_on_time_pct": percent(
            totals["tasks_on_time"], totals["tasks_on_time"] + totals["tasks_late"] + totals["tasks_overdue"]
        ),
    }
    columns = [
        Column("who", "Менеджер", TEXT),
        *([Column("branch", "Филиал", TEXT)] if with_branch else []),
        Column("leads", "Обращений"),
        Column("response_hours", "Первый ответ, медиана", HOURS),
        Column("unanswered", "Без ответа"),
        Column("acts_planned", "Дел на период"),
        Column("acts_done", "Дел выполнено"),
        Column("acts_overdue", "Дел просрочено"),
        Column("acts_cancelled", "Дел отменено"),
        Column("acts_done_pct", "Дела: выполнено", PERCENT),
        Column("abandoned", "Клиентов заброшено"),
        Column("deals_no_plan", "Сделок без дела"),
        Column("tasks_on_time", "Задач в срок"),
        Column("tasks_late", "Задач с опозданием"),
        Column("tasks_overdue", "Задач просрочено"),
        Column("tasks_on_time_pct", "Задачи: в срок", PERCENT),
        Column("contracts", "Договоров"),
        Column("fees", "Сумма договоров", MONEY),
        Column("money", "Получено оплат", MONEY),
    ]
    return Table(
        key="managers",
        title="По менеджерам",
        columns=columns,
        rows=rows,
        chart=("who", "acts_done_pct", "tasks_on_time_pct"),
        totals=totals,
        note=(
            "Обращения — поступившие за период и порученные менеджеру; первый ответ — медиана часов от поступления "
            "до первого действия по обращению (выполненное дело, сделка, закрытие, отметка «нецелевое»; передача "
            "менеджеру ответом не считается); «без ответа» — открытые обращения периода, на которые ещё не ответили. "
            "Дела — запланированные на период, без «занято»; «выполнено» — доля выполненных среди выполненных и "
            "просроченных. «Клиентов заброшено» — ставшие заброшенными за период и остающиеся такими; «сделок без "
            "дела» — открытые сделки без запланированного дела, сейчас, по правилу «Моих дел», без учёта периода. "
            "Задачи — со сроком в периоде, как на странице эффективности задач. Договоры и оплаты — за период, "
            "как в воронке. Фильтры источника "
            "и воронки применяются к обращениям, сделкам без дела, договорам и оплатам; к делам, клиентам и "
            "задачам — нет (у них нет источника и воронки)."
        ),
    )


def _money(value) -> Decimal:
    """Roubles with kopecks: the same "1234.00" from PostgreSQL and SQLite (whose sums lose the scale)."""
    return (value or Decimal("0")).quantize(Decimal("0.01"))


def _hours(seconds: float | None) -> float | None:
    return round(seconds / 3600, 1) if seconds is not None else None
