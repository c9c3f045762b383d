"""Reads for clients. Each takes the user and returns only what they may see."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from clients.models import Client, ClientPhone, TimelineEntry
from crm import access
from crm.models import User
from crm.phones import normalize_phone
from crm.pipelines import CONTRACTED

TIMELINE_LIMIT = 50


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
    if not access.may_look_up_any_contact(user):
        # Staff who work case files still see only the clients they may open:
        # a manager does not learn that a colleague's client exists.
        qs = qs.filter(pk__in=clients_visible_to(user).values("pk"))
    return list(
        qs.select_related("manager", "branch")
        .prefetch_related(Prefetch("phones", queryset=ClientPhone.objects.order_by("-is_primary", "id")))
        .distinct()[:10]
    )
