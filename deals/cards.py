"""What deals add to the client card (crm/cards.py)."""

from crm import cards
from deals.selectors import deals_visible_to


def client_deals(user, client) -> dict:
    return {"deals": list(deals_visible_to(user).filter(client=client).select_related("manager").order_by("-id"))}


def register() -> None:
    cards.contribute("client", client_deals)
