"""The Disk's handlers in the outbox: which domain events it follows and how it runs a job.

Thin: they call the services by id. A client's folder follows every change of
the client or its deals; a manager's payments table follows their payments.
"""

from django.conf import settings

from crm import outbox
from integrations.yandex_disk import services


def _enabled() -> bool:
    return settings.YANDEX_DISK_ENABLED


def _queue() -> str:
    return settings.YANDEX_DISK_QUEUE


def _lease() -> int:
    return settings.YANDEX_DISK_LEASE_SECONDS


def _sync_client(key: str, jobs) -> str:
    result = services.client_sync(client_id=int(key))
    if result.outcome == "busy":
        raise outbox.Busy(retry_in=5)  # the folder's lease is held (a reconciliation or an older worker)
    return result.outcome


def _sync_payments(key: str, jobs) -> str:
    return services.payments_sync(manager_id=int(key)).outcome


def register() -> None:
    outbox.register(
        outbox.Handler(
            kind=services.CLIENT_KIND,
            label="Папка клиента на Диске",
            run=_sync_client,
            events=("client.changed",),
            enabled=_enabled,
            queue=_queue,
            backoff=services.backoff_seconds,
            lease_seconds=_lease,
        )
    )
    outbox.register(
        outbox.Handler(
            kind=services.PAYMENTS_KIND,
            label="Таблица платежей на Диске",
            run=_sync_payments,
            events=("payments.changed",),
            enabled=_enabled,
            queue=_queue,
            backoff=services.backoff_seconds,
            lease_seconds=_lease,
        )
    )
