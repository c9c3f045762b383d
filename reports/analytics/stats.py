"""Aggregates the dashboards share: the period's bounds, medians, names for ids."""

import statistics
from collections import defaultdict
from datetime import datetime, time, timedelta

from django.db import connection
from django.db.models import Aggregate, FloatField, QuerySet
from django.utils import timezone

from crm.models import Branch, User
from reports.analytics.base import Filters


def period_bounds(filters: Filters) -> tuple[datetime, datetime]:
    """[start, end) of the period in the firm's time zone: from the first day's midnight to the next after the last."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(filters.date_from, time.min, tzinfo=tz)
    end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


class _Median(Aggregate):
    # PostgreSQL's ordered-set aggregate; NULLs are skipped like in any aggregate.
    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def medians(qs: QuerySet, group: str, value: str) -> dict:
    """The median of `value` for each `group` of `qs`: in the database on PostgreSQL; in Python
    on SQLite (development and the quick suite), which has no such aggregate."""
    qs = qs.filter(**{f"{value}__isnull": False})
    if connection.vendor == "postgresql":
        return {row[group]: row["m"] for row in qs.order_by().values(group).annotate(m=_Median(value))}
    values = defaultdict(list)
    for key, number in qs.order_by().values_list(group, value):
        values[key].append(number)
    return {key: float(statistics.median(numbers)) for key, numbers in values.items()}


def user_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    return dict(User.objects.filter(pk__in=ids).values_list("pk", "full_name")) if ids else {}


def branch_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    return dict(Branch.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
