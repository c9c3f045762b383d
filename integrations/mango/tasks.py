"""Mango's beat job: the nightly catch-up of yesterday's calls, queued as an outbox job."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm import outbox
from integrations.mango.stats import STATS_KIND


@shared_task(name="mango.stats_catch_up_task")
def stats_catch_up_task() -> str:
    """Queue yesterday's catch-up; the outbox's worker asks Mango and polls (run twice, still one day)."""
    if not settings.MANGO_ENABLED:
        return "off"
    day = timezone.localdate() - timedelta(days=1)
    with transaction.atomic():
        outbox.enqueue(STATS_KIND, key=day.isoformat(), reason="nightly")
    return day.isoformat()
