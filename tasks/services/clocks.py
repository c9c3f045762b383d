"""The clocks the beat runs: the 24-hour feedback flag and deadline reminders."""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from crm.notifications import notify
from tasks.models import (
    FEEDBACK_HOURS,
    Task,
    TaskEvent,
)
from tasks.services.rules import add_event, task_url


def feedback_flag_overdue(*, now: datetime | None = None) -> int:
    """Tasks with no reply 24 hours after assignment: flagged to the author and the responsible, once."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=FEEDBACK_HOURS)
    late = list(
        Task.objects.filter(
            status__in=Task.OPEN,
            assigned_at__lte=cutoff,
            first_reply_at__isnull=True,
            feedback_flagged_at__isnull=True,
        ).select_related("author", "responsible")[:1000]
    )
    flagged = 0
    for task in late:
        with transaction.atomic():
            updated = Task.objects.filter(pk=task.pk, feedback_flagged_at__isnull=True, first_reply_at__isnull=True)
            if not updated.update(feedback_flagged_at=now, feedback_late=True):
                continue  # answered or flagged meanwhile
            flagged += 1
            add_event(
                task,
                TaskEvent.Kind.FEEDBACK_LATE,
                f"Нет ответа {FEEDBACK_HOURS} ч: {task.responsible.short_name}",
                None,
            )
            notify(
                users=[task.author, task.responsible],
                text=f"Нет ответа {FEEDBACK_HOURS} ч по задаче «{task.title}» ({task.responsible.short_name})",
                url=task_url(task),
            )
    return flagged


def deadlines_notify(*, today: date | None = None) -> tuple[int, int]:
    """Warn of a deadline that is today, and tell of one that passed; each once per task."""
    today = today or timezone.localdate()
    now = timezone.now()
    soon = list(
        Task.objects.filter(status__in=Task.OPEN, deadline=today, deadline_warned_at__isnull=True).select_related(
            "responsible"
        )[:1000]
    )
    for task in soon:
        if Task.objects.filter(pk=task.pk, deadline_warned_at__isnull=True).update(deadline_warned_at=now):
            notify(users=[task.responsible], text=f"Сегодня срок задачи «{task.title}»", url=task_url(task))
    passed = list(
        Task.objects.filter(status__in=Task.OPEN, deadline__lt=today, overdue_notified_at__isnull=True).select_related(
            "responsible", "author"
        )[:1000]
    )
    for task in passed:
        if Task.objects.filter(pk=task.pk, overdue_notified_at__isnull=True).update(overdue_notified_at=now):
            notify(
                users=[task.responsible, task.author],
                text=f"Просрочена задача «{task.title}» (срок {task.deadline:%d.%m.%Y}, {task.responsible.short_name})",
                url=task_url(task),
            )
    return len(soon), len(passed)
