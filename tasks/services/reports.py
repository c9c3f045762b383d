"""Recurring reports: schedules set by a supervisor and the tasks the beat makes from them."""

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm import access
from crm.errors import DomainError
from crm.models import AuditEntry, User
from crm.notifications import notify
from crm.services import audit_record
from crm.workdays import add_working_days
from tasks.models import (
    MAX_WORKING_DAYS,
    ReportSchedule,
    Task,
    TaskEvent,
)
from tasks.services.creation import task_create
from tasks.services.rules import (
    Action,
    Form,
    Status,
    add_event,
    check_person,
    lock,
    mark_reply,
    require_open,
    require_responsible,
    task_url,
)
from tasks.services.work import close_task


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

    check_person(responsible, field="responsible", what="сотрудника")
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
    task = lock(task)
    if task.form != Form.REPORT:
        raise DomainError("Это не отчёт.", code="state")
    require_responsible(task, by, "Сдать отчёт")
    require_open(task)
    answers = [(a or "").strip() for a in answers]
    if len(answers) != len(task.questions) or not all(answers):
        missing = next((i for i, a in enumerate(answers + [""] * len(task.questions)) if not a), 0)
        raise DomainError(
            f"Ответьте на все вопросы отчёта (не заполнен вопрос {missing + 1}).", field=f"answer_{missing}"
        )
    changed = mark_reply(task, by)
    task.answers = answers
    changed += ["answers", *close_task(task, Status.DONE)]
    task.save(update_fields=sorted(set(changed)))
    add_event(task, TaskEvent.Kind.STATUS, f"{by.short_name} сдал(а) отчёт", by)
    notify(users=[task.author], text=f"Сдан отчёт: {task.title}", url=task_url(task), skip=by)
    audit_record(actor=by, action=AuditEntry.Action.UPDATE, target=task, changes={"status": task.status})
    return task
