"""Reads for leads. Each takes the user."""

from django.db.models import Q, QuerySet
from django.http import Http404

from crm import access
from crm.models import User
from leads.models import Lead, NonTargetContact

LEAD_PAGE = 50


def leads_visible_to(user: User) -> QuerySet[Lead]:
    """The leads `user` sees (access.leads_q: a manager's own, a head's branch, the office queue…)."""
    return Lead.objects.filter(access.leads_q(user))


def lead_get_for_user(user: User, pk) -> Lead:
    try:
        return leads_visible_to(user).select_related("assigned_to", "branch", "client", "deal").get(pk=pk)
    except (Lead.DoesNotExist, ValueError, TypeError):
        raise Http404("Лид не найден") from None


def leads_page(user: User, *, status: str = "", office_queue: bool = False, before: int | None = None):
    qs = leads_visible_to(user).select_related("assigned_to", "branch")
    if status:
        qs = qs.filter(status=status)
    if office_queue:
        qs = qs.filter(routed_to_office=True)
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-id")[: LEAD_PAGE + 1])
    return rows[:LEAD_PAGE], (rows[LEAD_PAGE - 1].pk if len(rows) > LEAD_PAGE else None)


def leads_by_contact(user: User, *, phone_norm: str = "", email_norm: str = "") -> list[Lead]:
    """Earlier open leads from this contact, to offer instead of a duplicate."""
    cond = Q()
    if phone_norm:
        cond |= Q(phone_norm=phone_norm)
    if email_norm:
        cond |= Q(email_norm=email_norm)
    if not cond:
        return []
    return list(
        leads_visible_to(user)
        .filter(cond)
        .exclude(status=Lead.Status.CONVERTED)
        .select_related("assigned_to")
        .order_by("-id")[:5]
    )


def non_target_contacts(user: User) -> QuerySet[NonTargetContact]:
    if not access.may_see_non_target_list(user):
        return NonTargetContact.objects.none()
    return NonTargetContact.objects.filter(lifted_at__isnull=True).select_related("marked_by").order_by("-id")
