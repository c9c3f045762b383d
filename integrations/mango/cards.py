"""What telephony adds to the client's and the lead's cards: «Позвонить» beside each number, and the
calls with that client or number (direction, who, how long or missed, the recording to play)."""

from django.conf import settings

from crm import access, cards
from crm.phones import format_phone
from integrations.models import MangoCall, MangoCommand

RECENT_CALLS = 20  # the card shows the latest; the heads' call log has the rest


def _recent(calls) -> list[MangoCall]:
    return list(
        calls.select_related("staff").prefetch_related("recordings").order_by("-appeared_at", "-id")[:RECENT_CALLS]
    )


def _section(user, *, phones: list[str], calls, target: dict) -> dict:
    may_call = access.may_call_from_crm(user)
    return {
        "calls_section": {
            "phones": [{"norm": norm, "display": format_phone(norm)} for norm in phones],
            "may_call": may_call,
            "extension": user.mango_extension if may_call else "",
            "target": target,
            "calls": _recent(calls),
            "last_command": MangoCommand.objects.filter(requested_by=user, kind=MangoCommand.Kind.CALLBACK, **target)
            .order_by("-id")
            .first()
            if may_call
            else None,
        }
    }


def client_calls(user, client) -> dict:
    """The card is shown only to those who may open the client, so its calls (and recordings) are theirs to see."""
    if not settings.MANGO_ENABLED:
        return {}
    phones = [p.number_norm for p in client.phones.all() if p.number_norm]
    return _section(user, phones=phones, calls=MangoCall.objects.filter(client=client), target={"client": client})


def lead_calls(user, lead) -> dict:
    """A lead's calls are those from its numbers that no client has; the lead card's viewer sees them."""
    if not settings.MANGO_ENABLED:
        return {}
    phones = [n for n in [lead.phone_norm, *(p.number_norm for p in lead.other_phones.all())] if n]
    return _section(user, phones=phones, calls=MangoCall.objects.filter(lead=lead), target={"lead": lead})


def register() -> None:
    cards.contribute("client", client_calls)
    cards.contribute("lead", lead_calls)
