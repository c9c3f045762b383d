"""Setting tasks: ordinary ones, ПР (to the direct supervisor) and РЗ."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from clients.models import TimelineEntry
from clients.services import timeline_add
from crm.errors import DomainError
from crm.models import User
from crm.notifications import notify
from crm.services import audit_record
from tasks.models import (
    ChecklistItem,
    ReportSchedule,
    Task,
    TaskEvent,
    TaskParticipant,
)
from tasks.services.rules import Action, Form, Role, add_event, check_deadline, check_person, default_deadline, task_url
from tasks.services.work import attachment_add


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
    pr_kind: str = "",
    essence: str = "",
    facts: str = "",
    proposal: str = "",
) -> Task:
    """Set a task: exactly one responsible, a deadline within 3 working days unless a reason is given."""
    if isinstance(responsible, list | tuple | set):
        raise DomainError("У задачи ровно один ответственный: остальных добавьте соисполнителями.", field="responsible")
    check_person(responsible, field="responsible", what="ответственного")
    title = title.strip()
    if not title:
        raise DomainError("Укажите название задачи.", field="title")
    deadline = deadline or default_deadline()
    check_deadline(deadline, deadline_reason)
    co_executors = [(u, (part or "").strip()) for u, part in co_executors]
    for user, part in co_executors:
        check_person(user, field="co_executors", what="соисполнителя")
        if not part:
            raise DomainError(
                f"Для соисполнителя {user.short_name} напишите, что именно от него требуется.", field="co_executors"
            )
        if user.pk == responsible.pk:
            raise DomainError("Ответственный не может быть одновременно соисполнителем.", field="co_executors")
    observers = list(observers)
    for user in observers:
        check_person(user, field="observers", what="наблюдателя")
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
        pr_kind=pr_kind,
        essence=essence,
        facts=facts,
        proposal=proposal,
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
    add_event(task, TaskEvent.Kind.CREATED, f"{who} поставил(а) задачу, ответственный {responsible.short_name}", author)
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
