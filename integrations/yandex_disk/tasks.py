"""Celery tasks of the Disk mirror that are not outbox jobs: reconciliation and import, on the Disk's queue.

A client's folder and a payments table are outbox jobs (handlers.py), run by crm.outbox_deliver."""

from celery import shared_task
from django.conf import settings

from integrations.models import DiskImportRun
from integrations.yandex_disk import services
from integrations.yandex_disk.importer import disk_import


def queue() -> str:
    return settings.YANDEX_DISK_QUEUE


@shared_task(name="integrations.disk_reconcile_task")
def disk_reconcile_task() -> dict:
    """Beat (nightly) and the admin's button: compare the expected tree with the Disk, repair drift."""
    return services.reconcile()


@shared_task(name="integrations.disk_import_task")
def disk_import_task(run_id: int) -> dict:
    """The admin's «Импортировать с Диска»: reads the tree; progress is on the run."""
    run = DiskImportRun.objects.get(pk=run_id)
    run = disk_import(run=run)
    return {"created": run.clients_created, "known": run.already_known, "problems": len(run.problems)}
