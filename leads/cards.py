"""What leads add to the client card (crm/cards.py): the way to merge a duplicate card."""

from django.urls import reverse

from crm import access, cards


def client_merge_link(user, client) -> dict:
    if client.merged_into_id or not access.may_merge_client(user, client):
        return {}
    return {"merge_url": reverse("leads:client_merge", args=[client.pk])}


def register() -> None:
    cards.contribute("client", client_merge_link)
