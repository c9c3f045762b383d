from datetime import timedelta

from celery import shared_task

from crm import outbox, services


@shared_task(name="crm.tasks.purge_login_failures_task")
def purge_login_failures_task(days: int = 30) -> int:
    """Forget old failed logins (the lock window is minutes; the audit log keeps the history)."""
    return services.login_failures_purge(older_than=timedelta(days=days))


@shared_task(name="crm.outbox_deliver", acks_late=True)
def outbox_deliver_task(kind: str, key: str) -> str:
    """Run one (kind, key) of the outbox; queued by hints and by the redrive, safe to run twice."""
    return outbox.deliver(kind, key)


@shared_task(name="crm.outbox_redrive")
def outbox_redrive_task() -> int:
    """Beat: whatever is due in the outbox gets a worker (lost hints, a broker that was down, backoff over)."""
    return outbox.redrive()
