"""The dashboards read stage moves and payments from the rollup (reports/analytics/rollup.py): whatever part
of the rows is rolled up, every figure equals the one counted from the raw rows alone.

The demo office is loaded without its rollup (the watermarks at 0: every figure is raw), the three
dashboards are taken for several readers, filters and periods (whole months and days at the ends), then
the rollup is refreshed and they are taken again; then new moves and payments arrive past the watermark,
and the figures move by exactly them.
"""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from activities.models import Activity
from activities.services import activity_complete, activity_plan, meeting_cancel
from crm.models import StaleDay, User
from deals.models import Deal, DealStageChange, Payment
from deals.services import deal_move_to_stage, deal_reassign, payment_record
from leads.models import Lead
from leads.services import lead_assign, lead_close, lead_create, lead_merge
from reports.analytics import efficiency, funnel, payments, rollup
from reports.analytics.base import Filters
from reports.analytics.funnel import stage_changes
from reports.analytics.registry import DASHBOARDS
from reports.analytics.stats import medians
from reports.models import Fact, FactWatermark

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=ZoneInfo("Europe/Moscow"))
PERIODS = [
    (date(2026, 7, 27), date(2026, 11, 24)),  # days of July, three whole months, days of November
    (date(2026, 11, 1), date(2026, 11, 24)),  # the month to date
    (date(2026, 9, 1), date(2026, 10, 31)),  # whole months only
    (date(2026, 10, 15), date(2026, 10, 15)),  # one day
]


@pytest.fixture
def office(db):
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        # The demo rolls its rows up: start from none, so the first reading is the raw rows' alone.
        Fact.objects.all().delete()
        FactWatermark.objects.all().delete()
        rollup.mark_all_stale("lead")
        rollup.mark_all_stale("activity")
        rollup.mark_all_stale("instalment")
        yield {u.username: u for u in User.objects.all()}


def _readings(users) -> dict:
    """Every table of every dashboard for each reader, period and a few filters."""
    manager = users["manager.msk"]
    found = {}
    for login in ("director", "rop.msk", "rop.spb"):
        user = users[login]
        for start, end in PERIODS:
            for extra in ({}, {"source": "call"}, {"pipeline": "db"}, {"manager_id": manager.pk}):
                if extra.get("manager_id") and login == "rop.spb":
                    continue
                branch = user.branch_id if login != "director" else None
                filters = Filters(date_from=start, date_to=end, branch_id=branch, **extra)
                for slug, (_, build) in DASHBOARDS.items():
                    for table in build(user, filters).tables:
                        found[(login, start, end, tuple(extra.items()), slug, table.key)] = (table.rows, table.totals)
    return found


def test_rolled_up_figures_equal_the_raw_ones(office):
    with time_machine.travel(NOW, tick=False):
        raw = _readings(office)
        taken = rollup.refresh()
        assert taken["stage"] == DealStageChange.objects.count() > 0
        assert taken["payment"] == Payment.objects.count() > 0
        assert Fact.objects.filter(fact="stage", grain="m").exists()
        assert _readings(office) == raw
        # Nothing new: a second refresh adds nothing and changes nothing.
        assert set(rollup.refresh().values()) == {0}
        assert _readings(office) == raw


def test_rows_past_the_watermark_are_counted_once(office):
    director, manager = office["director"], office["manager.msk"]
    with time_machine.travel(NOW, tick=False):
        rollup.refresh()
        november = Filters(date_from=date(2026, 11, 1), date_to=date(2026, 11, 24))
        before = rollup.sums("stage", director, november, ("k1", "k2"))
        money_before = rollup.sums("payment", director, november, ())[()]["amount"]
        spb = Filters(date_from=date(2026, 11, 1), date_to=date(2026, 11, 24), branch_id=office["rop.spb"].branch_id)
        spb_before = rollup.sums("stage", office["rop.spb"], spb, ("k1", "k2"))
        deal = Deal.objects.filter(manager=manager, stage="db_prep_court").order_by("pk").first()
        reasons_before = rollup.sums("termination", director, november, ("k1", "k2"))
        deal_move_to_stage(deal=deal, stage="db_terminated", by=manager, data={"termination_reason": "Переехал"})
        payment_record(deal=deal, by=manager, paid_on=date(2026, 11, 24), amount=Decimal("7000"), method="cash")
        expected = dict(before)
        key = ("db_prep_court", "db_terminated")
        old = expected.get(key, {"n": 0, "amount": Decimal("0")})
        expected[key] = {"n": old["n"] + 1, "amount": old["amount"] + deal.fee}
        reason = ("db_prep_court", "Переехал")
        assert reason not in reasons_before
        assert rollup.sums("termination", director, november, ("k1", "k2"))[reason]["n"] == 1
        # Past the watermark: read raw, added once.
        assert rollup.sums("stage", director, november, ("k1", "k2")) == expected
        assert rollup.sums("payment", director, november, ())[()]["amount"] == money_before + Decimal("7000")
        rollup.refresh()
        # Rolled up: the same figures, not twice.
        assert rollup.sums("stage", director, november, ("k1", "k2")) == expected
        assert rollup.sums("payment", director, november, ())[()]["amount"] == money_before + Decimal("7000")
        assert rollup.sums("termination", director, november, ("k1", "k2"))[reason]["n"] == 1
        # The head of another branch does not see it.
        assert rollup.sums("stage", office["rop.spb"], spb, ("k1", "k2")) == spb_before


def test_a_period_is_whole_months_and_days_at_its_ends():
    months, days = rollup._split(date(2026, 7, 27), date(2026, 11, 24))
    assert months == [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)]
    assert days == [(date(2026, 7, 27), date(2026, 7, 31)), (date(2026, 11, 1), date(2026, 11, 24))]
    assert rollup._split(date(2026, 2, 1), date(2026, 2, 28)) == ([date(2026, 2, 1)], [])
    assert rollup._split(date(2026, 12, 31), date(2027, 1, 1)) == (
        [],
        [(date(2026, 12, 31), date(2026, 12, 31)), (date(2027, 1, 1), date(2027, 1, 1))],
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the buckets are PostgreSQL's width_bucket")
def test_the_medians_from_buckets_equal_percentile_cont(office):
    """The firm's median time in stage from the rollup's buckets and the middle rows equals PostgreSQL's own
    PERCENTILE_CONT over the raw rows: before the rollup (every bucket counted raw) and after it."""
    director = office["director"]
    with time_machine.travel(NOW, tick=False):
        for refreshed in (False, True):
            if refreshed:
                rollup.refresh()
            for start, end in PERIODS + [(date(2026, 1, 1), date(2026, 11, 24))]:
                for pipeline in ("", "db", "du"):
                    filters = Filters(date_from=start, date_to=end, pipeline=pipeline)
                    raw = medians(
                        stage_changes(director, filters).filter(at__gte=_moscow(start), at__lt=_moscow(end, 1)),
                        "from_stage",
                        "seconds_in_from",
                    )
                    assert rollup.stage_medians(director, filters) == raw, (start, end, pipeline)
        # A head's view is its branch's: the branch's buckets, the same figures as its raw rows.
        for login in ("rop.msk", "rop.spb"):
            head = office[login]
            for start, end in PERIODS:
                filters = Filters(date_from=start, date_to=end, branch_id=head.branch_id)
                raw = medians(
                    stage_changes(head, filters).filter(at__gte=_moscow(start), at__lt=_moscow(end, 1)),
                    "from_stage",
                    "seconds_in_from",
                )
                assert rollup.stage_medians(head, filters) == raw, (login, start, end)
        # A manager's or a source's: the raw rows' (None here).
        one = Filters(date_from=date(2026, 11, 1), date_to=NOW.date(), source="call")
        assert rollup.stage_medians(director, one) is None


def _moscow(day, plus=0):
    return datetime.combine(day + timedelta(days=plus), datetime.min.time(), tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the buckets are PostgreSQL's width_bucket")
def test_the_medians_hold_for_odd_and_even_counts_across_buckets(office):
    """Many moves with times spread over the buckets (ties, bucket bounds, under a minute): the middle rank
    falls anywhere, and for an even count the two middle values may sit in different buckets."""
    director = office["director"]
    deal = Deal.objects.filter(stage="db_in_work").order_by("pk").first()
    filters = Filters(date_from=date(2026, 11, 1), date_to=date(2026, 11, 24))
    at = datetime(2026, 11, 10, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    seconds, value = [], 7
    for _ in range(301):
        value = (value * 1103515245 + 12345) % 2**31
        seconds.append(value % 9_000_000)
    seconds += rollup.DURATION_BOUNDS[:5] + [59, 0, 75, 75]
    with time_machine.travel(NOW, tick=False):
        for n, duration in enumerate(seconds):
            DealStageChange.objects.create(
                deal=deal,
                service_line="db",
                from_stage="db_prep_court",
                to_stage="db_in_court",
                at=at,
                from_entered_at=at - timedelta(seconds=duration),
                seconds_in_from=duration,
                source=deal.source,
                manager_id=deal.manager_id,
                branch_id=deal.branch_id,
            )
            if n % 37 == 0 or n >= len(seconds) - 3:
                in_period = stage_changes(director, filters).filter(at__gte=_moscow(filters.date_from), at__lt=NOW)
                assert rollup.stage_medians(director, filters) == medians(in_period, "from_stage", "seconds_in_from")
            if n % 100 == 50:
                rollup.refresh()


def _efficiency(users) -> dict:
    found = {}
    for login in ("director", "rop.msk"):
        user = users[login]
        branch = user.branch_id if login != "director" else None
        for start, end in PERIODS:
            for extra in ({}, {"manager_id": users["manager.msk"].pk}, {"pipeline": "db"}):
                filters = Filters(date_from=start, date_to=end, branch_id=branch, **extra)
                tables = [*efficiency.build(user, filters).tables, *payments.build(user, filters).tables]
                for table in [*tables, *funnel.build(user, filters).tables]:
                    found[(login, start, tuple(extra.items()), table.key)] = (table.rows, table.totals)
    return found


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the requests' rollup is PostgreSQL's (width_bucket)")
def test_requests_changed_after_the_refresh_are_read_from_their_rows(office):
    """Requests are not append-only: each change marks its day stale, and the dashboard reads a stale day
    from the rows until the next refresh sums it again. Figures equal the all-raw ones at every step."""
    msk, manager, other = office["rop.msk"], office["manager.msk"], office["manager2.msk"]

    def all_raw():
        mutable = [name for name, spec in rollup.SPECS.items() if spec.stale_topic]
        kept = list(Fact.objects.filter(fact__in=mutable))
        Fact.objects.filter(fact__in=mutable).delete()
        last_mark = StaleDay.objects.order_by("-id").values_list("id", flat=True).first() or 0
        for topic in {rollup.SPECS[name].stale_topic for name in mutable}:
            rollup.mark_all_stale(topic)
        try:
            return _efficiency(office)
        finally:
            StaleDay.objects.filter(id__gt=last_mark).delete()
            Fact.objects.bulk_create(kept)

    with time_machine.travel(NOW, tick=False):
        rollup.refresh()
        assert not StaleDay.objects.exists()
        assert Fact.objects.filter(fact="lead", grain="m").exists()
        assert Fact.objects.filter(fact="activity", grain="m").exists()
        before = _efficiency(office)
        assert before == all_raw()
        # A new request, answered by a «дело»; another assigned, then closed; one marked non-target; one merged.
        fresh, _ = lead_create(by=msk, source="site", phone="+7 916 555-01-01", name="Новый", assigned_to=manager)
        call = activity_plan(by=manager, kind="call", planned_at=NOW, lead=fresh, subject="Перезвонить")
        with time_machine.travel(NOW + timedelta(minutes=42), tick=False):
            activity_complete(activity=call, by=manager, result="Поговорили")
        fresh.refresh_from_db()
        assert fresh.response_seconds == pytest.approx(42 * 60)
        older = Lead.objects.filter(
            branch=msk.branch,
            merged_into__isnull=True,
            status__in=["new", "in_work"],
            created_at__lt=NOW - timedelta(days=3),
        ).order_by("pk")
        assert older.count() >= 1
        moved = older.first()
        lead_assign(lead=moved, manager=other, by=msk)
        lead_close(lead=moved, by=msk, reason="Передумал")
        twin, _ = lead_create(by=msk, source="call", phone="+7 916 555-01-02", name="Дубль", assigned_to=other)
        lead_merge(survivor=fresh, other=twin, by=msk)
        marks_after = set(StaleDay.objects.filter(topic="lead").values_list("day", flat=True))
        assert marks_after == {NOW.date(), timezone.localdate(moved.created_at)}
        # «Дела»: an overdue one of a past day done late, a meeting cancelled, one planned for tomorrow.
        late = Activity.objects.filter(responsible=manager, status="planned", planned_at__lt=NOW - timedelta(days=1))
        late = late.exclude(kind="busy").order_by("planned_at").first()
        assert late is not None
        activity_complete(activity=late, by=manager, result="Дозвонились с опозданием")
        meeting = Activity.objects.filter(
            status="planned", kind__in=["meeting", "remote"], responsible__branch=msk.branch
        )
        meeting = meeting.order_by("planned_at").first()
        assert meeting is not None
        meeting_cancel(activity=meeting, by=msk, reason="Клиент заболел")
        activity_plan(by=manager, kind="call", planned_at=NOW + timedelta(days=1), lead=fresh, subject="Ещё раз")
        # Instalments: a payment spreads over the schedule, a deal with a schedule goes to another manager.
        owing = Deal.objects.filter(manager=manager, instalments__paid_amount=0).distinct().order_by("pk").first()
        assert owing is not None
        payment_record(deal=owing, by=manager, paid_on=NOW.date(), amount=Decimal("5000"), method="cash")
        deal_reassign(deal=owing, manager=other, by=msk)
        due = set(owing.instalments.values_list("due_date", flat=True))
        assert due <= set(StaleDay.objects.filter(topic="instalment").values_list("day", flat=True))
        assert {timezone.localdate(late.planned_at), timezone.localdate(meeting.planned_at)} <= set(
            StaleDay.objects.filter(topic="activity").values_list("day", flat=True)
        )
        changed = _efficiency(office)
        assert changed != before
        assert changed == all_raw()
        # The refresh sums the marked days again and drops their marks: the same figures, from the rollup.
        taken = rollup.refresh()
        assert taken["lead"] > 0 and taken["activity"] > 0 and taken["instalment"] > 0
        assert not StaleDay.objects.exists()
        assert _efficiency(office) == changed
