"""Celery tasks of the Disk mirror: thin, by id, safe to run twice, on their own queue."""

from celery import shared_task
from django.conf import settings

from integrations.yandex_disk import services


def queue() -> str:
    return settings.YANDEX_DISK_QUEUE


def _again(task, arg: int, countdown: float) -> None:
    task.apply_async((arg,), countdown=countdown, queue=queue())


@shared_task(name="integrations.disk_sync_client_task", acks_late=True)
def disk_sync_client_task(client_id: int) -> str:
    """Converge one client's folder; network errors, 429 and 5xx come back later with backoff."""
    try:
        result = services.client_sync(client_id=client_id)
    except services.DiskTransientError as exc:
        _again(disk_sync_client_task, client_id, exc.backoff)
        return "retry"
    except services.DiskPermanentError:
        return "failed"  # shown on the sync page; an admin retries it
    if result.outcome == "busy":
        _again(disk_sync_client_task, client_id, 5)  # another worker holds this client now
    return result.outcome


@shared_task(name="integrations.disk_payments_task", acks_late=True)
def disk_payments_task(manager_id: int) -> str:
    try:
        return services.payments_sync(manager_id=manager_id).outcome
    except services.DiskTransientError as exc:
        _again(disk_payments_task, manager_id, exc.backoff)
        return "retry"
    except services.DiskPermanentError:
        return "failed"


@shared_task(name="integrations.disk_redrive_task")
def disk_redrive_task() -> int:
    """Beat: send again whatever is pending and due (a lost message, a killed worker, a backoff run out)."""
    clients, managers = services.due_jobs()
    for client_id in clients:
        disk_sync_client_task.apply_async((client_id,))
    for manager_id in managers:
        disk_payments_task.apply_async((manager_id,))
    return len(clients) + len(managers)


@shared_task(name="integrations.disk_reconcile_task")
def disk_reconcile_task() -> dict:
    """Beat (nightly) and the admin's button: compare the expected tree with the Disk, repair drift."""
    return services.reconcile()


@shared_task(name="integrations.disk_import_task")
def disk_import_task(run_id: int) -> dict:
    """The admin's «Импортировать с Диска»: reads the tree; progress is on the run."""
    from integrations.models import DiskImportRun
    from integrations.yandex_disk.importer import disk_import

    run = DiskImportRun.objects.get(pk=run_id)
    run = disk_import(run=run)
    return {"created": run.clients_created, "known": run.already_known, "problems": len(run.problems)}
