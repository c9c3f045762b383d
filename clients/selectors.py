"""Reads for clients. Each takes the user and returns only what they may see."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from clients.models import Client, ClientPhone, TimelineEntry
from crm import access
from crm.models import User
from crm.phones import normalize_phone
from crm.pipelines import CONTRACTED
from crm.search import Terms
from crm.search import parse as search_terms

TIMELINE_LIMIT = 50
# How many of the newest deals a contract or case number is looked up in, to find their clients.
DEAL_MATCH_BOUND = 200
LIST_PAGE = 50


def _contracted_q():
    # The deal model through the client's own relation: clients sit below deals and never import them.
    deal_model = Client._meta.get_field("deals").related_model
    return Exists(deal_model.objects.filter(client=OuterRef("pk"), stage__in=CONTRACTED))


def clients_visible_to(user: User) -> QuerySet[Client]:
    """Client cards `user` may open (case files, personal data masked)."""
    return Client.objects.filter(access.records_q(user, contracted=Q(_contracted_q())))


def client_visible_to(user: User, client_id) -> bool:
    return clients_visible_to(user).filter(pk=client_id).exists()


def client_get_for_user(user: User, pk) -> Client:
    """The client card with phones and contact persons; 404 if not visible."""
    try:
        return (
            clients_visible_to(user)
            .select_related("manager", "branch")
            .prefetch_related(
                Prefetch("phones", queryset=ClientPhone.objects.order_by("-is_primary", "id")),
                "contact_persons",
            )
            .get(pk=pk)
        )
    except (Client.DoesNotExist, ValueError, TypeError):
        raise Http404("Клиент не найден") from None


def client_contact_card_get(user: User, pk) -> Client:
    """A client's contact card (no case file) for whom `access.may_open_contact_card` allows; 404 otherwise."""
    client = (
        Client.objects.filter(pk=pk)
        .select_related("manager", "branch")
        .prefetch_related(Prefetch("phones", queryset=ClientPhone.objects.order_by("-is_primary", "id")))
        .first()
        if str(pk).isdigit()
        else None
    )
    if not access.may_open_contact_card(user, client):
        raise Http404("Клиент не найден")
    return client


def client_timeline(client: Client, *, deal=None, limit: int = TIMELINE_LIMIT) -> list[TimelineEntry]:
    """The newest lines of a client's (or one deal's) history; call after an access-checked get."""
    qs = TimelineEntry.objects.select_related("actor", "deal").order_by("-at", "-id")
    qs = qs.filter(deal=deal) if deal is not None else qs.filter(client=client)
    return list(qs[:limit])


def contact_lookup(user: User, *, phone: str = "", email: str = "") -> list[Client]:
    """Clients with this phone or e-mail, for the intake desk: the call-centre
    and office see only names, phones and the manager, never the case file."""
    if not access.is_active_staff(user):
        return []
    norm = normalize_phone(phone)
    qs = Client.objects.none()
    if norm:
        qs = Client.objects.filter(phones__number_norm=norm)
    elif email:
        qs = Client.objects.filter(email__iexact=email.strip())
    else:
        return []
    qs = qs.filter(merged_into__isnull=True)  # a merged duplicate is found as its survivor
    if not access.may_look_up_any_contact(user):
        # Staff who work case files still see only the clients they may open:
        # a manager does not learn that a colleague's client exists.
        qs = qs.filter(pk__in=clients_visible_to(user).values("pk"))
    return list(
        qs.select_related("manager", "branch")
        .prefetch_related(Prefetch("phones", queryset=ClientPhone.objects.order_by("-is_primary", "id")))
        .distinct()[:10]
    )


# --- search and the client list ---------------------------------------------------------------


def client_match_q(terms: Terms, user: User | None = None) -> Q:
    """Clients a parsed query finds. Name, phone and e-mail live in `search_key` (casefolded, phones
    normalised) under a trigram index; a contract or case number is found through the client's deals."""
    if terms.words:
        cond = Q()
        for word in terms.words:
            cond &= Q(search_key__contains=word)
        return cond
    if terms.phones:
        cond = Q()
        for fragment in terms.phones:
            cond |= Q(search_key__contains=fragment)
        return cond
    if terms.email:
        return Q(search_key__contains=terms.email)
    deal_model = Client._meta.get_field("deals").related_model
    # Through the newest matching deals, bounded: a short number («Д-8») sits inside a hundred
    # thousand contract numbers, and an unbounded IN would read them all to show twenty clients.
    if terms.case_number:
        deals = deal_model.objects.filter(case_number__startswith=terms.case_number)
    elif terms.contract:
        deals = deal_model.objects.filter(contract_number__icontains=terms.contract)
    else:
        return access.NOTHING
    if user is not None:
        deals = deals.filter(access.deals_q(user))  # the newest of the deals this user may open
    return Q(pk__in=deals.order_by("-id").values("client_id")[:DEAL_MATCH_BOUND])


def clients_search(user: User, terms: Terms, *, limit: int) -> list[Client]:
    """The newest `limit` clients the query finds among those `user` may open."""
    if not terms:
        return []
    qs = (
        clients_visible_to(user).filter(client_match_q(terms, user), merged_into__isnull=True).select_related("manager")
    )
    return list(qs.order_by("-id")[:limit])


def contacts_search(user: User, terms: Terms, *, limit: int) -> list[Client]:
    """Clients found by phone or e-mail for the front desk (`may_look_up_any_contact`):
    names and the manager only, never by a name or a case detail."""
    if not (access.may_look_up_any_contact(user) and terms.is_contact):
        return []
    qs = (
        Client.objects.filter(client_match_q(terms), merged_into__isnull=True)
        .select_related("manager")
        .prefetch_related(Prefetch("phones", queryset=ClientPhone.objects.order_by("-is_primary", "id")))
    )
    return list(qs.order_by("-id")[:limit])


def client_owner_choices(user: User) -> list[tuple[int, str]]:
    """(id, name) of the managers a head or director may narrow the client list to."""
    return list(User.objects.filter(access.assignees_q(user)).order_by("full_name").values_list("pk", "full_name"))


def clients_page(
    user: User,
    *,
    branch_id=None,
    manager_id=None,
    status: str = "",
    q: str | Terms = "",
    before: int | None = None,
    size: int = LIST_PAGE,
) -> tuple[list[Client], int | None]:
    """One page of the client list, newest first, keyset-paged by id (`before`): the cost of a page
    stays the same at a million clients ((manager|branch, status, -id) indexes serve the filters)."""
    if not access.may_list_clients(user):
        return [], None
    qs = clients_visible_to(user).filter(merged_into__isnull=True)  # a merged duplicate is not listed
    if branch_id:
        qs = qs.filter(branch_id=branch_id)
    if manager_id:
        qs = qs.filter(manager_id=manager_id)
    if status:
        qs = qs.filter(status=status)
    terms = q if isinstance(q, Terms) else search_terms(q)
    if terms.text:
        qs = qs.filter(client_match_q(terms, user)) if terms else qs.none()
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(
        qs.select_related("manager", "branch")
        .prefetch_related(Prefetch("phones", queryset=ClientPhone.objects.order_by("-is_primary", "id")))
        .order_by("-id")[: size + 1]
    )
    return rows[:size], (rows[size - 1].pk if len(rows) > size else None)


def client_for_merge(user: User, pk) -> Client:
    """A client `user` may merge (access.mergeable_q: a head's branch, any for the director and the office);
    404 otherwise. Contact fields only are shown on the merge page."""
    client = (
        Client.objects.filter(access.mergeable_q(user), pk=pk)
        .select_related("manager", "branch")
        .prefetch_related(Prefetch("phones", queryset=ClientPhone.objects.order_by("-is_primary", "id")))
        .first()
    )
    if client is None:
        raise Http404("Клиент не найден")
    return client


def client_merge_candidates(user: User, client: Client) -> list[Client]:
    """Other cards `user` may merge with this one that look like the same person: a shared phone,
    e-mail or the same name."""
    numbers = [p.number_norm for p in client.phones.all()]
    cond = Q(display_name__iexact=client.display_name)
    if numbers:
        cond |= Q(phones__number_norm__in=numbers)
    if client.email:
        cond |= Q(email__iexact=client.email)
    return list(
        Client.objects.filter(access.mergeable_q(user), cond, merged_into__isnull=True)
        .exclude(pk=client.pk)
        .select_related("manager", "branch")
        .prefetch_related(Prefetch("phones", queryset=ClientPhone.objects.order_by("-is_primary", "id")))
        .distinct()
        .order_by("-id")[:20]
    )
