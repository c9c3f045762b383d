"""What mail adds to the client's card (crm/cards.py): the client's letters with their state and files,
«Написать письмо» and «Ответить»; and «Написать письмо» on the deal's card.

The client card is shown only to those who may open the client, so the client's letters are theirs to
see; nothing else (a colleague's private mail, a lead's letters) is read here."""

from django.conf import settings
from django.urls import reverse

from crm import access, cards
from integrations.mail.selectors import RECENT_LETTERS, by_thread, client_letters, lead_letters, may_write


def client_mail(user, client) -> dict:
    if not settings.MAIL_ENABLED:
        return {}
    letters = client_letters(client)
    return {
        "mail_section": {
            "threads": by_thread(letters),
            "count": len(letters),
            "limit": RECENT_LETTERS,
            "may_write": may_write(user),
        }
    }


def deal_mail(user, deal) -> dict:
    """«Написать письмо» the deal's client, for whoever could send it from the client's card."""
    if not settings.MAIL_ENABLED or not may_write(user) or not access.may_open_client(user, deal.client):
        return {}
    return {"mail_write_url": reverse("integrations:mail_compose", args=[deal.client_id])}


def lead_mail(user, lead) -> dict:
    """A request's letters on the lead's card (whoever sees the lead sees them; files open audited)."""
    if not settings.MAIL_ENABLED:
        return {}
    letters = lead_letters(lead)
    return {"lead_mail_section": {"letters": letters}} if letters else {}


def register() -> None:
    cards.contribute("client", client_mail)
    cards.contribute("lead", lead_mail)
    cards.contribute("deal", deal_mail)
