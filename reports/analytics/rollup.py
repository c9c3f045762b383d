"""Pre-aggregated events for the dashboards: stage moves and payments summed by day and by month.

Why: a year of the whole firm is a million stage moves and eight hundred thousand payments; summing them
on every page view takes seconds. The sums by day and month (`reports.Fact`) are a few thousand rows.

How it stays exact: the source tables are append-only, so each fact keeps a watermark, the last source id
its sums hold (`FactWatermark`). `refresh()` (a beat job, and after the demo or the bench data is loaded)
adds the rows past the watermark and moves it; `sums()` reads the rollup up to the watermark and the rows
past it raw, in one consistent view, so a figure is the same as a count of the raw rows at any moment.
A period is its whole months from the monthly rows and the days at its ends from the daily rows.

A fact groups by some dims only (branch, source, line, two keys; the per-manager facts by branch and
manager). When a filter names a dim the fact lacks (a manager for the branch-level facts, a source for the
per-manager ones), `sums()` reads the raw rows alone: one manager's or one source's rows, through the
tables' own indexes.
"""

import time
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, CharField, Count, DateTimeField, F, Func, Max, Q, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Least, Substr, TruncDate
from django.utils import timezone

from activities.models import Activity
from crm import access
from crm.models import StaleDay
from crm.pipelines import ORDER, TERMINATED, ServiceLine
from crm.stale import ACTIVITY, INSTALMENT, LEAD
from deals.models import DealStageChange, Instalment, Payment
from leads.models import Lead
from reports.analytics.base import Filters
from reports.analytics.scope import scoped
from reports.analytics.stats import period_bounds
from reports.models import Fact, FactWatermark

DIMS = ("branch_id", "manager_id", "source", "line", "k1", "k2")
# Lower bounds (seconds) of the time-in-stage buckets, a quarter apart from one minute to beyond three years:
# bucket b ≥ 1 holds [DURATION_BOUNDS[b - 1], DURATION_BOUNDS[b]), bucket 0 anything under a minute.
DURATION_BOUNDS = [round(60 * 1.25**i) for i in range(66)]
DURATION_BUCKET = Cast(Func(F("seconds_in_from"), Value(DURATION_BOUNDS), function="width_bucket"), CharField())
# A request's first response by bucket ('' when not answered yet), each twice as wide as the one before from a
# minute on: a manager's month is a dozen rows, and the middle value is read from the index within one bucket.
RESPONSE_BOUNDS = [60 * 2**i for i in range(24)]
RESPONSE_BUCKET = Coalesce(
    Cast(Func(F("response_seconds"), Value(RESPONSE_BOUNDS), function="width_bucket"), CharField()), Value("")
)
OPEN_LEAD = (Lead.Status.NEW, Lead.Status.IN_WORK)
# A request's pipeline: its deal's when it has one (it may have come in with none or another), else its own.
LEAD_LINE = Coalesce(F("deal__service_line"), F("service_line"))
INSTALMENT_DIMS = {
    "branch_id": F("branch_id"),
    "manager_id": F("manager_id"),
    "source": F("source"),
    "line": F("service_line"),
}
CONTRACT_STAGES = [ORDER[line][1] for line in ServiceLine]
TERMINATED_STAGES = list(TERMINATED.values())
# Source ids per refresh step: bounded memory whatever the backlog (the first refresh of a big database).
REFRESH_BATCH = 250_000
# How long a refresh waits for transactions that may still commit rows below the ids it has seen.
SETTLE_TIMEOUT = 30.0


@dataclass(frozen=True)
class Spec:
    """One fact: its source rows, the date that places them in a period, and what it groups by.
    `dims` maps the fact's dims to the source's expressions; the rest are 0 or ''."""

    name: str
    model: type
    date_field: str
    dims: dict
    amount: str | Func | None = None
    where: Q = field(default_factory=Q)
    postgresql_only: bool = False
    # Mutable source rows (requests are answered, reassigned, closed, merged): no watermark; instead each
    # change marks its day stale (crm/stale.py) and the refresh recomputes the marked days from the rows.
    stale_topic: str = ""
    # scoped()'s names for the source's manager field.
    manager_field: str = "manager"
    # Filters the source rows have no field for and the dashboard does not apply to them.
    ignores: tuple[str, ...] = ()

    @property
    def is_datetime(self) -> bool:
        return isinstance(self.model._meta.get_field(self.date_field), DateTimeField)


def _lost_request_spec(name: str, status: str, date_field: str, reason_field: str) -> Spec:
    """Requests of one status by the day `date_field` places them and their reason (`k2`, as the page cuts it)."""
    return Spec(
        name,
        Lead,
        date_field,
        {
            "branch_id": F("branch_id"),
            "source": F("source"),
            "line": LEAD_LINE,
            "k1": Value(status),
            "k2": Substr(reason_field, 1, 200),
        },
        where=Q(merged_into__isnull=True, status=status),
        stale_topic=LEAD,
        manager_field="assigned_to",
    )


SPECS = {
    spec.name: spec
    for spec in [
        # Every move, by when it happened: entered, transitions, new deals, contracts (fee at the move).
        Spec(
            "stage",
            DealStageChange,
            "at",
            {
                "branch_id": F("branch_id"),
                "source": F("source"),
                "line": F("service_line"),
                "k1": F("from_stage"),
                "k2": F("to_stage"),
            },
            amount="fee",
        ),
        # Moves out of a stage, by when the deal had entered it: «of those that entered, how many moved on».
        Spec(
            "cohort",
            DealStageChange,
            "from_entered_at",
            {
                "branch_id": F("branch_id"),
                "source": F("source"),
                "line": F("service_line"),
                "k1": F("from_stage"),
                "k2": F("to_stage"),
            },
            where=Q(from_entered_at__isnull=False),
        ),
        # Terminations by the stage left and the reason given.
        Spec(
            "termination",
            DealStageChange,
            "at",
            {
                "branch_id": F("branch_id"),
                "source": F("source"),
                "line": F("service_line"),
                "k1": F("from_stage"),
                "k2": Substr("termination_reason", 1, 200),
            },
            where=Q(to_stage__in=TERMINATED_STAGES),
        ),
        # Per manager: new deals, contracts (with fees) and terminations, by the stage entered.
        Spec(
            "manager_stage",
            DealStageChange,
            "at",
            {"branch_id": F("branch_id"), "manager_id": F("manager_id"), "k1": F("to_stage"), "k2": F("from_stage")},
            amount="fee",
            where=Q(from_stage="") | Q(to_stage__in=CONTRACT_STAGES + TERMINATED_STAGES),
        ),
        Spec(
            "payment",
            Payment,
            "paid_on",
            {"branch_id": F("branch_id"), "source": F("source"), "line": F("service_line")},
            amount="amount",
        ),
        # Time in stage by bucket, for the medians (stage_medians): the whole firm, and by branch for a head
        # (no source or manager: those are medians over the raw rows), on PostgreSQL only (width_bucket).
        Spec(
            "duration",
            DealStageChange,
            "at",
            {"line": F("service_line"), "k1": F("from_stage"), "k2": DURATION_BUCKET},
            where=Q(seconds_in_from__isnull=False),
            postgresql_only=True,
        ),
        Spec(
            "duration_branch",
            DealStageChange,
            "at",
            {"branch_id": F("branch_id"), "line": F("service_line"), "k1": F("from_stage"), "k2": DURATION_BUCKET},
            where=Q(seconds_in_from__isnull=False),
            postgresql_only=True,
        ),
        # Requests by the day they came in, per manager: how many, how many still open and not answered, and
        # the first response by bucket, for the efficiency dashboard's counts and exact medians (response_medians).
        Spec(
            "lead",
            Lead,
            "created_at",
            {
                "branch_id": F("branch_id"),
                "manager_id": F("assigned_to_id"),
                "k1": RESPONSE_BUCKET,
                # Open and not answered: the «без ответа» column.
                "k2": Case(
                    When(status__in=OPEN_LEAD, response_seconds__isnull=True, then=Value("open")), default=Value("")
                ),
            },
            where=Q(merged_into__isnull=True),
            postgresql_only=True,
            stale_topic=LEAD,
            manager_field="assigned_to",
        ),
        # Requests by the day they came in, by branch, source and pipeline (a converted request is in its deal's),
        # status and what became of them: the funnel's «от обращения до договора» and its sources.
        Spec(
            "lead_source",
            Lead,
            "created_at",
            {
                "branch_id": F("branch_id"),
                "source": F("source"),
                "line": LEAD_LINE,
                "k1": F("status"),
                "k2": Case(
                    When(deal__isnull=False, contract_signed=True, then=Value("deal,signed")),
                    When(deal__isnull=False, then=Value("deal")),
                    When(contract_signed=True, then=Value("signed")),
                    default=Value(""),
                ),
            },
            where=Q(merged_into__isnull=True),
            stale_topic=LEAD,
            manager_field="assigned_to",
        ),
        # The funnel's losses before a deal: requests closed, by the day closed and the reason, and requests
        # marked non-target, by the day they came in and the reason.
        _lost_request_spec("lead_closed", Lead.Status.CLOSED, "closed_at", "close_reason"),
        _lost_request_spec("lead_non_target", Lead.Status.NON_TARGET, "created_at", "non_target_reason"),
        # «Дела» (not busy time) by the day they are planned for, per responsible and status: done, cancelled,
        # planned (on a past day: overdue). Today and later are read from the rows (efficiency.py).
        Spec(
            "activity",
            Activity,
            "planned_at",
            {"branch_id": F("branch_id"), "manager_id": F("responsible_id"), "k1": F("status")},
            where=~Q(kind=Activity.Kind.BUSY),
            stale_topic=ACTIVITY,
            manager_field="responsible",
            ignores=("source", "pipeline"),
        ),
        # Instalments by due date: what the schedules expect, and the part of it paid (payments are spread over
        # the schedule oldest first, so paid amounts change): the payments dashboard's months.
        Spec(
            "instalment",
            Instalment,
            "due_date",
            INSTALMENT_DIMS,
            amount="amount",
            stale_topic=INSTALMENT,
        ),
        Spec(
            "instalment_paid",
            Instalment,
            "due_date",
            INSTALMENT_DIMS,
            amount=Least("paid_amount", "amount"),
            stale_topic=INSTALMENT,
        ),
        Spec(
            "manager_payment",
            Payment,
            "paid_on",
            {"branch_id": F("branch_id"), "manager_id": F("manager_id")},
            amount="amount",
        ),
    ]
}


def _grouped(spec: Spec, qs, by: tuple[str, ...], *, by_day: bool = False) -> list[dict]:
    """`qs` (rows of the spec's model) summed by the fact's dims `by` ("day" among them, or `by_day`): dicts
    with those keys, "n" and "amount"."""
    by_day = by_day or "day" in by
    exprs = {dim: spec.dims.get(dim, Value(0) if dim.endswith("_id") else Value("")) for dim in by if dim != "day"}
    if by_day:
        exprs["day"] = (
            TruncDate(spec.date_field, tzinfo=timezone.get_current_timezone())
            if spec.is_datetime
            else F(spec.date_field)
        )
    # With nothing to group by, one group: a constant (values() of no fields would be every field).
    names = {f"_{k}": v for k, v in exprs.items()} or {"_all": Value(1)}
    rows = (
        qs.filter(spec.where)
        .order_by()
        .annotate(**names)
        .values(*names)
        .annotate(n=Count("id"), amount=Sum(spec.amount) if spec.amount else Value(Decimal("0")))
    )
    return [
        {k[1:]: row[k] for k in names if k != "_all"} | {"n": row["n"], "amount": row["amount"] or Decimal("0")}
        for row in rows
    ]


# --- refresh (writes) ---------------------------------------------------------------------------


def _settle() -> bool:
    """Wait until every transaction that began before now has ended, so no row with an id below the ones
    just seen can still appear (ids are taken at insert, rows become visible at commit). PostgreSQL only:
    SQLite has one writer at a time. False if they did not end within SETTLE_TIMEOUT."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cur:
        cur.execute("SELECT clock_timestamp()")
        (since,) = cur.fetchone()
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while True:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                "AND datname = current_database() AND backend_xid IS NOT NULL AND xact_start <= %s",
                [since],
            )
            if cur.fetchone()[0] == 0:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


def _upsert(spec: Spec, rows: list[dict]) -> None:
    """Add day rows and their months to the rollup: one statement per thousand keys."""
    months = defaultdict(lambda: [0, Decimal("0")])
    keyed = []
    for row in rows:
        dims = tuple(row.get(d, 0 if d.endswith("_id") else "") or (0 if d.endswith("_id") else "") for d in DIMS)
        keyed.append(("d", row["day"], dims, row["n"], row["amount"]))
        month = months[(row["day"].replace(day=1), dims)]
        month[0] += row["n"]
        month[1] += row["amount"]
    keyed += [("m", day, dims, n, amount) for (day, dims), (n, amount) in months.items()]
    table = Fact._meta.db_table
    columns = ("fact", "grain", "day", *DIMS, "n", "amount")
    key = ", ".join(("fact", "grain", "day", *DIMS))
    with connection.cursor() as cur:
        for start in range(0, len(keyed), 1000):
            chunk = keyed[start : start + 1000]
            values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(chunk))
            params = [p for grain, day, dims, n, amount in chunk for p in (spec.name, grain, day, *dims, n, amount)]
            cur.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} "
                f"ON CONFLICT ({key}) DO UPDATE SET n = {table}.n + excluded.n, "
                f"amount = {table}.amount + excluded.amount",
                params,
            )


def refresh(names=None) -> dict[str, int]:
    """Roll the source rows past each fact's watermark into its sums; returns how many rows each took in.
    Safe to run at any time and concurrently: the watermark row is locked while a fact moves it."""
    taken = {}
    names = [n for n in names or SPECS if connection.vendor == "postgresql" or not SPECS[n].postgresql_only]
    for topic in dict.fromkeys(SPECS[n].stale_topic for n in names if SPECS[n].stale_topic):
        taken |= _recompute(topic, [SPECS[n] for n in names if SPECS[n].stale_topic == topic])
    names = [n for n in names if not SPECS[n].stale_topic]
    tops = {name: SPECS[name].model.objects.aggregate(top=Max("id"))["top"] or 0 for name in names}
    if not _settle():
        return taken
    for name, top in tops.items():
        spec = SPECS[name]
        with transaction.atomic():
            FactWatermark.objects.get_or_create(fact=name)
            mark = FactWatermark.objects.select_for_update().get(fact=name)
            low, taken[name] = mark.last_id, 0
            while low < top:
                high = min(low + REFRESH_BATCH, top)
                rows = _grouped(spec, spec.model.objects.filter(id__gt=low, id__lte=high), DIMS, by_day=True)
                _upsert(spec, rows)
                taken[name] += sum(row["n"] for row in rows)
                low = high
            if top > mark.last_id:
                mark.last_id = top
                mark.save(update_fields=["last_id"])
    return taken


def _runs(days: list[date], longest: int = 31) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days, none longer than `longest` (bounded work per query)."""
    runs = []
    for day in days:
        if runs and day == runs[-1][1] + timedelta(days=1) and (day - runs[-1][0]).days < longest:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _days_q(spec: Spec, runs: list[tuple[date, date]]) -> Q:
    """Source rows placed on the days of `runs` (in the firm's time zone)."""
    q = Q(pk__in=[])
    for first, last in runs:
        if spec.is_datetime:
            start, end = period_bounds(Filters(date_from=first, date_to=last))
            q |= Q(**{f"{spec.date_field}__gte": start, f"{spec.date_field}__lt": end})
        else:
            q |= Q(**{f"{spec.date_field}__gte": first, f"{spec.date_field}__lte": last})
    return q


def _recompute(topic: str, specs: list[Spec]) -> dict[str, int]:
    """Sum the stale days of a mutable source again from its rows (every fact of the topic), rebuild their
    months, and drop the marks read: a mark added meanwhile stays, so its day is read raw until the next
    refresh. Returns the rows summed per fact."""
    with transaction.atomic():
        FactWatermark.objects.get_or_create(fact=topic)
        FactWatermark.objects.select_for_update().get(fact=topic)  # one recompute of a topic at a time
        marks = list(StaleDay.objects.filter(topic=topic).values_list("id", "day"))
        days = sorted({day for _, day in marks})
        taken = {spec.name: _recompute_days(spec, days) for spec in specs}
        ids = [pk for pk, _ in marks]
        for start in range(0, len(ids), 5000):
            StaleDay.objects.filter(id__in=ids[start : start + 5000]).delete()
    return taken


def _recompute_days(spec: Spec, days: list[date]) -> int:
    """One fact's day rows of `days` from the source rows, then their months from the day rows."""
    taken = 0
    for run in _runs(days):
        Fact.objects.filter(fact=spec.name, grain="d", day__gte=run[0], day__lte=run[1]).delete()
        rows = _grouped(spec, spec.model.objects.filter(_days_q(spec, [run])), DIMS, by_day=True)
        Fact.objects.bulk_create([_fact(spec.name, "d", row) for row in rows], batch_size=2000)
        taken += sum(row["n"] for row in rows)
    for month in sorted({day.replace(day=1) for day in days}):
        following = _next_month(month)
        Fact.objects.filter(fact=spec.name, grain="m", day=month).delete()
        rows = (
            Fact.objects.filter(fact=spec.name, grain="d", day__gte=month, day__lt=following)
            .order_by()
            .values(*DIMS)
            .annotate(n=Sum("n"), amount=Sum("amount"))
        )
        Fact.objects.bulk_create([_fact(spec.name, "m", row | {"day": month}) for row in rows], batch_size=2000)
    return taken


def _fact(name: str, grain: str, row: dict) -> Fact:
    dims = {d: row.get(d) or (0 if d.endswith("_id") else "") for d in DIMS}
    return Fact(fact=name, grain=grain, day=row["day"], n=row["n"], amount=row["amount"] or 0, **dims)


def mark_all_stale(topic: str) -> None:
    """Every day of a topic's rows (by each of its facts' dates) is recomputed at the next refresh and read
    raw until then: after rows were loaded around the services (the demo, the bench, a test from none)."""
    tz = timezone.get_current_timezone()
    days = set()
    for spec in [spec for spec in SPECS.values() if spec.stale_topic == topic]:
        day = TruncDate(spec.date_field, tzinfo=tz) if spec.is_datetime else F(spec.date_field)
        rows = spec.model.objects.filter(**{f"{spec.date_field}__isnull": False}).annotate(_day=day)
        days |= set(rows.order_by().values_list("_day", flat=True).distinct())
    StaleDay.objects.bulk_create([StaleDay(topic=topic, day=day) for day in sorted(days)], batch_size=2000)


# --- reading (selectors) ------------------------------------------------------------------------


def _watermark(name: str) -> int:
    """The fact's watermark, held (FOR SHARE) until the reader's transaction ends: a refresh waits, so the
    rollup and the raw rows past the watermark are read as of one moment."""
    table = FactWatermark._meta.db_table
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cur:
        cur.execute(f"SELECT last_id FROM {table} WHERE fact = %s{lock}", [name])
        row = cur.fetchone()
    return row[0] if row else 0


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _split(date_from: date, date_to: date) -> tuple[list[date], list[tuple[date, date]]]:
    """The period as whole months (their first days) and day ranges at its ends."""
    months, days = [], []
    month = date_from.replace(day=1)
    while month <= date_to:
        following = _next_month(month)
        first, last = max(month, date_from), min(following - timedelta(days=1), date_to)
        if first == month and last == following - timedelta(days=1):
            months.append(month)
        else:
            days.append((first, last))
        month = following
    return months, days


def _raw_period(spec: Spec, qs, date_from: date, date_to: date):
    if not spec.is_datetime:
        return qs.filter(**{f"{spec.date_field}__gte": date_from, f"{spec.date_field}__lte": date_to})
    start, end = period_bounds(Filters(date_from=date_from, date_to=date_to))
    return qs.filter(**{f"{spec.date_field}__gte": start, f"{spec.date_field}__lt": end})


def sums(name: str, user, filters: Filters, by: tuple[str, ...], **where) -> dict[tuple, dict]:
    """The fact's rows in the filters' period, visible to `user` and under the filters, summed by the
    dims `by`: {(values of by…): {"n": …, "amount": …}}. `where` narrows dims further (dim__in=[…])."""
    spec = SPECS[name]
    narrowed_to_branch = filters.branch_id or access.analytics_branch(user)
    lacking = (
        (filters.manager_id and "manager_id" not in spec.dims)
        or (filters.source and "source" not in spec.dims)
        or (filters.pipeline and "line" not in spec.dims)
        or (narrowed_to_branch and "branch_id" not in spec.dims)
    )
    # The source tables carry branch, manager, source and line under those names: the dashboards' own scope.
    raw = scoped(spec.model.objects.all(), user, filters, line="service_line")
    for lookup, value in where.items():
        dim, _, op = lookup.partition("__")
        raw = raw.filter(**{f"{_raw_name(spec, dim)}__{op or 'exact'}": value})
    raw = _raw_period(spec, raw, filters.date_from, filters.date_to)
    totals = _totals()
    if lacking:
        _add(totals, _grouped(spec, raw, by), by)
        return dict(totals)
    # One transaction for the watermark and both reads (a savepoint is not needed inside the caller's).
    with nullcontext() if connection.in_atomic_block else transaction.atomic():
        mark = _watermark(name)
        _add(totals, _rolled(name, user, filters, by, where), by)
        _add(totals, _grouped(spec, raw.filter(id__gt=mark), by), by)
    return dict(totals)


def _totals() -> defaultdict:
    return defaultdict(lambda: {"n": 0, "amount": Decimal("0")})


def _add(totals: dict, rows, by: tuple[str, ...]) -> None:
    """Rows of sums (dicts with the dims `by`, "n" and "amount") added into `totals`, keyed by those dims."""
    for row in rows:
        total = totals[tuple(row[d] for d in by)]
        total["n"] += row["n"]
        total["amount"] += row["amount"] or Decimal("0")


def _rolled(name: str | tuple, user, filters: Filters, by: tuple[str, ...], where: dict, period: Q | None = None):
    if period is None:
        months, days = _split(filters.date_from, filters.date_to)
        period = Q(grain="m", day__in=months) if months else Q(pk__in=[])
        for first, last in days:
            period |= Q(grain="d", day__gte=first, day__lte=last)
    names = name if isinstance(name, tuple) else (name,)
    rolled = Fact.objects.filter(period, fact__in=names).filter(access.analytics_rows_q(user, branch="branch"))
    if filters.branch_id:
        rolled = rolled.filter(branch_id=filters.branch_id)
    if filters.manager_id:  # only facts with the dim come here
        rolled = rolled.filter(manager_id=filters.manager_id)
    if filters.source:
        rolled = rolled.filter(source=filters.source)
    if filters.pipeline:
        rolled = rolled.filter(line=filters.pipeline)
    return rolled.filter(**where).order_by().values(*(by or ["fact"])).annotate(n=Sum("n"), amount=Sum("amount"))


def day_sums(name: str, user, filters: Filters, by: tuple[str, ...]) -> dict[tuple, dict]:
    """A mutable fact's rows in the period, like sums(): clean days from the rollup (a whole month from its
    month row when none of its days is stale), stale days from the source rows. The caller keeps to the
    fact's dims (no manager filter for «lead_source», say: it reads the rows then)."""
    return day_sums_of((name,), user, filters, by)[name]


def day_sums_of(names: tuple[str, ...], user, filters: Filters, by: tuple[str, ...]) -> dict[str, dict]:
    """day_sums() of several facts of one topic, read together: their stale days and their rollup at once."""
    specs = [SPECS[name] for name in names]
    topic = specs[0].stale_topic
    filters = replace(filters, **dict.fromkeys(specs[0].ignores, ""))
    for spec in specs:
        assert spec.stale_topic == topic and spec.ignores == specs[0].ignores
        assert not filters.source or "source" in spec.dims, "the fact has no source: read the rows"
        assert not filters.pipeline or "line" in spec.dims, "the fact has no pipeline: read the rows"
        assert not filters.manager_id or "manager_id" in spec.dims, "the fact has no manager: read the rows"
    stale = sorted(
        set(
            StaleDay.objects.filter(topic=topic, day__gte=filters.date_from, day__lte=filters.date_to).values_list(
                "day", flat=True
            )
        )
    )
    stale_months = {day.replace(day=1) for day in stale}
    months, days = _split(filters.date_from, filters.date_to)
    period = Q(grain="m", day__in=[m for m in months if m not in stale_months]) if months else Q(pk__in=[])
    for month in [m for m in months if m in stale_months]:
        days.append((month, _next_month(month) - timedelta(days=1)))
    for first, last in days:
        period |= Q(grain="d", day__gte=first, day__lte=last)
    if stale:
        period &= ~Q(grain="d", day__in=stale)
    totals = {name: _totals() for name in names}
    for row in _rolled(names, user, filters, ("fact", *by), {}, period):
        _add(totals[row["fact"]], [row], by)
    for spec in specs if stale else []:
        raw = scoped(spec.model.objects.all(), user, filters, manager=spec.manager_field)
        if filters.pipeline:
            # The fact's own expression for the line (a request's is its deal's when it has one).
            raw = raw.alias(_line=spec.dims["line"]).filter(_line=filters.pipeline)
        _add(totals[spec.name], _grouped(spec, raw.filter(_days_q(spec, _runs(stale))), by), by)
    return {name: dict(total) for name, total in totals.items()}


def response_medians(
    user, filters: Filters, managers: list[int], rolled: dict[tuple, dict]
) -> tuple[dict[int, float], float | None]:
    """The exact median first response (seconds) of the period's answered requests of each of `managers`,
    and of all of them together. `rolled` is day_sums("lead", …, ("manager_id", "k1", "k2")): the buckets'
    counts find the bucket of the middle rank, then the middle value(s) are read from the requests' duration
    indexes, a bucket's worth of rows instead of a year's (as stage_medians())."""
    counts = defaultdict(lambda: defaultdict(int))
    wanted = set(managers)
    for (manager, bucket, _), value in rolled.items():
        if bucket != "" and manager in wanted and value["n"]:
            counts[manager][int(bucket)] += value["n"]
            counts[None][int(bucket)] += value["n"]
    start, end = period_bounds(filters)
    rows = scoped(
        Lead.objects.filter(
            merged_into__isnull=True, created_at__gte=start, created_at__lt=end, response_seconds__isnull=False
        ),
        user,
        filters,
        manager="assigned_to",
    )
    # Per group: where its middle rank sits (the bucket's lower bound, how many to skip within it, 1 or 2).
    places = {}
    for who, buckets in counts.items():
        bucket, skip, take = _middle(buckets)
        places[who] = (RESPONSE_BOUNDS[bucket - 1] if bucket > 0 else -1e300, skip, take)
    found = defaultdict(list)
    overall = places.pop(None, None)
    if overall:
        low, skip, take = overall
        these = rows.filter(assigned_to_id__in=managers, response_seconds__gte=low).order_by("response_seconds")
        found[None] = list(these.values_list("response_seconds", flat=True)[skip : skip + take])
    if places:
        # One statement for every manager: each reads its own few rows from (assigned_to, response_seconds).
        # Raw SQL because two hundred ORM subqueries cost more to build than to run.
        sql, params = rows.order_by().values_list("response_seconds").query.sql_with_params()
        table = Lead._meta.db_table
        values = ", ".join(["(%s, %s::double precision, %s, %s)"] * len(places))
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT v.who, x.response_seconds FROM (VALUES {values}) AS v (who, low, skip, take) "
                f"CROSS JOIN LATERAL ({sql} AND {table}.assigned_to_id = v.who "
                f"AND {table}.response_seconds >= v.low ORDER BY {table}.response_seconds "
                f"OFFSET v.skip LIMIT v.take) AS x",
                [p for who, place in places.items() for p in (who, *place)] + list(params),
            )
            for who, seconds in cur.fetchall():
                found[who].append(seconds)
    medians = {who: sum(values) / len(values) for who, values in found.items() if values}
    return {who: m for who, m in medians.items() if who is not None}, medians.get(None)


def _middle(counts: dict[int, int]) -> tuple[int, int, int]:
    """Where the median of values counted by bucket sits: the bucket, how many of its values (in order) to
    skip, and how many to take: PERCENTILE_CONT(0.5) is the middle value, or the mean of the two middle ones."""
    total = sum(counts.values())
    first = (total + 1) // 2 if total % 2 else total // 2
    below = 0
    for bucket in sorted(counts):
        if below + counts[bucket] >= first:
            break
        below += counts[bucket]
    return bucket, first - below - 1, 1 if total % 2 else 2


def _raw_name(spec: Spec, dim: str) -> str:
    """The source field behind a dim, for filtering raw rows."""
    expr = spec.dims[dim]
    return expr.name if isinstance(expr, F) else dim


def stage_medians(user, filters: Filters) -> dict[str, float] | None:
    """The exact median of time in stage (seconds) of the moves in the period, per stage left, for the whole
    firm or a branch: the buckets' counts from the rollup find which bucket holds the middle rank, then one
    query reads just the middle value(s) from the index of durations (stage_change_duration), a bucket's worth
    of rows instead of a year's. None when the filters narrow the rows further (a manager, a source) or off
    PostgreSQL: the caller takes the median of the raw rows then."""
    if connection.vendor != "postgresql" or filters.manager_id or filters.source:
        return None
    branch = filters.branch_id or access.analytics_branch(user)
    buckets = defaultdict(dict)
    fact = "duration_branch" if branch else "duration"
    for (stage, bucket), value in sums(fact, user, filters, ("k1", "k2")).items():
        buckets[stage][int(bucket)] = value["n"]
    start, end = period_bounds(filters)
    middles = []
    for stage, counts in buckets.items():
        if not sum(counts.values()):
            continue
        bucket, skip, take = _middle(counts)
        rows = DealStageChange.objects.filter(
            from_stage=stage, seconds_in_from__isnull=False, at__gte=start, at__lt=end
        )
        if bucket > 0:
            rows = rows.filter(seconds_in_from__gte=DURATION_BOUNDS[bucket - 1])
        if filters.pipeline:
            rows = rows.filter(service_line=filters.pipeline)
        if branch:
            rows = rows.filter(branch_id=branch)
        middles.append(
            rows.order_by("seconds_in_from")
            .annotate(stage=Value(stage, output_field=CharField()))
            .values_list("stage", "seconds_in_from")[skip : skip + take]
        )
    found = defaultdict(list)
    if middles:
        for stage, seconds in middles[0].union(*middles[1:], all=True):
            found[stage].append(seconds)
    return {stage: sum(values) / len(values) for stage, values in found.items()}
