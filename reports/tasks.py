"""Beat jobs of the end-of-day report: thin, calling the services."""

from celery import shared_task

from reports import services
from reports.analytics import rollup


@shared_task(name="reports.tasks.daily_reports_remind_task")
def daily_reports_remind_task() -> int:
    """Before the end of the working day: remind managers who have not filed."""
    return services.daily_reports_remind()


@shared_task(name="reports.tasks.daily_reports_missing_digest_task")
def daily_reports_missing_digest_task() -> int:
    """The next working morning: heads get the list of missing reports."""
    return services.daily_reports_missing_digest()


@shared_task(name="reports.tasks.analytics_rollup_task")
def analytics_rollup_task() -> dict:
    """Roll the new stage moves and payments into the dashboards' sums (they read the rest raw meanwhile)."""
    return rollup.refresh()
