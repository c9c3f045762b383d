from datetime import timedelta

from celery import shared_task

from crm import services


@shared_task(name="crm.tasks.purge_login_failures_task")
def purge_login_failures_task(days: int = 30) -> int:
    """Forget old failed logins (the lock window is minutes; the audit log keeps the history)."""
    return services.login_failures_purge(older_than=timedelta(days=days))
