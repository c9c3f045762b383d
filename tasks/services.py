"""Writes for tasks: the firm's rulebook for tasks lives here.

Every function changes rows in one transaction, writes the task's history
and the audit log, and notifies the people concerned. Refusals raise
DomainError with a Russian message and change nothing.
"""

from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from clients.models import TimelineEntry
from clients.services import timeline_add
from crm import access
from crm.errors import DomainError
from crm.models import AuditEntry, User
from crm.notifications import notify
from crm.services import audit_record
from crm.workdays import add_working_days
from tasks.models import (
    FEEDBACK_HOURS,
    MAX_WORKING_DAYS,
    ChecklistItem,
    ReportSchedule,
    Task,
    TaskAttachment,
    TaskComment,
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


def _event(task: Task, kind: str, text: str, actor: User | None) -> TaskEvent:
    return TaskEvent.objects.create(task=task, kind=kind, text=text[:500], actor=actor)


def _check_person(user: User | None, *, field: str, what: str) -> User:
    if user is None:
        raise DomainError(f"Укажите {what}.", field=field)
    if not user.is_active:
        raise DomainError(f"{user.full_name} не работает: выберите действующего сотрудника.", field=field)
    return user


def _check_deadline(deadline: date, reason: str) -> None:
    today = timezone.localdate()
    if deadline < today:
        raise DomainError("Срок не может быть в прошлом.", field="deadline")
    limit = add_working_days(today, MAX_WORKING_DAYS)
    if deadline > limit and not reason.strip():
        raise DomainError(
            f"Срок больше {MAX_WORKING_DAYS} рабочих дней (позже {limit:%d.%m.%Y}): укажите реальный срок и причину.",
            field="deadline_reason",
        )


def _mark_reply(task: Task, by: User) -> list[str]:
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


def _everyone(task: Task) -> list[User]:
    people = [task.author, task.responsible]
    people += [p.user for p in task.participants.select_related("user")]
    return people


def _require_open(task: Task) -> None:
    if not task.is_open:
        raise DomainError(f"Задача уже закрыта («{task.get_status_display()}»).", code="closed")


def _require_responsible(task: Task, by: User, what: str) -> None:
    if by.pk != task.responsible_id:
        raise DomainError(f"{what} может только ответственный по задаче.", code="forbidden")


def _lock(task: Task) -> Task:
    """Re-read the task under a row lock: two clicks never both pass the checks."""
    return Task.objects.select_for_update(of=("self",)).select_related("responsible", "author").get(pk=task.pk)


# --- creating ---------------------------------------------------------------------


@transaction.atomic
def task_create(
    *,
    author: User | None,
    responsible: User | None,
    title: str,
    body: str = "",
    form: str = Form.ORDINARY,
    deadline: date | None = None,
    deadline_reason: str = "",
    co_executors=(),
    observers=(),
    checklist=(),
    client=None,
    deal=None,
    lead=None,
    wanted_result: str = "",
    questions=(),
    report_schedule: ReportSchedule | None = None,
    report_for: date | None = None,
    **extra,
) -> Task:
    """Set a task: exactly one responsible, a deadline within 3 working days unless a reason is given."""
    if isinstance(responsible, list | tuple | set):
        raise DomainError("У задачи ровно один ответственный: остальных добавьте соисполнителями.", field="responsible")
    _check_person(responsible, field="responsible", what="ответственного")
    title = title.strip()
    if not title:
        raise DomainError("Укажите название задачи.", field="title")
    deadline = deadline or default_deadline()
    _check_deadline(deadline, deadline_reason)
    co_executors = [(u, (part or "").strip()) for u, part in co_executors]
    for user, part in co_executors:
        _check_person(user, field="co_executors", what="соисполнителя")
        if not part:
            raise DomainError(
                f"Для соисполнителя {user.short_name} напишите, что именно от него требуется.", field="co_executors"
            )
        if user.pk == responsible.pk:
            raise DomainError("Ответственный не может быть одновременно соисполнителем.", field="co_executors")
    observers = list(observers)
    for user in observers:
        _check_person(user, field="observers", what="наблюдателя")
    if deal is not None and client is None:
        client = deal.client
    now = timezone.now()
    task = Task.objects.create(
        form=form,
        title=title[:250],
        body=body.strip(),
        author=author,
        responsible=responsible,
        branch_id=responsible.branch_id,
        deadline=deadline,
        deadline_reason=deadline_reason.strip(),
        created_at=now,
        assigned_at=now,
        client=client,
        deal=deal,
        lead=lead,
        wanted_result=wanted_result.strip(),
        questions=list(questions),
        report_schedule=report_schedule,
        report_for=report_for,
        **extra,
    )
    TaskParticipant.objects.bulk_create(
        [TaskParticipant(task=task, user=u, role=Role.CO_EXECUTOR, part=part) for u, part in co_executors]
        + [TaskParticipant(task=task, user=u, role=Role.OBSERVER) for u in {u.pk: u for u in observers}.values()]
    )
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(task=task, text=text.strip()[:300], position=i)
            for i, text in enumerate(checklist)
            if text.strip()
        ]
    )
    who = author.short_name if author else "CRM"
    _event(task, TaskEvent.Kind.CREATED, f"{who} поставил(а) задачу, ответственный {responsible.short_name}", author)
    audit_record(actor=author, action=Action.CREATE, target=task, changes={"responsible": str(responsible)})
    if client is not None:
        timeline_add(
            client=client,
            deal=deal,
            kind=TimelineEntry.Kind.TASK,
            text=f"Задача «{task.title}», ответственный {responsible.short_name}, срок {deadline:%d.%m.%Y}",
            actor=author,
            data={"task": task.pk},
        )
    notify(
        users=[responsible, *(u for u, _ in co_executors)],
        text=f"Новая задача: {task.title} (срок {deadline:%d.%m.%Y})",
        url=task_url(task),
        skip=author,
    )
    return task


def pr_title(topic: str, deal=None) -> str:
    """«ПР: <тема> [№ сделки]», as the firm names its letters."""
    topic = topic.strip()
    return f"ПР: {topic} № {deal.pk}" if deal is not None else f"ПР: {topic}"


@transaction.atomic
def pr_create(
    *,
    author: User,
    topic: str,
    pr_kind: str,
    essence: str,
    facts: str,
    proposal: str,
    deal=None,
    attachments=(),
) -> Task:
    """A письмо-решение: to the author's direct supervisor, +3 working days."""
    for value, field, label in (
        (topic, "topic", "тему"),
        (essence, "essence", "суть вопроса"),
        (facts, "facts", "полную информацию"),
        (proposal, "proposal", "предлагаемое решение"),
    ):
        if not (value or "").strip():
            raise DomainError(f"В ПР укажите {label}.", field=field)
    if pr_kind not in Task.PrKind.values:
        raise DomainError("Выберите вид ПР.", field="pr_kind")
    supervisor = author.supervisor
    if supervisor is None or not supervisor.is_active:
        raise DomainError(
            "У вас не указан действующий непосредственный руководитель: ПР некому подать. Обратитесь к администратору.",
            field="topic",
        )
    body = (
        f"Вид: ПР — {Task.PrKind(pr_kind).label}\n\nСуть вопроса:\n{essence.strip()}\n\n"
        f"Полная информация:\n{facts.strip()}\n\nПредлагаемое решение:\n{proposal.strip()}"
    )
    task = task_create(
        author=author,
        responsible=supervisor,
        title=pr_title(topic, deal),
        body=body,
        form=Form.PR,
        deadline=default_deadline(),
        deal=deal,
        pr_kind=pr_kind,
        essence=essence.strip(),
        facts=facts.strip(),
        proposal=proposal.strip(),
    )
    for upload in attachments:
        attachment_add(task=task, by=author, upload=upload)
    return task


@transaction.atomic
def rz_create(*, author: User, responsible: User | None, title: str, body: str, wanted_result: str, **kwargs) -> Task:
    """A рабочая задача: «РЗ:» in the title, the task and the wanted result written out."""
    if not (body or "").strip():
        raise DomainError("В РЗ опишите саму задачу.", field="body")
    if not (wanted_result or "").strip():
        raise DomainError("В РЗ напишите, какой результат вы хотите получить.", field="wanted_result")
    title = title.strip()
    for prefix in ("РЗ:", "РЗ ", "рз:"):
        if title.startswith(prefix):
            title = title[len(prefix) :].strip()
    if not title:
        raise DomainError("Укажите название задачи.", field="title")
    return task_create(
        author=author,
        responsible=responsible,
        title=f"РЗ: {title}",
        body=body,
        wanted_result=wanted_result,
        form=Form.RZ,
        **kwargs,
    )


# --- working on a task ------------------------------------------------------------


@transaction.atomic
def task_comment(*, task: Task, by: User, text: str, kind: str = TaskComment.Kind.COMMENT) -> TaskComment:
    """A reply in the task; the responsible's first one stops the 24-hour clock."""
    text = (text or "").strip()
    if not text:
        raise DomainError("Комментарий пуст.", field="text")
    task = _lock(task)
    comment = TaskComment.objects.create(task=task, author=by, text=text, kind=kind)
    changed = _mark_reply(task, by)
    if changed:
        task.save(update_fields=changed)
    notify(
        users=_everyone(task),
        text=f"{by.short_name} в задаче «{task.title}»: {text[:200]}",
        url=task_url(task),
        skip=by,
    )
    audit_record(actor=by, action=AuditEntry.Action.CREATE, target=comment)
    return comment


@transaction.atomic
def task_start(*, task: Task, by: User) -> Task:
    """«Взять в работу»: the first feedback."""
    task = _lock(task)
    _require_responsible(task, by, "Взять задачу в работу")
    if task.status not in (Status.NEW, Status.DEFERRED):
        raise DomainError("Задача уже в работе.", code="state")
    changed = _mark_reply(task, by)
    task.status = Status.IN_PROGRESS
    task.save(update_fields=sorted({*changed, "status"}))
    _event(task, TaskEvent.Kind.STATUS, f"{by.short_name} взял(а) задачу в работу", by)
    audit_record(actor=by, action=AuditEntry.Action.UPDATE, target=task, changes={"status": task.status})
    return task


def _close(task: Task, status: str) -> list[str]:
    task.status = status
    task.completed_at = timezone.now()
    return ["status", "completed_at"]


@transaction.atomic
def task_complete(*, task: Task, by: User, text: str = "") -> Task:
    """The responsible reports it done: done at once if they set it themselves, else to the author's control."""
    task = _lock(task)
    _require_responsible(task, by, "Завершить задачу")
    _require_open(task)
    if task.form == Form.PR:
        raise DomainError(
            "По ПР руководитель записывает решение: одобрить, отклонить, запросить информацию или передать выше.",
            code="state",
        )
    if task.form == Form.REPORT:
        raise DomainError("Отчёт сдаётся ответами на вопросы.", code="state")
    if task.checklist.filter(done=False).exists():
        raise DomainError("В чек-листе остались невыполненные пункты.", code="state")
    changed = _mark_reply(task, by)
    if text.strip():
        TaskComment.objects.create(task=task, author=by, text=text.strip())
    if task.author_id and task.author_id != by.pk:
        task.status = Status.AWAITING
        changed += ["status"]
        _event(task, TaskEvent.Kind.STATUS, f"{by.short_name}: выполнено, ждёт контроля постановщика", by)
        notify(users=[task.author], text=f"Задача выполнена, проверьте: {task.title}", url=task_url(task), skip=by)
    else:
        changed += _close(task, Status.DONE)
        _event(task, TaskEvent.Kind.STATUS, f"{by.short_name}: задача выполнена", by)
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
    task = _lock(task)
    if by.pk != task.author_id:
        raise DomainError("Принять работу может только постановщик.", code="forbidden")
    if task.status != Status.AWAITING:
        raise DomainError("Задача не ждёт контроля.", code="state")
    task.save(update_fields=_close(task, Status.DONE))
    _event(task, TaskEvent.Kind.STATUS, f"{by.short_name} принял(а) работу", by)
    _timeline_closed(task, by)
    notify(users=[task.responsible], text=f"Работа принята: {task.title}", url=task_url(task), skip=by)
    audit_record(actor=by, action=Action.UPDATE, target=task, changes={"status": task.status})
    return task


@transaction.atomic
def task_return(*, task: Task, by: User, text: str) -> Task:
    """The author sends the work back with what is missing."""
    task = _lock(task)
    if by.pk != task.author_id:
        raise DomainError("Вернуть задачу на доработку может только постановщик.", code="forbidden")
    if task.status != Status.AWAITING:
        raise DomainError("Задача не ждёт контроля.", code="state")
    if not (text or "").strip():
        raise DomainError("Напишите, что нужно доделать.", field="text")
    TaskComment.objects.create(task=task, author=by, text=text.strip())
    task.status = Status.IN_PROGRESS
    task.save(update_fields=["status"])
    _event(task, TaskEvent.Kind.STATUS, f"{by.short_name} вернул(а) на доработку", by)
    notify(users=[task.responsible], text=f"Задача возвращена на доработку: {task.title}", url=task_url(task), skip=by)
    audit_record(
        actor=by, action=AuditEntry.Action.UPDATE, target=task, changes={"status": task.status, "returned": text[:200]}
    )
    return task


@transaction.atomic
def task_defer(*, task: Task, by: User, text: str) -> Task:
    task = _lock(task)
    _require_responsible(task, by, "Отложить задачу")
    _require_open(task)
    if not (text or "").strip():
        raise DomainError("Напишите, почему задача откладывается и до когда.", field="text")
    changed = _mark_reply(task, by)
    TaskComment.objects.create(task=task, author=by, text=text.strip())
    task.status = Status.DEFERRED
    task.save(update_fields=sorted({*changed, "status"}))
    _event(task, TaskEvent.Kind.STATUS, f"{by.short_name} отложил(а) задачу", by)
    notify(users=[task.author], text=f"Задача отложена: {task.title}", url=task_url(task), skip=by)
    audit_record(
        actor=by, action=AuditEntry.Action.UPDATE, target=task, changes={"status": task.status, "deferred": text[:200]}
    )
    return task


@transaction.atomic
def task_decline(*, task: Task, by: User, text: str) -> Task:
    """The responsible refuses a task outside their competence, with the reason."""
    task = _lock(task)
    _require_responsible(task, by, "Отклонить задачу")
    _require_open(task)
    if task.form == Form.PR:
        raise DomainError("ПР отклоняется решением руководителя.", code="state")
    if not (text or "").strip():
        raise DomainError("Напишите причину отказа.", field="text")
    changed = _mark_reply(task, by)
    TaskComment.objects.create(task=task, author=by, text=text.strip())
    changed += _close(task, Status.REJECTED)
    task.save(update_fields=sorted(set(changed)))
    _event(task, TaskEvent.Kind.STATUS, f"{by.short_name} отклонил(а) задачу", by)
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
    task = _lock(task)
    _require_responsible(task, by, "Делегировать задачу")
    _require_open(task)
    _check_person(to, field="to", what="кому передать задачу")
    if to.pk == task.responsible_id:
        raise DomainError("Задача уже у этого сотрудника.", field="to")
    if task.form == Form.PR:
        raise DomainError("ПР не делегируют: его решают или передают выше по линии руководства.", field="to")
    _mark_reply(task, by)  # the hand-over is the delegator's reply (late or not)
    _hand_over(task, to=to)
    task.save()
    if text.strip():
        TaskComment.objects.create(task=task, author=by, text=text.strip())
    _event(task, TaskEvent.Kind.DELEGATED, f"{by.short_name} делегировал(а) задачу: {to.short_name}", by)
    audit_record(actor=by, action=Action.UPDATE, target=task, changes={"responsible": [str(by), str(to)]})
    notify(users=[to], text=f"Вам передана задача: {task.title}", url=task_url(task), skip=by)
    notify(
        users=[task.author],
        text=f"{by.short_name} передал(а) задачу «{task.title}» {to.short_name}",
        url=task_url(task),
        skip=by,
    )
    return task


@transaction.atomic
def task_decide(*, task: Task, by: User, decision: str, text: str) -> Task:
    """The supervisor's decision on a ПР; «передать выше» sends it to their own supervisor."""
    task = _lock(task)
    if task.form != Form.PR:
        raise DomainError("Решение записывается только по ПР.", code="state")
    _require_responsible(task, by, "Записать решение по ПР")
    _require_open(task)
    if decision not in Decision.LABELS:
        raise DomainError("Выберите решение.", field="decision")
    text = (text or "").strip()
    if not text:
        raise DomainError("Напишите решение словами: его прочтёт автор ПР.", field="text")
    changed = _mark_reply(task, by)
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
        _event(task, TaskEvent.Kind.ESCALATED, f"{by.short_name} передал(а) выше: {boss.short_name}", by)
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
            changed += _close(task, Status.DONE if decision == Decision.APPROVE else Status.REJECTED)
            _timeline_closed(task, by)
        task.save(update_fields=sorted(set(changed)))
        _event(task, TaskEvent.Kind.DECIDED, f"{by.short_name}: {label.lower()}", by)
        notify(
            users=_everyone(task), text=f"Решение по ПР «{task.title}»: {label.lower()}", url=task_url(task), skip=by
        )
    audit_record(actor=by, action=Action.UPDATE, target=task, changes={"decision": decision})
    return task


@transaction.atomic
def pr_answer(*, task: Task, by: User, text: str) -> Task:
    """The author adds the information the supervisor asked for; the ПР goes back for a decision."""
    task = _lock(task)
    if task.form != Form.PR or by.pk != task.author_id:
        raise DomainError("Дополнить ПР может только его автор.", code="forbidden")
    if task.status != Status.AWAITING:
        raise DomainError("Руководитель не запрашивал информацию.", code="state")
    if not (text or "").strip():
        raise DomainError("Напишите запрошенную информацию.", field="text")
    TaskComment.objects.create(task=task, author=by, text=text.strip(), kind=TaskComment.Kind.ANSWER)
    task.status = Status.IN_PROGRESS
    task.save(update_fields=["status"])
    _event(task, TaskEvent.Kind.STATUS, f"{by.short_name} дополнил(а) ПР", by)
    notify(users=[task.responsible], text=f"ПР дополнено, ждёт решения: {task.title}", url=task_url(task), skip=by)
    audit_record(
        actor=by, action=AuditEntry.Action.UPDATE, target=task, changes={"status": task.status, "answer": text[:200]}
    )
    return task


@transaction.atomic
def task_set_deadline(*, task: Task, by: User, deadline: date, reason: str) -> Task:
    """The responsible names the real date when 3 working days are not enough."""
    task = _lock(task)
    _require_responsible(task, by, "Назначить реальный срок")
    _require_open(task)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Напишите, почему нужен другой срок.", field="reason")
    _check_deadline(deadline, reason)
    old = task.deadline
    changed = _mark_reply(task, by)
    task.deadline = deadline
    task.deadline_reason = reason
    task.deadline_warned_at = None
    task.overdue_notified_at = None
    task.save(
        update_fields=sorted({*changed, "deadline", "deadline_reason", "deadline_warned_at", "overdue_notified_at"})
    )
    _event(task, TaskEvent.Kind.DEADLINE, f"{by.short_name}: срок {old:%d.%m.%Y} → {deadline:%d.%m.%Y}. {reason}", by)
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
    _check_person(user, field="user", what="наблюдателя")
    if user.pk == task.responsible_id:
        raise DomainError("Это ответственный по задаче.", field="user")
    row, created = TaskParticipant.objects.get_or_create(task=task, user=user, role=Role.OBSERVER)
    if created:
        _event(task, TaskEvent.Kind.OBSERVER, f"{by.short_name} добавил(а) наблюдателя {user.short_name}", by)
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
    _require_open(task)
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


# --- reports ----------------------------------------------------------------------


def _clean_questions(questions) -> list[str]:
    cleaned = [q.strip() for q in questions if q and q.strip()]
    if not cleaned:
        raise DomainError("Напишите хотя бы один вопрос отчёта.", field="questions")
    return cleaned


def report_period_start(schedule: ReportSchedule, day: date) -> date:
    """The first day on or after `day` when this schedule's report is due to be set."""
    if schedule.period == ReportSchedule.Period.DAILY:
        # The first working day on or after `day`: one calendar read, not one per day.
        return add_working_days(day - timedelta(days=1), 1)
    if schedule.period == ReportSchedule.Period.WEEKLY:
        return day + timedelta(days=(schedule.weekday - day.weekday()) % 7)
    month_day = min(schedule.month_day, 28)
    if day.day <= month_day:
        return day.replace(day=month_day)
    next_month = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return next_month.replace(day=month_day)


@transaction.atomic
def report_schedule_create(
    *,
    by: User,
    responsible: User | None,
    title: str,
    questions,
    period: str,
    weekday: int = 4,
    month_day: int = 1,
    deadline_working_days: int = 1,
) -> ReportSchedule:
    """A supervisor asks a subordinate for a recurring report."""

    _check_person(responsible, field="responsible", what="сотрудника")
    if not access.can_manage_reports_of(by, responsible):
        raise DomainError("Отчёт назначает непосредственный руководитель сотрудника.", field="responsible")
    if not title.strip():
        raise DomainError("Укажите название отчёта.", field="title")
    if not 1 <= deadline_working_days <= MAX_WORKING_DAYS:
        raise DomainError(f"Срок сдачи — от 1 до {MAX_WORKING_DAYS} рабочих дней.", field="deadline_working_days")
    if not 1 <= month_day <= 28:
        raise DomainError("Число месяца — от 1 до 28.", field="month_day")
    schedule = ReportSchedule(
        author=by,
        responsible=responsible,
        title=title.strip(),
        questions=_clean_questions(questions),
        period=period,
        weekday=weekday,
        month_day=month_day,
        deadline_working_days=deadline_working_days,
    )
    schedule.next_run = report_period_start(schedule, timezone.localdate())
    schedule.save()
    audit_record(actor=by, action=Action.CREATE, target=schedule)
    return schedule


@transaction.atomic
def report_schedule_stop(*, schedule: ReportSchedule, by: User) -> ReportSchedule:

    if not access.can_manage_reports_of(by, schedule.responsible) and by.pk != schedule.author_id:
        raise DomainError("Отменить отчёт может руководитель, который его назначил.", code="forbidden")
    schedule.is_active = False
    schedule.save(update_fields=["is_active"])
    audit_record(actor=by, action=Action.UPDATE, target=schedule, changes={"is_active": [True, False]})
    return schedule


def reports_create_due(*, today: date | None = None) -> list[Task]:
    """Beat: create the report tasks whose day has come. Safe to run twice or in parallel."""
    today = today or timezone.localdate()
    created = []
    due = ReportSchedule.objects.filter(is_active=True, next_run__lte=today).values_list("pk", flat=True)
    for schedule_id in due:
        created += _report_create_for(schedule_id, today)  # each under its own row lock
    return created


@transaction.atomic
def _report_create_for(schedule_id: int, today: date) -> list[Task]:
    schedule = (
        ReportSchedule.objects.select_for_update(of=("self",))
        .select_related("author", "responsible")
        .get(pk=schedule_id)
    )
    created = []
    while schedule.is_active and schedule.next_run <= today:
        period = schedule.next_run
        schedule.next_run = report_period_start(schedule, period + timedelta(days=1))
        # A missed run (beat was down) yields one task for the latest period, not a pile of stale ones.
        if schedule.next_run <= today:
            continue
        if not schedule.responsible.is_active:
            break
        try:
            with transaction.atomic():
                created.append(
                    task_create(
                        author=schedule.author,
                        responsible=schedule.responsible,
                        title=f"Отчёт: {schedule.title} за {period:%d.%m.%Y}",
                        body="Ответьте на все вопросы; при ошибках или падении статистик опишите причины.",
                        form=Form.REPORT,
                        # Day one of the period counts: a daily report with 1 day is due the same day.
                        deadline=add_working_days(
                            max(period, today) - timedelta(days=1), schedule.deadline_working_days
                        ),
                        questions=schedule.questions,
                        report_schedule=schedule,
                        report_for=period,
                    )
                )
        except IntegrityError:
            pass  # another beat run made it first
    schedule.save(update_fields=["next_run"])
    return created


@transaction.atomic
def report_submit(*, task: Task, by: User, answers: list[str]) -> Task:
    """The subordinate answers every question: the report is handed in."""
    task = _lock(task)
    if task.form != Form.REPORT:
        raise DomainError("Это не отчёт.", code="state")
    _require_responsible(task, by, "Сдать отчёт")
    _require_open(task)
    answers = [(a or "").strip() for a in answers]
    if len(answers) != len(task.questions) or not all(answers):
        missing = next((i for i, a in enumerate(answers + [""] * len(task.questions)) if not a), 0)
        raise DomainError(
            f"Ответьте на все вопросы отчёта (не заполнен вопрос {missing + 1}).", field=f"answer_{missing}"
        )
    changed = _mark_reply(task, by)
    task.answers = answers
    changed += ["answers", *_close(task, Status.DONE)]
    task.save(update_fields=sorted(set(changed)))
    _event(task, TaskEvent.Kind.STATUS, f"{by.short_name} сдал(а) отчёт", by)
    notify(users=[task.author], text=f"Сдан отчёт: {task.title}", url=task_url(task), skip=by)
    audit_record(actor=by, action=AuditEntry.Action.UPDATE, target=task, changes={"status": task.status})
    return task


# --- the clocks (beat) ------------------------------------------------------------


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
            _event(
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
