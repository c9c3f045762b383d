"""Rows a dashboard may count: narrowed to what the reader may see (access) and to the filters."""

from django.db.models import Q, QuerySet

from crm import access
from leads.models import Lead
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


def leads_in(user, filters: Filters, qs: QuerySet[Lead]) -> QuerySet[Lead]:
    """Leads under the filters. A converted lead is in its deal's pipeline: it may have come in with no
    line («пока не ясно») or another one; a lead without a deal is in the line it was taken with."""
    qs = scoped(qs, user, filters, manager="assigned_to")
    if filters.pipeline:
        qs = qs.filter(Q(deal__service_line=filters.pipeline) | Q(deal__isnull=True, service_line=filters.pipeline))
    return qs
