"""Marks of days whose pre-computed sums are out of date (crm.models.StaleDay).

A service that changes a row the dashboards sum by day calls `mark()` in its own transaction, with the
moments that place the row (before and after the change when it moves): the mark commits with the change,
so a reader never sees the change without the mark. The sums and their recompute live in reports; this
module is here, at the bottom of the layers, so any app may mark without importing reports.
"""

from datetime import date, datetime

from django.utils import timezone

from crm.models import StaleDay

LEAD = "lead"
ACTIVITY = "activity"
INSTALMENT = "instalment"


def mark(topic: str, *moments: datetime | date | None) -> None:
    """Mark the firm-time days of `moments` (dates as they are; None skipped) stale for `topic`."""
    days = {timezone.localdate(m) if isinstance(m, datetime) else m for m in moments if m is not None}
    StaleDay.objects.bulk_create([StaleDay(topic=topic, day=day) for day in sorted(days)])
