"""Working on a task: replies, closing, returning, delegating, the ПР decision, deadlines, checklists, files."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from clients.models import TimelineEntry
from clients.services import timeline_add
from crm.errors import DomainError
from crm.models import AuditEntry, User
from crm.notifications import notify
from crm.services import audit_record
from tasks.models import (
    ChecklistItem,
    Task,
    TaskAttachment,
    TaskComment,
    TaskEvent,
    TaskParticipant,
)
from tasks.services.rules import (
    MAX_ATTACHMENT_BYTES,
    Action,
    Decision,
    Form,
    Role,
    Status,
    add_event,
    check_deadline,
    check_person,
    default_deadline,
    everyone_on,
    lock,
    mark_reply,
    require_open,
    require_responsible,
    task_url,
)


@transaction.atomic
def task_comment(*, task: Task, by: User, text: str, kind: str = TaskComment.Kind.COMMENT) -> TaskComment:
    """A reply in the task; the responsible's first one stops the 24-hour clock."""
    text = (text or "").strip()
    if not text:
        raise DomainError("Комментарий пуст.", field="text")
    task = lock(task)
    comment = TaskComment.objects.create(task=task, author=by, text=text, kind=kind)
    changed = mark_reply(task, by)
    if changed:
        task.save(update_fields=changed)
    notify(
        users=everyone_on(task),
        text=f"{by.short_name} в задаче «{task.title}»: {text[:200]}",
        url=task_url(task),
        skip=by,
    )
    audit_record(actor=by, action=AuditEntry.Action.CREATE, target=comment)
    return comment


@transaction.atomic
def task_start(*, task: Task, by: User) -> Task:
    """«Взять в работу»: the first feedback."""
    task = lock(task)
    require_responsible(task, by, "Взять задачу в работу")
    if task.status not in (Status.NEW, Status.DEFERRED):
        raise DomainError("Задача уже в работе.", code="state")
    changed = mark_reply(task, by)
    task.status = Status.IN_PROGRESS
    task.save(update_fields=sorted({*changed, "status"}))
    add_event(task, TaskEvent.Kind.STATUS, f"{by.short_name} взял(а) задачу в работу", by)
    audit_record(actor=by, action=AuditEntry.Action.UPDATE, target=task, changes={"status": task.status})
    return task


def close_task(task: Task, status: str) -> list[str]:
    task.status = status
    task.completed_at = timezone.now()
    return ["status", "completed_at"]


@transaction.atomic
def task_complete(*, task: Task, by: User, text: str = "") -> Task:
    """The responsible reports it done: done at once if they set it themselves, else to the author's control."""
    task = lock(task)
    require_responsible(task, by, "Завершить задачу")
    require_open(task)
    if task.form == Form.PR:
        raise DomainError(
            "По ПР руководитель записывает решение: одобрить, отклонить, запросить информацию или передать выше.",
            code="state",
        )
    if task.form == Form.REPORT:
        raise DomainError("Отчёт сдаётся ответами на вопросы.", code="state")
    if task.checklist.filter(done=False).exists():
        raise DomainError("В чек-листе остались невыполненные пункты.", code="state")
    changed = mark_reply(task, by)
    if text.strip():
        TaskComment.objects.create(task=task, author=by, text=text.strip())
    if task.author_id and task.author_id != by.pk:
        task.status = Status.AWAITING
        changed += ["status"]
        add_event(task, TaskEvent.Kind.STATUS, f"{by.short_name}: выполнено, ждёт контроля постановщика", by)
        notify(users=[task.author], text=f"Задача выполнена, проверьте: {task.title}", url=task_url(task), skip=by)
    else:
        changed += close_task(task, Status.DONE)
        add_event(task, TaskEvent.Kind.STATUS, f"{by.short_name}: задача выполнена", by)
        _timeline_closed(task, by)
    task.save(update_fields=sorted(set(changed)))
    audit_record(actor=by, action=Action.UPDATE, target=task, changes={"status": task.status})
    return task


def _timeline_closed(task: Task, by: User | None) -> None:
    if task.client_id:
        timeline_add(
            client=task.client,
            deal=task.deal,
            kind=TimelineEntry.Kind.TASK,
            text=f"Задача «{task.title}»: {task.get_status_display().lower()}",
            actor=by,
            data={"task": task.pk},
        )


@transaction.atomic
def task_accept(*, task: Task, by: User) -> Task:
    """The author checks the work and closes the task."""
    task = lock(task)
    if by.pk != task.author_id:
        raise DomainError("Принять работу может только постановщик.", code="forbidden")
    if task.status != Status.AWAITING:
        raise DomainError("Задача не ждёт контроля.", code="state")
    task.save(update_fields=close_task(task, Status.DONE))
    add_event(task, TaskEvent.Kind.STATUS, f"{by.short_name} принял(а) работу", by)
    _timeline_closed(task, by)
    notify(users=[task.responsible], text=f"Работа принята: {task.title}", url=task_url(task), skip=by)
    audit_record(actor=by, action=Action.UPDATE, target=task, changes={"status": task.status})
    return task


@transaction.atomic
def task_return(*, task: Task, by: User, text: str) -> Task:
    """The author sends the work back with what is missing."""
    task = lock(task)
    if by.pk != task.author_id:
        raise DomainError("Вернуть задачу на доработку может только постановщик.", code="forbidden")
    if task.status != Status.AWAITING:
        raise DomainError("Задача не ждёт контроля.", code="state")
    if not (text or "").strip():
        raise DomainError("Напишите, что нужно доделать.", field="text")
    TaskComment.objects.create(task=task, author=by, text=text.strip())
    task.status = Status.IN_PROGRESS
    task.save(update_fields=["status"])
    add_event(task, TaskEvent.Kind.STATUS, f"{by.short_name} вернул(а) на доработку", by)
    notify(users=[task.responsible], text=f"Задача возвращена на доработку: {task.title}", url=task_url(task), skip=by)
    audit_record(
        actor=by, action=AuditEntry.Action.UPDATE, target=task, changes={"status": task.status, "returned": text[:200]}
    )
    return task


@transaction.atomic
def task_defer(*, task: Task, by: User, text: str) -> Task:
    task = lock(task)
    require_responsible(task, by, "Отложить задачу")
    require_open(task)
    if not (text or "").strip():
        raise DomainError("Напишите, почему задача откладывается и до когда.", field="text")
    changed = mark_reply(task, by)
    TaskComment.objects.create(task=task, author=by, text=text.strip())
    task.status = Status.DEFERRED
    task.save(update_fields=sorted({*changed, "status"}))
    add_event(task, TaskEvent.Kind.STATUS, f"{by.short_name} отложил(а) задачу", by)
    notify(users=[task.author], text=f"Задача отложена: {task.title}", url=task_url(task), skip=by)
    audit_record(
        actor=by, action=AuditEntry.Action.UPDATE, target=task, changes={"status": task.status, "deferred": text[:200]}
    )
    return task


@transaction.atomic
def task_decline(*, task: Task, by: User, text: str) -> Task:
    """The responsible refuses a task outside their competence, with the reason."""
    task = lock(task)
    require_responsible(task, by, "Отклонить задачу")
    require_open(task)
    if task.form == Form.PR:
        raise DomainError("ПР отклоняется решением руководителя.", code="state")
    if not (text or "").strip():
        raise DomainError("Напишите причину отказа.", field="text")
    changed = mark_reply(task, by)
    TaskComment.objects.create(task=task, author=by, text=text.strip())
    changed += close_task(task, Status.REJECTED)
    task.save(update_fields=sorted(set(changed)))
    add_event(task, TaskEvent.Kind.STATUS, f"{by.short_name} отклонил(а) задачу", by)
    notify(users=[task.author], text=f"Задача отклонена: {task.title}", url=task_url(task), skip=by)
    audit_record(actor=by, action=Action.UPDATE, target=task, changes={"status": task.status})
    return task


def _hand_over(task: Task, *, to: User) -> None:
    """The current responsible passes the task on and stays as an observer."""
    old = task.responsible
    TaskParticipant.objects.filter(task=task, user=to, role=Role.CO_EXECUTOR).delete()
    TaskParticipant.objects.get_or_create(task=task, user=old, role=Role.OBSERVER)
    TaskParticipant.objects.filter(task=task, user=to, role=Role.OBSERVER).delete()
    task.responsible = to
    task.branch_id = to.branch_id
    task.assigned_at = timezone.now()
    task.first_reply_at = None
    task.feedback_flagged_at = None
    task.deadline_warned_at = None
    if task.status != Status.DEFERRED:
        task.status = Status.NEW


@transaction.atomic
def task_delegate(*, task: Task, by: User, to: User | None, text: str = "") -> Task:
    """The responsible hands the task to a colleague and becomes an observer."""
    task = lock(task)
    require_responsible(task, by, "Делегировать задачу")
    require_open(task)
    check_person(to, field="to", what="кому передать задачу")
    if to.pk == task.responsible_id:
        raise DomainError("Задача уже у этого сотрудника.", field="to")
    if task.form == Form.PR:
        raise DomainError("ПР не делегируют: его решают или передают выше по линии руководства.", field="to")
    mark_reply(task, by)  # the hand-over is the delegator's reply (late or not)
    _hand_over(task, to=to)
    task.save()
    if text.strip():
        TaskComment.objects.create(task=task, author=by, text=text.strip())
    add_event(task, TaskEvent.Kind.DELEGATED, f"{by.short_name} делегировал(а) задачу: {to.short_name}", by)
    audit_record(actor=by, action=Action.UPDATE, target=task, changes={"responsible": [str(by), str(to)]})
    notify(users=[to], text=f"Вам передана задача: {task.title}", url=task_url(task), skip=by)
    notify(
        users=[task.author],
        # The new responsible after a colon: a surname after «передал(а) задачу» would need the dative.
        text=f"Задача «{task.title}» передана: {by.short_name} → {to.short_name}",
        url=task_url(task),
        skip=by,
    )
    return task


@transaction.atomic
def task_decide(*, task: Task, by: User, decision: str, text: str) -> Task:
    """The supervisor's decision on a ПР; «передать выше» sends it to their own supervisor."""
    task = lock(task)
    if task.form != Form.PR:
        raise DomainError("Решение записывается только по ПР.", code="state")
    require_responsible(task, by, "Записать решение по ПР")
    require_open(task)
    if decision not in Decision.LABELS:
        raise DomainError("Выберите решение.", field="decision")
    text = (text or "").strip()
    if not text:
        raise DomainError("Напишите решение словами: его прочтёт автор ПР.", field="text")
    changed = mark_reply(task, by)
    label = Decision.LABELS[decision]
    if decision == Decision.ESCALATE:
        boss = by.supervisor
        if boss is None or not boss.is_active:
            raise DomainError("Выше по линии руководства никого нет: примите решение сами.", field="decision")
        if boss.pk == task.author_id:
            raise DomainError("Следующий пост — автор ПР: примите решение сами.", field="decision")
        TaskComment.objects.create(task=task, author=by, text=f"{label}: {text}", kind=TaskComment.Kind.DECISION)
        _hand_over(task, to=boss)
        task.deadline = default_deadline()
        task.save()
        add_event(task, TaskEvent.Kind.ESCALATED, f"{by.short_name} передал(а) выше: {boss.short_name}", by)
        notify(users=[boss], text=f"ПР передано вам на решение: {task.title}", url=task_url(task), skip=by)
        notify(
            users=[task.author],
            text=f"Ваше ПР передано выше ({boss.short_name}): {task.title}",
            url=task_url(task),
            skip=by,
        )
    else:
        TaskComment.objects.create(task=task, author=by, text=f"{label}: {text}", kind=TaskComment.Kind.DECISION)
        if decision == Decision.NEEDS_INFO:
            task.status = Status.AWAITING
            changed.append("status")
        else:
            changed += close_task(task, Status.DONE if decision == Decision.APPROVE else Status.REJECTED)
            _timeline_closed(task, by)
        task.save(update_fields=sorted(set(changed)))
        add_event(task, TaskEvent.Kind.DECIDED, f"{by.short_name}: {label.lower()}", by)
        notify(
            users=everyone_on(task), text=f"Решение по ПР «{task.title}»: {label.lower()}", url=task_url(task), skip=by
        )
    audit_record(actor=by, action=Action.UPDATE, target=task, changes={"decision": decision})
    return task


@transaction.atomic
def pr_answer(*, task: Task, by: User, text: str) -> Task:
    """The author adds the information the supervisor asked for; the ПР goes back for a decision."""
    task = lock(task)
    if task.form != Form.PR or by.pk != task.author_id:
        raise DomainError("Дополнить ПР может только его автор.", code="forbidden")
    if task.status != Status.AWAITING:
        raise DomainError("Руководитель не запрашивал информацию.", code="state")
    if not (text or "").strip():
        raise DomainError("Напишите запрошенную информацию.", field="text")
    TaskComment.objects.create(task=task, author=by, text=text.strip(), kind=TaskComment.Kind.ANSWER)
    task.status = Status.IN_PROGRESS
    task.save(update_fields=["status"])
    add_event(task, TaskEvent.Kind.STATUS, f"{by.short_name} дополнил(а) ПР", by)
    notify(users=[task.responsible], text=f"ПР дополнено, ждёт решения: {task.title}", url=task_url(task), skip=by)
    audit_record(
        actor=by, action=AuditEntry.Action.UPDATE, target=task, changes={"status": task.status, "answer": text[:200]}
    )
    return task


@transaction.atomic
def task_set_deadline(*, task: Task, by: User, deadline: date, reason: str) -> Task:
    """The responsible names the real date when 3 working days are not enough."""
    task = lock(task)
    require_responsible(task, by, "Назначить реальный срок")
    require_open(task)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Напишите, почему нужен другой срок.", field="reason")
    check_deadline(deadline, reason)
    old = task.deadline
    changed = mark_reply(task, by)
    task.deadline = deadline
    task.deadline_reason = reason
    task.deadline_warned_at = None
    task.overdue_notified_at = None
    task.save(
        update_fields=sorted({*changed, "deadline", "deadline_reason", "deadline_warned_at", "overdue_notified_at"})
    )
    add_event(
        task, TaskEvent.Kind.DEADLINE, f"{by.short_name}: срок {old:%d.%m.%Y} → {deadline:%d.%m.%Y}. {reason}", by
    )
    audit_record(
        actor=by, action=Action.UPDATE, target=task, changes={"deadline": [old.isoformat(), deadline.isoformat()]}
    )
    notify(
        users=[task.author],
        text=f"Новый срок по задаче «{task.title}»: {deadline:%d.%m.%Y}",
        url=task_url(task),
        skip=by,
    )
    return task


@transaction.atomic
def task_add_observer(*, task: Task, by: User, user: User | None) -> TaskParticipant:
    """Only the author adds observers by hand (otherwise one becomes an observer by delegating)."""
    if by.pk != task.author_id:
        raise DomainError("Наблюдателей добавляет постановщик задачи.", code="forbidden")
    check_person(user, field="user", what="наблюдателя")
    if user.pk == task.responsible_id:
        raise DomainError("Это ответственный по задаче.", field="user")
    row, created = TaskParticipant.objects.get_or_create(task=task, user=user, role=Role.OBSERVER)
    if created:
        add_event(task, TaskEvent.Kind.OBSERVER, f"{by.short_name} добавил(а) наблюдателя {user.short_name}", by)
        notify(users=[user], text=f"Вы наблюдатель задачи: {task.title}", url=task_url(task), skip=by)
    return row


@transaction.atomic
def checklist_toggle(*, item: ChecklistItem, by: User) -> ChecklistItem:
    task = item.task
    if (
        by.pk not in (task.responsible_id, task.author_id)
        and not task.participants.filter(user=by, role=Role.CO_EXECUTOR).exists()
    ):
        raise DomainError("Чек-лист отмечают ответственный, соисполнители и постановщик.", code="forbidden")
    require_open(task)
    item = ChecklistItem.objects.select_for_update().get(pk=item.pk)
    item.done = not item.done
    item.save(update_fields=["done"])
    audit_record(actor=by, action=AuditEntry.Action.UPDATE, target=item, changes={"done": item.done})
    return item


@transaction.atomic
def attachment_add(*, task: Task, by: User, upload) -> TaskAttachment:
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise DomainError("Файл больше 20 МБ.", field="file")
    name = upload.name.rsplit("/", 1)[-1][:200]
    attachment = TaskAttachment.objects.create(task=task, file=upload, name=name, size=upload.size, uploaded_by=by)
    audit_record(actor=by, action=AuditEntry.Action.CREATE, target=attachment)
    return attachment
