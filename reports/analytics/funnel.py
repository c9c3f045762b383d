"""Funnel and losses: deals entering each stage, conversion, time in stage, stuck deals,
losses by stage and reason, and the same by branch, manager and lead source.

Everything about stages reads DealStageChange (one row per stage a deal entered, with the
deal's line, source, manager and branch copied on it), so a period is an index range and
no figure joins a million deals. Definitions, as the page states them:
- «Вошли» — deals that entered the stage in the period;
- «Перешли дальше» — of those, how many have since entered the next stage (at any time);
- «Медиана» — the median time in the stage of the deals that left it in the period;
- «Застряли» — deals in the stage now, for longer than the threshold (not bound to the period).
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from clients.models import Client
from crm import access
from crm.pipelines import CLOSED, COLUMNS, ORDER, TERMINATED, ServiceLine, Stage, line_of
from deals.models import Deal, DealStageChange
from leads.models import Lead
from reports.analytics import rollup
from reports.analytics.base import DAYS, MONEY, PERCENT, TEXT, Column, Dashboard, Filters, Table, percent
from reports.analytics.scope import leads_in, scoped
from reports.analytics.stats import branch_names, medians, period_bounds, user_names

TITLE = "Воронка и потери"
STUCK_LIST = 20
# The stage a signed contract moves a deal into, per line.
CONTRACT_STAGE = {line: ORDER[line][1] for line in ServiceLine}
SOURCE_LABELS = dict(Deal.Source.choices)


def _lines(filters: Filters) -> list[ServiceLine]:
    return [ServiceLine(filters.pipeline)] if filters.pipeline else list(ServiceLine)


def _stage_label(stage: str) -> str:
    return f"{line_of(stage).label[:2]} · {Stage(stage).label}"


def stage_changes(user, filters: Filters) -> QuerySet[DealStageChange]:
    return scoped(DealStageChange.objects.all(), user, filters, line="service_line")


def _deals(user, filters: Filters) -> QuerySet[Deal]:
    return scoped(Deal.objects.all(), user, filters, line="service_line")


def build(user, filters: Filters) -> Dashboard:
    start, end = period_bounds(filters)
    in_period = stage_changes(user, filters).filter(at__gte=start, at__lt=end)
    # Every move of the period by branch, source and transition, from the rollup: the stages, sources and
    # branches tables are cut from these few hundred rows.
    moves = rollup.sums("stage", user, filters, ("branch_id", "source", "k1", "k2"))
    happened = _total(moves, lambda key: (key[2], key[3]))
    # Transitions of the deals that entered a stage in the period.
    cohort = {key: v["n"] for key, v in rollup.sums("cohort", user, filters, ("k1", "k2")).items()}
    leads = _lead_figures(user, filters, start, end)
    # The whole firm's medians from the rollup's buckets and the middle rows; a narrower view's from its rows.
    seconds_in = rollup.stage_medians(user, filters)
    if seconds_in is None:
        seconds_in = medians(in_period, "from_stage", "seconds_in_from")
    days_in = {stage: seconds / 86400 for stage, seconds in seconds_in.items()}
    return Dashboard(
        slug="funnel",
        title=TITLE,
        filters=filters,
        tables=[
            _stages_table(user, filters, {k: v["n"] for k, v in happened.items()}, cohort, days_in),
            _lead_table(leads),
            _losses_table(user, filters, start, end),
            _stuck_table(user, filters),
            _sources_table(user, filters, moves, leads),
            _people_table(user, filters, moves),
        ],
    )


def _total(sums: dict, key) -> dict:
    """`sums` ({dims: {"n", "amount"}}) added up under `key(dims)`."""
    found = defaultdict(lambda: {"n": 0, "amount": Decimal("0")})
    for dims, value in sums.items():
        total = found[key(dims)]
        total["n"] += value["n"]
        total["amount"] += value["amount"]
    return found


def _stages_table(user, filters, happened, cohort, days_in) -> Table:
    now = timezone.now()
    cutoff = now - timedelta(days=filters.stuck_days)
    # One count per open stage, glued with UNION ALL: each is a range of the board's index (stage,
    # stage_changed_at), where one count over every open stage makes the planner read the whole table.
    deals = _deals(user, filters).filter(stage_changed_at__lt=cutoff).order_by()
    counts = [
        deals.filter(stage=stage).values("stage").annotate(n=Count("id"))
        for line in _lines(filters)
        for stage in COLUMNS[line]
        if stage not in CLOSED
    ]
    stuck = {r["stage"]: r["n"] for r in counts[0].union(*counts[1:], all=True)} if counts else {}
    rows = []
    for line in _lines(filters):
        order = ORDER[line]
        for stage in COLUMNS[line]:
            entered = sum(n for (_, to), n in happened.items() if to == stage)
            following = order[order.index(stage) + 1] if stage in order[:-1] else None
            moved_on = cohort.get((stage, following), 0) if following else None
            terminated = cohort.get((stage, TERMINATED[line]), 0) if stage not in CLOSED else None
            rows.append(
                {
                    "stage": _stage_label(stage),
                    "code": stage,
                    "entered": entered,
                    "moved_on": moved_on,
                    "conversion": percent(moved_on, entered) if following else None,
                    "terminated": terminated,
                    "median_days": round(days_in[stage], 1) if stage in days_in else None,
                    "stuck": stuck.get(stage, 0) if stage not in CLOSED else None,
                }
            )
    return Table(
        key="stages",
        title="Воронка по стадиям",
        columns=[
            Column("stage", "Стадия", TEXT),
            Column("entered", "Вошли за период"),
            Column("moved_on", "Из них перешли дальше"),
            Column("conversion", "Конверсия в следующую", PERCENT),
            Column("terminated", "Из них расторгнуты"),
            Column("median_days", "Медиана на стадии", DAYS),
            Column("stuck", f"Застряли > {filters.stuck_days} дн."),
        ],
        rows=rows,
        chart=("stage", "entered"),
        note=(
            "«Вошли» — сделки, вошедшие в стадию за период; «перешли дальше» и «расторгнуты» — что с ними стало "
            "к сегодняшнему дню; медиана — время на стадии у сделок, покинувших её за период; «застряли» — "
            "сделки на стадии сейчас дольше порога, без учёта периода."
        ),
    )


def _lead_figures(user, filters, start, end) -> dict[str, dict]:
    """The period's leads by source and what became of them: one pass for the lead table and the sources.
    From the requests' rollup by day (stale days from the rows); one manager's requests from the rows."""
    if not filters.manager_id:
        figures = defaultdict(lambda: {"leads": 0, "converted": 0, "contracted": 0, "closed": 0})
        for (source, status, became), value in rollup.day_sums(
            "lead_source", user, filters, ("source", "k1", "k2")
        ).items():
            row = figures[source]
            row["leads"] += value["n"]
            row["converted"] += value["n"] if "deal" in became.split(",") else 0
            row["contracted"] += value["n"] if "signed" in became.split(",") else 0
            row["closed"] += value["n"] if status in (Lead.Status.CLOSED, Lead.Status.NON_TARGET) else 0
        return dict(figures)
    leads = leads_in(
        user, filters, Lead.objects.filter(created_at__gte=start, created_at__lt=end, merged_into__isnull=True)
    )
    return {
        r.pop("source"): r
        for r in leads.order_by()
        .values("source")
        .annotate(
            leads=Count("id"),
            converted=Count("id", filter=Q(deal__isnull=False)),
            # The request's own flag (its deal signed): the count is read from the index of requests alone.
            contracted=Count("id", filter=Q(contract_signed=True)),
            closed=Count("id", filter=Q(status__in=[Lead.Status.CLOSED, Lead.Status.NON_TARGET])),
        )
    }


def _lead_table(by_source: dict[str, dict]) -> Table:
    figures = {k: sum(r[k] for r in by_source.values()) for k in ("leads", "converted", "contracted", "closed")}
    rows = [
        {"step": "Обращения за период", "count": figures["leads"], "share": 100.0 if figures["leads"] else None},
        {
            "step": "Стали сделкой",
            "count": figures["converted"],
            "share": percent(figures["converted"], figures["leads"]),
        },
        {
            "step": "Заключён договор",
            "count": figures["contracted"],
            "share": percent(figures["contracted"], figures["leads"]),
        },
        {
            "step": "Закрыты без сделки или нецелевые",
            "count": figures["closed"],
            "share": percent(figures["closed"], figures["leads"]),
        },
    ]
    return Table(
        key="leads",
        title="От обращения до договора",
        columns=[
            Column("step", "Шаг", TEXT),
            Column("count", "Обращений"),
            Column("share", "От всех обращений", PERCENT),
        ],
        rows=rows,
        chart=("step", "count"),
        note=(
            "Обращения, поступившие за период, и что с ними стало к сегодняшнему дню (объединённые дубли не считаются)."
        ),
    )


def _losses_table(user, filters, start, end) -> Table:
    rows = []
    # The reason as given at the termination (copied onto the move), by the stage the deal left.
    for (from_stage, reason), value in rollup.sums("termination", user, filters, ("k1", "k2")).items():
        rows.append(
            {
                "kind": "Расторжение",
                "stage": _stage_label(from_stage) if from_stage else "—",
                "reason": (reason or "не указана").strip()[:200],
                "count": value["n"],
            }
        )
    # Clients carry no source or line of their own: the source and pipeline filters do not narrow them. The
    # stage is their newest deal's when they were lost (copied then), read with the rest from one index.
    clients = scoped(
        Client.objects.filter(
            status__in=[Client.Status.ABANDONED, Client.Status.POOL, Client.Status.LOST],
            status_changed_at__gte=start,
            status_changed_at__lt=end,
            merged_into__isnull=True,
        ),
        user,
        filters,
        source=None,
    )
    reasons = {
        Client.Status.ABANDONED: "нет запланированных дел",
        Client.Status.POOL: "перенесён в отстойник",
    }
    for r in clients.order_by().values("status", "loss_stage", "lost_reason").annotate(n=Count("id")):
        rows.append(
            {
                "kind": Client.Status(r["status"]).label,
                "stage": _stage_label(r["loss_stage"]) if r["loss_stage"] else "без сделки",
                "reason": reasons.get(r["status"]) or (r["lost_reason"] or "не указана").strip()[:200],
                "count": r["n"],
            }
        )
    for r in _lost_requests(user, filters, start, end):
        reason = r["reason"]
        rows.append(
            {
                "kind": "Обращение закрыто" if r["status"] == Lead.Status.CLOSED else "Нецелевое обращение",
                "stage": "до сделки",
                "reason": (reason or "не указана").strip()[:200],
                "count": r["n"],
            }
        )
    rows.sort(key=lambda r: (-r["count"], r["kind"], r["stage"], r["reason"]))
    totals = defaultdict(int)
    for r in rows:
        totals[r["kind"]] += r["count"]
    return Table(
        key="losses",
        title="Потери по стадиям и причинам",
        columns=[
            Column("kind", "Вид потери", TEXT),
            Column("stage", "Стадия", TEXT),
            Column("reason", "Причина", TEXT),
            Column("count", "Сколько"),
        ],
        rows=rows,
        totals={"kind": "Всего", "count": sum(totals.values())},
        note=(
            "За период: расторгнутые сделки (со стадии, с которой расторгнуты), клиенты, ставшие заброшенными, "
            "перенесённые в отстойник или потерянные окончательно (стадия их последней сделки в тот момент), "
            "обращения, закрытые без сделки, и нецелевые. Фильтры источника и воронки к клиентам не применяются."
        ),
    )


def _lost_requests(user, filters, start, end) -> list[dict]:
    """Requests closed in the period and those that came in it and were marked non-target, by reason: from
    their rollups by day (stale days from the rows); one manager's from the rows."""
    if not filters.manager_id:
        lost = rollup.day_sums_of(("lead_closed", "lead_non_target"), user, filters, ("k1", "k2"))
        return [
            {"status": status, "reason": reason, "n": value["n"]}
            for figures in lost.values()
            for (status, reason), value in figures.items()
        ]
    # Two ranges, each read from its covering index, glued with UNION ALL (an OR of the two reads the table).
    closed = leads_in(
        user,
        filters,
        Lead.objects.filter(
            merged_into__isnull=True, status=Lead.Status.CLOSED, closed_at__gte=start, closed_at__lt=end
        ),
    )
    non_target = leads_in(
        user,
        filters,
        Lead.objects.filter(
            merged_into__isnull=True, status=Lead.Status.NON_TARGET, created_at__gte=start, created_at__lt=end
        ),
    )
    return list(
        closed.order_by()
        .values("status", reason=Substr("close_reason", 1, 200))
        .annotate(n=Count("id"))
        .union(
            non_target.order_by().values("status", reason=Substr("non_target_reason", 1, 200)).annotate(n=Count("id")),
            all=True,
        )
    )


def _stuck_table(user, filters) -> Table:
    """The longest-stuck deals, so a head can open them: per open stage the oldest few by the stage's index."""
    cutoff = timezone.now() - timedelta(days=filters.stuck_days)
    deals = _deals(user, filters).filter(stage_changed_at__lt=cutoff)
    ids = []
    for line in _lines(filters):
        for stage in COLUMNS[line]:
            if stage not in CLOSED:
                # Ids first, by the board's index (stage, -stage_changed_at, -id) read backwards, with no join:
                # joined, the planner may walk the index of all moves instead, which for a stage reached late in
                # a deal's life (in court) means most of a million rows before the first match.
                ids += (
                    deals.filter(stage=stage)
                    .order_by("-stage", "stage_changed_at", "id")
                    .values_list("pk", flat=True)[:STUCK_LIST]
                )
    found = sorted(
        Deal.objects.filter(pk__in=ids).select_related("client", "manager"), key=lambda d: (d.stage_changed_at, d.pk)
    )
    now = timezone.now()
    rows = [
        {
            "client": d.client.display_name,
            "url": d.url,
            "stage": _stage_label(d.stage),
            "manager": d.manager.full_name,
            "days": (now - d.stage_changed_at).days,
        }
        for d in found[:STUCK_LIST]
    ]
    return Table(
        key="stuck",
        title=f"Дольше всех на стадии (более {filters.stuck_days} дн.)",
        columns=[
            Column("client", "Клиент", TEXT),
            Column("stage", "Стадия", TEXT),
            Column("manager", "Менеджер", TEXT),
            Column("days", "Дней на стадии"),
        ],
        rows=rows,
        link="client",
        note=f"Не больше {STUCK_LIST} сделок, дольше всех стоящих без движения; закрытые стадии не в счёт.",
    )


def contract_stages(filters) -> list[str]:
    return [CONTRACT_STAGE[line] for line in _lines(filters)]


def _sources_table(user, filters, moves, by_leads) -> Table:
    signed = contract_stages(filters)
    new_deals = _total({k: v for k, v in moves.items() if k[2] == ""}, lambda key: key[1])
    contracts = _total({k: v for k, v in moves.items() if k[3] in signed}, lambda key: key[1])
    money = rollup.sums("payment", user, filters, ("source",))
    rows = []
    for code, label in Deal.Source.choices:
        lead_row = by_leads.get(code, {"leads": 0, "contracted": 0})
        row = {
            "source": label,
            "leads": lead_row["leads"],
            "lead_contracts": lead_row["contracted"],
            "conversion": percent(lead_row["contracted"], lead_row["leads"]),
            "deals": new_deals[code]["n"],
            "contracts": contracts[code]["n"],
            "fees": contracts[code]["amount"],
            "money": money.get((code,), {}).get("amount") or Decimal("0"),
        }
        if any(row[k] for k in ("leads", "deals", "contracts", "fees", "money")):
            rows.append(row)
    return Table(
        key="sources",
        title="Источники обращений",
        columns=[
            Column("source", "Источник", TEXT),
            Column("leads", "Обращений"),
            Column("lead_contracts", "Из них договор"),
            Column("conversion", "Обращение → договор", PERCENT),
            Column("deals", "Новых сделок"),
            Column("contracts", "Договоров за период"),
            Column("fees", "Сумма договоров", MONEY),
            Column("money", "Получено оплат", MONEY),
        ],
        rows=rows,
        chart=("source", "leads", "contracts"),
        totals=_sum_totals(rows, "source", ("leads", "lead_contracts", "deals", "contracts", "fees", "money"))
        | {"conversion": percent(sum(r["lead_contracts"] for r in rows), sum(r["leads"] for r in rows))},
        note="Обращения — поступившие за период и что с ними стало; сделки, договоры и оплаты — за период.",
    )


def _people_table(user, filters, moves) -> Table:
    """By manager (or by branch for the director without a branch filter): deals, contracts, money, losses."""
    by_branch = access.analytics_branch(user) is None and not filters.branch_id and not filters.manager_id
    signed, ended = contract_stages(filters), list(TERMINATED.values())
    if by_branch:
        per = moves
        money = rollup.sums("payment", user, filters, ("branch_id",))
    else:
        # The per-manager rollup: (manager, stage entered, stage left) of new deals, contracts, terminations.
        per = {
            (m, "", k2, k1): v
            for (m, k1, k2), v in rollup.sums("manager_stage", user, filters, ("manager_id", "k1", "k2")).items()
        }
        money = rollup.sums("manager_payment", user, filters, ("manager_id",))
    new_deals = _total({k: v for k, v in per.items() if k[2] == ""}, lambda key: key[0])
    contracts = _total({k: v for k, v in per.items() if k[3] in signed}, lambda key: key[0])
    terminated = _total({k: v for k, v in per.items() if k[3] in ended}, lambda key: key[0])
    money = {key[0]: value["amount"] for key, value in money.items()}
    ids = {i for i in set(new_deals) | set(contracts) | set(terminated) | set(money) if i}
    names = branch_names(ids) if by_branch else user_names(ids)
    rows = [
        {
            "who": names.get(i, "—"),
            "deals": new_deals[i]["n"],
            "contracts": contracts[i]["n"],
            "conversion": percent(contracts[i]["n"], new_deals[i]["n"]),
            "fees": contracts[i]["amount"],
            "terminated": terminated[i]["n"],
            "money": money.get(i) or Decimal("0"),
        }
        for i in ids
    ]
    rows = [r for r in rows if any(r[k] for k in ("deals", "contracts", "fees", "terminated", "money"))]
    rows.sort(key=lambda r: (-r["fees"], -r["contracts"], r["who"]))
    return Table(
        key="people",
        title="По филиалам" if by_branch else "По менеджерам",
        columns=[
            Column("who", "Филиал" if by_branch else "Менеджер", TEXT),
            Column("deals", "Новых сделок"),
            Column("contracts", "Договоров"),
            Column("conversion", "Договоров к новым сделкам", PERCENT),
            Column("fees", "Сумма договоров", MONEY),
            Column("terminated", "Расторжений"),
            Column("money", "Получено оплат", MONEY),
        ],
        rows=rows,
        chart=("who", "fees", "money"),
        totals=_sum_totals(rows, "who", ("deals", "contracts", "fees", "terminated", "money")),
        note="За период; сделка и платёж засчитываются менеджеру и филиалу, при которых сделка перешла в стадию "
        "или поступил платёж.",
    )


def _sum_totals(rows, label_key, keys) -> dict:
    totals = {label_key: "Итого"}
    for k in keys:
        totals[k] = sum((r[k] for r in rows), Decimal("0") if rows and isinstance(rows[0][k], Decimal) else 0)
    return totals
