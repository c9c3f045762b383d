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


@shared_task(name="crm.tasks.clients_mark_abandoned_task")
def clients_mark_abandoned_task() -> int:
    """Clients left with no planned activity past the grace period become abandoned."""
    from crm.activity_services import clients_mark_abandoned

    return clients_mark_abandoned()


@shared_task(name="crm.tasks.pool_hand_out_task")
def pool_hand_out_task() -> int:
    """Hand pool clients out for reanimation by each branch head's rule."""
    from crm.activity_services import pool_hand_out

    return pool_hand_out()
