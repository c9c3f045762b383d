"""Rows a dashboard may count: narrowed to what the reader may see (access) and to the filters."""

from django.db.models import QuerySet

from crm import access
from deals.models import Payment
from reports.analytics.base import Filters


def scoped(qs: QuerySet, user, filters: Filters, *, branch="branch", manager="manager", source="source", line=None):
    """`qs` narrowed to what `user` may read and to the filters; the lookups name the row's fields."""
    qs = qs.filter(access.analytics_rows_q(user, branch=branch))
    if filters.branch_id:
        qs = qs.filter(**{f"{branch}_id": filters.branch_id})
    if filters.manager_id:
        qs = qs.filter(**{f"{manager}_id": filters.manager_id})
    if filters.source and source:
        qs = qs.filter(**{source: filters.source})
    if filters.pipeline and line:
        qs = qs.filter(**{line: filters.pipeline})
    return qs


def payments_in(user, filters, start, end) -> QuerySet[Payment]:
    """Payments received in the period on the deals `user` may read, under the filters."""
    return scoped(
        Payment.objects.filter(paid_on__gte=start.date(), paid_on__lt=end.date()),
        user,
        filters,
        branch="deal__branch",
        manager="deal__manager",
        source="deal__source",
        line="deal__service_line",
    )
