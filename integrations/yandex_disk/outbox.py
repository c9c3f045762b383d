"""Writing to the Disk outbox: called by the domain services inside their transaction.

Nothing here talks to the Disk. A row is stored with the change; after the
commit a Celery task is asked to run it; the beat's redrive finds any row
whose message was lost. With YANDEX_DISK_ENABLED off nothing is written.
"""

from django.conf import settings
from django.db import transaction

from integrations.models import DiskJob


def _enqueue_after_commit(task_name: str, arg: int) -> None:
    def send():
        from integrations.yandex_disk import tasks

        getattr(tasks, task_name).apply_async((arg,), queue=tasks.queue())

    transaction.on_commit(send)


def client_folder_changed(*, client_id: int, reason: str) -> DiskJob | None:
    """The client's folder must follow: created, moved, renamed or handed over."""
    if not settings.YANDEX_DISK_ENABLED:
        return None
    job = DiskJob.objects.create(kind=DiskJob.Kind.CLIENT, client_id=client_id, reason=reason[:100])
    _enqueue_after_commit("disk_sync_client_task", client_id)
    return job


def payments_changed(*, manager_id: int) -> DiskJob | None:
    """The manager's payments table in «CRM - <Филиал> - <ФИО>» must be refreshed."""
    if not settings.YANDEX_DISK_ENABLED:
        return None
    job = DiskJob.objects.create(kind=DiskJob.Kind.PAYMENTS, manager_id=manager_id, reason="платежи")
    _enqueue_after_commit("disk_payments_task", manager_id)
    return job
