"""Recurring Отчёт: a supervisor defines it, beat creates the tasks on schedule, the answers close them."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from crm.errors import DomainError
from tasks import services
from tasks.models import ReportSchedule, Task
from tasks.tasks import reports_create_due_task

MSK = ZoneInfo("Europe/Moscow")
QUESTIONS = ["Сколько консультаций проведено?", "Сколько договоров заключено?", "Что мешало?"]


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=MSK), tick=False)


def weekly(head, manager, **overrides):
    fields = {"title": "Итоги недели", "questions": QUESTIONS, "period": "weekly", "weekday": 4}
    return services.report_schedule_create(by=head, responsible=manager, **(fields | overrides))


def test_only_the_supervisor_sets_a_report(manager_msk, manager2_msk, head_spb):
    with pytest.raises(DomainError, match="непосредственный руководитель"):
        weekly(manager2_msk, manager_msk)
    with pytest.raises(DomainError, match="непосредственный руководитель"):
        weekly(head_spb, manager_msk)
    assert ReportSchedule.objects.count() == 0


def test_report_needs_a_question(head_msk, manager_msk):
    with pytest.raises(DomainError, match="вопрос"):
        weekly(head_msk, manager_msk, questions=["", "  "])
    assert ReportSchedule.objects.count() == 0


def test_beat_creates_one_report_task_per_period(head_msk, manager_msk):
    with at(2026, 11, 23, 9, 0):  # Monday
        schedule = weekly(head_msk, manager_msk)
    assert schedule.next_run == date(2026, 11, 27)
    with at(2026, 11, 26, 18, 0):
        assert reports_create_due_task.apply().get() == 0
    with at(2026, 11, 27, 0, 15):
        assert reports_create_due_task.apply().get() == 1
        assert reports_create_due_task.apply().get() == 0  # a second run changes nothing
    task = Task.objects.get()
    assert (task.form, task.title, task.responsible, task.author) == (
        "report",
        "Отчёт: Итоги недели за 27.11.2026",
        manager_msk,
        head_msk,
    )
    assert task.deadline == date(2026, 11, 27)
    assert task.questions == QUESTIONS
    schedule.refresh_from_db()
    assert schedule.next_run == date(2026, 12, 4)


def test_beat_down_for_weeks_yields_one_fresh_report(head_msk, manager_msk):
    with at(2026, 11, 2, 9, 0):
        weekly(head_msk, manager_msk)
    with at(2026, 11, 24, 9, 0):
        assert len(services.reports_create_due()) == 1
    task = Task.objects.get()
    assert task.report_for == date(2026, 11, 20)
    assert task.deadline == date(2026, 11, 24)  # handed in by the end of today


def test_daily_report_skips_holidays(head_msk, manager_msk):
    with at(2025, 12, 30, 8, 0):
        services.report_schedule_create(
            by=head_msk, responsible=manager_msk, title="План дня", questions=["План"], period="daily"
        )
        assert len(services.reports_create_due()) == 1
    for day in range(31, 32):
        with at(2025, 12, day, 8, 0):
            assert services.reports_create_due() == []
    for day in range(1, 12):
        with at(2026, 1, day, 8, 0):
            assert services.reports_create_due() == []
    with at(2026, 1, 12, 8, 0):
        assert [t.report_for for t in services.reports_create_due()] == [date(2026, 1, 12)]


def test_report_is_closed_by_answering_every_question(head_msk, manager_msk):
    with at(2026, 11, 27, 9, 0):
        weekly(head_msk, manager_msk)
        (task,) = services.reports_create_due()
        with pytest.raises(DomainError, match="вопрос 3"):
            services.report_submit(task=task, by=manager_msk, answers=["12", "3", ""])
        assert Task.objects.get(pk=task.pk).status == "new"
        with pytest.raises(DomainError):
            services.task_complete(task=task, by=manager_msk)
        services.report_submit(task=task, by=manager_msk, answers=["12", "3", "Два клиента не пришли"])
    task.refresh_from_db()
    assert (task.status, task.answers) == ("done", ["12", "3", "Два клиента не пришли"])


def test_stopped_schedule_creates_nothing(head_msk, manager_msk):
    with at(2026, 11, 23, 9, 0):
        schedule = weekly(head_msk, manager_msk)
        services.report_schedule_stop(schedule=schedule, by=head_msk)
    with at(2026, 11, 27, 9, 0):
        assert services.reports_create_due() == []


@pytest.mark.parametrize(
    "today, period, extra, expected",
    [
        (date(2026, 11, 20), "monthly", {"month_day": 15}, date(2026, 12, 15)),
        (date(2026, 11, 15), "monthly", {"month_day": 15}, date(2026, 11, 15)),
        (date(2026, 12, 20), "monthly", {"month_day": 5}, date(2027, 1, 5)),
        (date(2026, 11, 28), "weekly", {"weekday": 0}, date(2026, 11, 30)),
        (date(2026, 12, 31), "daily", {}, date(2027, 1, 11)),
    ],
)
def test_first_period_of_a_schedule(head_msk, manager_msk, today, period, extra, expected):
    with at(today.year, today.month, today.day, 9, 0):
        schedule = services.report_schedule_create(
            by=head_msk, responsible=manager_msk, title="Отчёт", questions=["Итог"], period=period, **extra
        )
    assert schedule.next_run == expected
