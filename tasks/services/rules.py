"""Shared pieces of the task rulebook: deadlines, checks, history, links."""

from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from crm.errors import DomainError
from crm.models import AuditEntry, User
from crm.workdays import add_working_days
from tasks.models import (
    FEEDBACK_HOURS,
    MAX_WORKING_DAYS,
    Task,
    TaskEvent,
    TaskParticipant,
)

Action = AuditEntry.Action
Status = Task.Status
Form = Task.Form
Role = TaskParticipant.Role

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


class Decision:
    APPROVE = "approve"
    REJECT = "reject"
    NEEDS_INFO = "needs_info"
    ESCALATE = "escalate"
    CHOICES = [
        (APPROVE, "Одобрить"),
        (REJECT, "Отклонить"),
        (NEEDS_INFO, "Нужна информация"),
        (ESCALATE, "Передать выше"),
    ]
    LABELS = dict(CHOICES)


def task_url(task: Task) -> str:
    return reverse("tasks:detail", args=[task.pk])


def default_deadline(today: date | None = None) -> date:
    """The rulebook's default and maximum: 3 working days."""
    return add_working_days(today or timezone.localdate(), MAX_WORKING_DAYS)


def add_event(task: Task, kind: str, text: str, actor: User | None) -> TaskEvent:
    return TaskEvent.objects.create(task=task, kind=kind, text=text[:500], actor=actor)


def check_person(user: User | None, *, field: str, what: str) -> User:
    if user is None:
        raise DomainError(f"Укажите {what}.", field=field)
    if not user.is_active:
        raise DomainError(f"{user.full_name} не работает: выберите действующего сотрудника.", field=field)
    return user


def check_deadline(deadline: date, reason: str) -> None:
    today = timezone.localdate()
    if deadline < today:
        raise DomainError("Срок не может быть в прошлом.", field="deadline")
    limit = add_working_days(today, MAX_WORKING_DAYS)
    if deadline > limit and not reason.strip():
        raise DomainError(
            f"Срок больше {MAX_WORKING_DAYS} рабочих дней (позже {limit:%d.%m.%Y}): укажите реальный срок и причину.",
            field="deadline_reason",
        )


def mark_reply(task: Task, by: User) -> list[str]:
    """The responsible answered: stop the 24-hour clock. Returns the fields changed."""
    if by.pk != task.responsible_id or task.first_reply_at is not None:
        return []
    now = timezone.now()
    task.first_reply_at = now
    changed = ["first_reply_at"]
    if now > task.assigned_at + timedelta(hours=FEEDBACK_HOURS) and not task.feedback_late:
        task.feedback_late = True
        changed.append("feedback_late")
    if task.status == Status.NEW:
        task.status = Status.IN_PROGRESS
        changed.append("status")
    return changed


def everyone_on(task: Task) -> list[User]:
    people = [task.author, task.responsible]
    people += [p.user for p in task.participants.select_related("user")]
    return people


def require_open(task: Task) -> None:
    if not task.is_open:
        raise DomainError(f"Задача уже закрыта («{task.get_status_display()}»).", code="closed")


def require_responsible(task: Task, by: User, what: str) -> None:
    if by.pk != task.responsible_id:
        raise DomainError(f"{what} может только ответственный по задаче.", code="forbidden")


def lock(task: Task) -> Task:
    """Re-read the task under a row lock: two clicks never both pass the checks."""
    return Task.objects.select_for_update(of=("self",)).select_related("responsible", "author").get(pk=task.pk)
