"""What the Disk mirror adds to the client card (crm/cards.py): the folder, listed after the page loads."""

from django.conf import settings

from crm import cards
from integrations.models import ClientFolder


def client_disk_folder(user, client) -> dict:
    enabled = settings.YANDEX_DISK_ENABLED
    return {
        "disk_enabled": enabled,
        "disk_folder": ClientFolder.objects.filter(client=client).first() if enabled else None,
    }


def register() -> None:
    cards.contribute("client", client_disk_folder)
