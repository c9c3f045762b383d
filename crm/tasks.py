from datetime import timedelta

from celery import shared_task

from crm import services


@shared_task(name="crm.tasks.purge_login_failures_task")
def purge_login_failures_task(days: int = 30) -> int:
    """Forget old failed logins (the lock window is minutes; the audit log keeps the history)."""
    return services.login_failures_purge(older_than=timedelta(days=days))


@shared_task(
    name="crm.tasks.send_notification_emails_task",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=8,
)
def send_notification_emails_task(ids: list[int]) -> int:
    """E-mail copies of CRM notifications; network errors retried with backoff."""
    from crm.notifications import notifications_email

    return notifications_email(ids=ids)
