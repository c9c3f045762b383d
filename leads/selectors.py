"""Reads for leads. Each takes the user."""

from django.db.models import Q, QuerySet
from django.http import Http404

from crm import access
from crm.models import User
from crm.search import Terms
from leads.models import Lead, LeadPhone, NonTargetContact

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
    # A merged duplicate is no longer listed; its survivor carries its story.
    qs = leads_visible_to(user).filter(merged_into__isnull=True).select_related("assigned_to", "branch")
    if status:
        qs = qs.filter(status=status)
    if office_queue:
        # What still waits for the office manager: a request closed without a deal leaves the queue.
        qs = qs.filter(routed_to_office=True).exclude(status=Lead.Status.CLOSED)
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-id")[: LEAD_PAGE + 1])
    return rows[:LEAD_PAGE], (rows[LEAD_PAGE - 1].pk if len(rows) > LEAD_PAGE else None)


def leads_by_contact(user: User, *, phone_norm: str = "", email_norm: str = "") -> list[Lead]:
    """Earlier open leads from this contact (a repeat call continues the oldest), to offer instead of a duplicate."""
    cond = Q()
    if phone_norm:
        cond |= Q(phone_norm=phone_norm) | Q(other_phones__number_norm=phone_norm)
    if email_norm:
        cond |= Q(email_norm=email_norm)
    if not cond:
        return []
    return list(
        leads_visible_to(user)
        .filter(cond, status__in=(Lead.Status.NEW, Lead.Status.IN_WORK), merged_into__isnull=True)
        .select_related("assigned_to")
        .distinct()
        .order_by("id")[:5]
    )


def lead_history(lead: Lead) -> list:
    """The lead's later requests (repeat calls, merged duplicates), oldest first; call after an access-checked get."""
    return list(lead.history.select_related("created_by").order_by("at", "id"))


def merge_candidates(user: User, lead: Lead) -> list[Lead]:
    """Other open leads `user` may merge with this one, likely duplicates (same phone, e-mail or name) first."""
    cond = Q(pk__in=[])
    if lead.phone_norm:
        cond |= Q(phone_norm=lead.phone_norm) | Q(other_phones__number_norm=lead.phone_norm)
    if lead.email_norm:
        cond |= Q(email_norm=lead.email_norm)
    if lead.name.strip():
        cond |= Q(name__iexact=lead.name.strip())
    return list(
        Lead.objects.filter(access.mergeable_q(user, unrouted=True), cond, merged_into__isnull=True)
        .exclude(pk=lead.pk)
        .exclude(status=Lead.Status.CONVERTED)
        .select_related("assigned_to", "branch")
        .distinct()
        .order_by("-id")[:20]
    )


def mergeable_lead(user: User, pk) -> Lead:
    """A lead `user` may merge (the merge page's own rule, wider than the list for the office manager); 404 else."""
    qs = Lead.objects.filter(access.mergeable_q(user, unrouted=True), pk=pk)
    lead = qs.select_related("branch", "assigned_to").first()
    if lead is None:
        raise Http404("Лид не найден")
    return lead


def non_target_contacts(user: User) -> QuerySet[NonTargetContact]:
    if not access.may_see_non_target_list(user):
        return NonTargetContact.objects.none()
    return NonTargetContact.objects.filter(lifted_at__isnull=True).select_related("marked_by").order_by("-id")


def lead_match_q(terms: Terms) -> Q:
    """Leads a parsed query finds: the caller's name (any word order), a phone fragment, an e-mail.
    On PostgreSQL each column has a trigram index (leads 0005); leads carry no contract or case."""
    if terms.words:
        cond = Q()
        for word in terms.words:
            # Names are stored as typed. `icontains` folds only ASCII on SQLite, so the usual
            # spellings of a word are tried as they are (each one trigram-indexed on PostgreSQL).
            spellings = {word, word.capitalize(), word.upper()}
            cond &= Q(*(Q(name__contains=s) for s in spellings), _connector=Q.OR)
        return cond
    if terms.phones:
        cond = Q()
        for fragment in terms.phones:
            # A merged duplicate's number is the caller's too.
            other = LeadPhone.objects.filter(number_norm__contains=fragment).values("lead_id")
            cond |= Q(phone_norm__contains=fragment) | Q(pk__in=other)
        return cond
    if terms.email:
        return Q(email_norm__contains=terms.email)
    return access.NOTHING


def leads_search(user: User, terms: Terms, *, limit: int) -> list[Lead]:
    """The newest `limit` leads the query finds among those `user` sees (`access.leads_q`)."""
    if not terms:
        return []
    qs = leads_visible_to(user).filter(lead_match_q(terms)).select_related("assigned_to")
    return list(qs.order_by("-id")[:limit])
