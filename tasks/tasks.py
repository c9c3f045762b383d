"""Beat jobs of the task rulebook: thin, idempotent, safe to run twice."""

from celery import shared_task

from tasks import services


@shared_task(name="tasks.tasks.reports_create_due_task")
def reports_create_due_task() -> int:
    """Create today's recurring report tasks."""
    return len(services.reports_create_due())


@shared_task(name="tasks.tasks.feedback_watch_task")
def feedback_watch_task() -> int:
    """Flag tasks left without a reply for 24 hours."""
    return services.feedback_flag_overdue()


@shared_task(name="tasks.tasks.deadlines_watch_task")
def deadlines_watch_task() -> list[int]:
    """Warn of deadlines due today and of passed ones."""
    return list(services.deadlines_notify())
