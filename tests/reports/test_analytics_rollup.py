"""The dashboards read stage moves and payments from the rollup (reports/analytics/rollup.py): whatever part
of the rows is rolled up, every figure equals the one counted from the raw rows alone.

The demo office is loaded without its rollup (the watermarks at 0: every figure is raw), the three
dashboards are taken for several readers, filters and periods (whole months and days at the ends), then
the rollup is refreshed and they are taken again; then new moves and payments arrive past the watermark,
and the figures move by exactly them.
"""

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from crm.models import User
from deals.models import Deal, DealStageChange, Payment
from deals.services import deal_move_to_stage, payment_record
from reports.analytics import rollup
from reports.analytics.base import Filters
from reports.analytics.registry import DASHBOARDS
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
