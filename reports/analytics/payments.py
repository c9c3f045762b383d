"""Payments, plan and fact: money expected by the fee schedules and money received, month by month, how
much of each month's instalments is collected, and the overdue instalments as of today.

Instalments carry their deal's branch, manager, source and line as they are now (deal_reassign moves
them), so the access scope and the filters need no join to the deals. Expected and collected by month come
from the rollup of instalments by due date (reports/analytics/rollup.py; a payment changes paid amounts, so
the deals' services mark the days they touch stale and those days are read from the rows); the overdue figures
read the covering partial index of unpaid instalments. Money received is the rollup's too, credited to the
branch and manager of the deal on the day of the payment. A fixed number of queries, whatever the data size.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Min, QuerySet, Sum
from django.utils import timezone

from crm import access
from deals.models import Instalment
from reports.analytics import rollup
from reports.analytics.base import MONEY, PERCENT, TEXT, Column, Dashboard, Filters, Table, percent
from reports.analytics.scope import scoped
from reports.analytics.stats import branch_names, user_names

TITLE = "Платежи: план и факт"
OVERDUE_LIST = 20
MONTHS = (
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
)
ZERO = Decimal("0.00")


def _money(value) -> Decimal:
    """Roubles with kopecks: the same "1234.00" from PostgreSQL and SQLite (whose sums lose the scale)."""
    return (value or ZERO).quantize(ZERO)


def instalments(user, filters: Filters) -> QuerySet[Instalment]:
    """Instalments of the deals `user` may read, under the filters."""
    return scoped(Instalment.objects.all(), user, filters, line="service_line")


def build(user, filters: Filters) -> Dashboard:
    today = timezone.localdate()
    overdue = instalments(user, filters).filter(due_date__lt=today, paid_amount__lt=F("amount"))
    return Dashboard(
        slug="payments",
        title=TITLE,
        filters=filters,
        tables=[
            _months_table(user, filters),
            _overdue_table(user, filters, overdue, today),
            _overdue_list(overdue, today),
        ],
    )


def _months(date_from: date, date_to: date) -> list[date]:
    month, last, found = date_from.replace(day=1), date_to.replace(day=1), []
    while month <= last:
        found.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return found


def _months_table(user, filters: Filters) -> Table:
    # Both from the rollup of instalments by due date (paid amounts change: stale days are read raw).
    planned = defaultdict(lambda: {"expected": ZERO, "collected": ZERO})
    sums = rollup.day_sums_of(("instalment", "instalment_paid"), user, filters, ("day",))
    for name, key in (("instalment", "expected"), ("instalment_paid", "collected")):
        for (day,), value in sums[name].items():
            planned[day.replace(day=1)][key] += value["amount"]
    received = defaultdict(Decimal)
    for (day,), value in rollup.sums("payment", user, filters, ("day",)).items():
        received[day.replace(day=1)] += value["amount"]
    rows = []
    for month in _months(filters.date_from, filters.date_to):
        plan = planned.get(month, {})
        expected, collected = _money(plan.get("expected")), _money(plan.get("collected"))
        rows.append(
            {
                "month": f"{MONTHS[month.month - 1]} {month.year}",
                "expected": expected,
                "received": _money(received.get(month)),
                "collected": collected,
                "rate": percent(collected, expected),
            }
        )
    totals = {"month": "Итого"} | {k: sum((r[k] for r in rows), ZERO) for k in ("expected", "received", "collected")}
    totals["rate"] = percent(totals["collected"], totals["expected"])
    return Table(
        key="months",
        title="Ожидалось и получено по месяцам",
        columns=[
            Column("month", "Месяц", TEXT),
            Column("expected", "Ожидалось по графику", MONEY),
            Column("received", "Получено", MONEY),
            Column("collected", "Собрано по взносам месяца", MONEY),
            Column("rate", "Собираемость", PERCENT),
        ],
        rows=rows,
        chart=("month", "expected", "received"),
        totals=totals,
        note=(
            "В пределах периода. «Ожидалось» — взносы графиков со сроком в этом месяце; «получено» — платежи, "
            "внесённые в этом месяце; «собрано» — оплаченная к сегодняшнему дню часть взносов этого месяца "
            "(платежи разносятся по графику с самого раннего взноса); собираемость — собрано от ожидаемого. "
            "Филиал, менеджер, источник и воронка взносов — сделки, как сейчас; платежа — сделки в день платежа."
        ),
    )


def _overdue_table(user, filters: Filters, overdue: QuerySet[Instalment], today: date) -> Table:
    """By manager (by branch for the director without a branch or manager filter): overdue count and sum."""
    by_branch = access.analytics_branch(user) is None and not filters.branch_id and not filters.manager_id
    key = "branch_id" if by_branch else "manager_id"
    grouped = {
        r[key]: r
        for r in overdue.order_by()
        .values(key)
        .annotate(
            count=Count("id"),
            deals=Count("deal_id", distinct=True),
            outstanding=Sum(F("amount") - F("paid_amount")),
            oldest=Min("due_date"),
        )
    }
    names = branch_names(grouped) if by_branch else user_names(grouped)
    rows = [
        {
            "who": names.get(i, "—"),
            "count": r["count"],
            "deals": r["deals"],
            "outstanding": _money(r["outstanding"]),
            "oldest_days": (today - r["oldest"]).days,
        }
        for i, r in grouped.items()
    ]
    rows.sort(key=lambda r: (-r["outstanding"], r["who"]))
    return Table(
        key="overdue",
        title="Просроченные взносы по филиалам" if by_branch else "Просроченные взносы по менеджерам",
        columns=[
            Column("who", "Филиал" if by_branch else "Менеджер", TEXT),
            Column("count", "Взносов"),
            Column("deals", "Сделок"),
            Column("outstanding", "Не оплачено", MONEY),
            Column("oldest_days", "Самый давний, дней"),
        ],
        rows=rows,
        chart=("who", "outstanding"),
        totals={
            "who": "Итого",
            "count": sum(r["count"] for r in rows),
            "deals": sum(r["deals"] for r in rows),
            "outstanding": sum((r["outstanding"] for r in rows), ZERO),
            "oldest_days": max((r["oldest_days"] for r in rows), default=None),
        },
        note=(
            "На сегодня, без учёта периода: взносы со сроком раньше сегодняшнего дня, оплаченные не полностью; "
            "«не оплачено» — их неоплаченный остаток. Филиал и менеджер — сделки, как сейчас."
        ),
    )


def _overdue_list(overdue: QuerySet[Instalment], today: date) -> Table:
    found = overdue.select_related("deal__client", "deal__manager").order_by("due_date", "id")[:OVERDUE_LIST]
    rows = [
        {
            "client": i.deal.client.display_name,
            "url": i.deal.url,
            "manager": i.deal.manager.full_name,
            "due_date": f"{i.due_date:%d.%m.%Y}",
            "days": (today - i.due_date).days,
            "amount": _money(i.amount),
            "outstanding": _money(i.amount - i.paid_amount),
        }
        for i in found
    ]
    return Table(
        key="overdue_list",
        title=f"Дольше всех просрочены (до {OVERDUE_LIST})",
        columns=[
            Column("client", "Клиент", TEXT),
            Column("manager", "Менеджер", TEXT),
            Column("due_date", "Срок взноса", TEXT),
            Column("days", "Дней просрочки"),
            Column("amount", "Сумма взноса", MONEY),
            Column("outstanding", "Не оплачено", MONEY),
        ],
        rows=rows,
        link="client",
        note=f"На сегодня, без учёта периода: не больше {OVERDUE_LIST} взносов, просроченных дольше всех; "
        "клиент — ссылка на сделку.",
    )
