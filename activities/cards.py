"""What «дела» add to the client and deal cards (crm/cards.py)."""

from activities.models import Activity
from activities.selectors import activities_visible_to
from crm import cards


def client_activities(user, client) -> dict:
    # The card's own access check already passed: whoever opens the client sees what is planned with them.
    planned = Activity.objects.filter(client=client, status=Activity.Status.PLANNED)
    return {"activities": list(planned.select_related("responsible").order_by("planned_at")[:10])}


def deal_activities(user, deal) -> dict:
    planned = activities_visible_to(user).filter(deal=deal, status=Activity.Status.PLANNED)
    return {"deal_activities": list(planned.select_related("responsible").order_by("planned_at", "pk")[:10])}


def register() -> None:
    cards.contribute("client", client_activities)
    cards.contribute("deal", deal_activities)
