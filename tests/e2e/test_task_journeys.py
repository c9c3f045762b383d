"""Tasks the firm's way, walked through in a real browser.

A ПР climbs from the manager to his head and on to the director and comes back
approved; a delegated task leaves its first responsible as an observer; a task
left unanswered for 24 hours is flagged by beat; a real Celery worker sets the
recurring Отчёт the manager then hands in; the task form refuses a long
deadline without a reason. Every journey checks the database as well as the page.

The live server answers from a thread of this process, so a clock frozen with
time_machine holds for the pages too (the ПР journey proves it: the deadline it
shows is only right on 30.12.2025). The Celery worker is another process and
keeps the real clock, so the Отчёт journey runs on today's date.
"""

import re
import time
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from crm.celery import app as celery_app
from crm.models import Notification
from tasks import services
from tasks.models import ReportSchedule, Task, TaskComment, TaskParticipant
from tasks.tasks import feedback_watch_task
from tests.celery_workers import TASK_TIMEOUT
from tests.e2e.helpers import at, enter_as, moment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

QUESTIONS = ["Сколько консультаций проведено?", "Сколько договоров заключено?", "Что мешало?"]


def open_from_my_tasks(page: Page, live_server, task: Task) -> None:
    """«Мои задачи» lists the task; its title opens the card."""
    page.goto("/tasks/")
    expect(page.get_by_test_id("task-tabs").locator(".nav-link.active")).to_contain_text("Мои задачи")
    page.get_by_test_id("task-table").get_by_role("link", name=task.title, exact=True).click()
    page.wait_for_url(f"{live_server.url}/tasks/{task.pk}/")


def alert(page: Page, text: str):
    return page.get_by_role("alert").filter(has_text=text)


def test_pr_climbs_to_the_director_and_comes_back_approved_to_its_author(
    page: Page, live_server, manager_msk, head_msk, director, page_problems, screenshot
):
    # 30.12.2025: 31.12 and the New Year holidays are days off, so 3 working days end on 14.01.2026.
    with at(2025, 12, 30, 10, 0):
        enter_as(page, live_server, "manager.msk")
        page.goto("/tasks/")
        page.get_by_role("link", name="Написать ПР", exact=True).click()
        page.wait_for_url(f"{live_server.url}/tasks/new/pr/")
        expect(page.get_by_test_id("pr-route")).to_have_text(
            "ПР уйдёт вашему руководителю: Кузнецов Дмитрий Сергеевич, решение — до 14.01.2026 (3 рабочих дня). "
            "Руководитель может передать его выше."
        )
        form = page.get_by_test_id("pr-form")
        form.get_by_label("Тема", exact=True).fill("Скидка для Гаврилова")
        form.get_by_label("Вид", exact=True).select_option(label="Скидка или рассрочка")
        form.get_by_label("Суть вопроса", exact=True).fill("Клиент просит рассрочку на 6 месяцев")
        form.get_by_label("Полная информация", exact=True).fill("Долг 900 000 ₽, пенсионер, доход 28 000 ₽")
        form.get_by_label("Предлагаемое решение", exact=True).fill("Рассрочка на 6 месяцев без скидки")
        screenshot(page, "task-pr-form")
        form.get_by_role("button", name="Подать ПР", exact=True).click()

        task = Task.objects.get()
        page.wait_for_url(f"{live_server.url}/tasks/{task.pk}/")
        expect(alert(page, "ПР подано")).to_have_text("ПР подано: Кузнецов Д.С., решение до 14.01.2026.")
        expect(page.get_by_test_id("task-title")).to_have_text("ПР: Скидка для Гаврилова")
        expect(page.get_by_test_id("task-status")).to_have_text("Новая")
        expect(page.get_by_test_id("responsible")).to_have_text("Кузнецов Дмитрий Сергеевич")
        expect(page.get_by_test_id("deadline")).to_have_text("14.01.2026")
        expect(page.get_by_test_id("task-people")).to_contain_text("Поставлена30.12.2025 10:00")
        expect(page.get_by_test_id("pr-body")).to_contain_text("ПР — Скидка или рассрочка")
        expect(page.get_by_test_id("decide-form")).to_have_count(0)  # the author does not decide his own letter
    assert (task.form, task.author, task.responsible, task.deadline, task.pr_kind, task.status) == (
        "pr",
        manager_msk,
        head_msk,
        date(2026, 1, 14),
        "discount",
        "new",
    )
    assert task.created_at == moment(2025, 12, 30, 10, 0)
    assert (task.essence, task.proposal) == (
        "Клиент просит рассрочку на 6 месяцев",
        "Рассрочка на 6 месяцев без скидки",
    )

    # The head finds it among his tasks and sends it up the line.
    with at(2025, 12, 30, 15, 0):
        enter_as(page, live_server, "rop.msk")
        open_from_my_tasks(page, live_server, task)
        decide = page.get_by_test_id("decide-form")
        decide.get_by_label("Решение", exact=True).select_option(label="Передать выше")
        decide.get_by_label("Решение словами", exact=True).fill("Рассрочку больше 3 месяцев решает директор")
        decide.get_by_role("button", name="Записать решение", exact=True).click()
        expect(alert(page, "Решение записано.")).to_be_visible()
        expect(page.get_by_test_id("responsible")).to_have_text("Орлова Марина Викторовна")
        expect(page.get_by_test_id("observers")).to_have_text("Кузнецов Дмитрий Сергеевич")
        expect(page.get_by_test_id("decide-form")).to_have_count(0)
    task.refresh_from_db()
    assert (task.responsible, task.status, task.deadline) == (director, "new", date(2026, 1, 14))
    assert list(task.participants.values_list("user", "role")) == [(head_msk.pk, "observer")]

    # The director opens it after the holidays, sees the route, approves.
    with at(2026, 1, 12, 11, 0):
        enter_as(page, live_server, "director")
        open_from_my_tasks(page, live_server, task)
        route = page.get_by_test_id("route").locator("li")
        expect(route).to_have_text(
            [
                "Иванов С.Н. поставил(а) задачу, ответственный Кузнецов Д.С. 30.12.2025 10:00",
                "Кузнецов Д.С. передал(а) выше: Орлова М.В. 30.12.2025 15:00",
            ]
        )
        screenshot(page, "task-pr-director-route")
        decide = page.get_by_test_id("decide-form")
        decide.get_by_label("Решение", exact=True).select_option(label="Одобрить")
        decide.get_by_label("Решение словами", exact=True).fill("Одобряю рассрочку на 6 месяцев, первый платёж сразу")
        decide.get_by_role("button", name="Записать решение", exact=True).click()
        expect(alert(page, "Решение записано.")).to_be_visible()
        expect(page.get_by_test_id("task-status")).to_have_text("Выполнена")
        expect(route).to_have_count(3)
        expect(route.nth(2)).to_have_text("Орлова М.В.: одобрить 12.01.2026 11:00")
        expect(page.get_by_test_id("actions")).to_have_count(0)

    # The author learns of it from his notifications and reads the decision on the card.
    with at(2026, 1, 12, 11, 30):
        enter_as(page, live_server, "manager.msk")
        page.get_by_test_id("notifications").click()
        page.wait_for_url(f"{live_server.url}/notifications/")
        page.get_by_role("link", name="Решение по ПР «ПР: Скидка для Гаврилова»: одобрить", exact=True).click()
        page.wait_for_url(f"{live_server.url}/tasks/{task.pk}/")
        expect(page.get_by_test_id("task-status")).to_have_text("Выполнена")
        comments = page.get_by_test_id("comment")
        expect(comments).to_have_text(
            [
                "Кузнецов Д.С. · 30.12.2025 15:00 · Решение Передать выше: Рассрочку больше 3 месяцев решает директор",
                "Орлова М.В. · 12.01.2026 11:00 · Решение "
                "Одобрить: Одобряю рассрочку на 6 месяцев, первый платёж сразу",
            ]
        )
        screenshot(page, "task-pr-approved-author")
    task.refresh_from_db()
    assert (task.status, task.responsible, task.completed_at) == ("done", director, moment(2026, 1, 12, 11, 0))
    assert list(task.comments.values_list("author", "kind")) == [
        (head_msk.pk, TaskComment.Kind.DECISION),
        (director.pk, TaskComment.Kind.DECISION),
    ]
    assert list(task.events.values_list("kind", flat=True)) == ["created", "escalated", "decided"]
    assert page_problems == []


def test_delegating_leaves_the_manager_as_observer_and_gives_the_task_to_his_colleague(
    page: Page, live_server, head_msk, manager_msk, manager2_msk, page_problems, screenshot
):
    task = services.task_create(
        author=head_msk, responsible=manager_msk, title="Перезвонить Беловой", body="Уточнить дату консультации"
    )
    enter_as(page, live_server, "manager.msk")
    open_from_my_tasks(page, live_server, task)
    expect(page.get_by_test_id("responsible")).to_have_text("Иванов Сергей Николаевич")
    expect(page.get_by_test_id("observers")).to_have_count(0)

    page.locator("summary", has_text="Делегировать").click()
    delegate = page.get_by_test_id("delegate-form")
    delegate.get_by_label("Кому передать", exact=True).select_option(
        label="Петрова Анна Игоревна · Менеджер по продажам"
    )
    delegate.get_by_label("Комментарий", exact=True).fill("Белова — клиентка Анны")
    delegate.get_by_role("button", name="Передать", exact=True).click()

    page.wait_for_url(f"{live_server.url}/tasks/")
    expect(alert(page, "Задача передана")).to_have_text("Задача передана, вы теперь наблюдатель.")
    expect(page.get_by_test_id("task-row")).to_have_count(0)
    expect(page.get_by_test_id("empty")).to_have_text("Задач нет.")
    page.get_by_test_id("task-tabs").get_by_role("link", name="Наблюдаю").click()
    page.wait_for_url(f"{live_server.url}/tasks/?tab=watching&status=open")
    page.get_by_test_id("task-table").get_by_role("link", name="Перезвонить Беловой", exact=True).click()
    page.wait_for_url(f"{live_server.url}/tasks/{task.pk}/")
    expect(page.get_by_test_id("responsible")).to_have_text("Петрова Анна Игоревна")
    expect(page.get_by_test_id("observers")).to_have_text("Иванов Сергей Николаевич")
    expect(page.get_by_test_id("history")).to_contain_text("Иванов С.Н. делегировал(а) задачу: Петрова А.И.")
    expect(page.get_by_test_id("delegate-form")).to_have_count(0)  # no longer his to pass on
    screenshot(page, "task-delegated-observer")
    task.refresh_from_db()
    assert (task.responsible, task.author, task.status, task.first_reply_at) == (manager2_msk, head_msk, "new", None)
    assert list(TaskParticipant.objects.filter(task=task).values_list("user", "role")) == [(manager_msk.pk, "observer")]

    enter_as(page, live_server, "manager2.msk")
    open_from_my_tasks(page, live_server, task)
    expect(page.get_by_test_id("responsible")).to_have_text("Петрова Анна Игоревна")
    expect(page.get_by_test_id("comment")).to_contain_text("Белова — клиентка Анны")
    expect(page.get_by_role("button", name="Взять в работу", exact=True)).to_be_visible()
    assert page_problems == []


def test_task_unanswered_for_24_hours_is_flagged_on_card_list_and_to_its_author(
    page: Page, live_server, head_msk, manager_msk, page_problems, screenshot
):
    with at(2026, 11, 24, 10, 0):
        task = services.task_create(author=head_msk, responsible=manager_msk, title="Сверить платежи Крыловой")

    # 23 hours on, opening the card is no reply, and the clock has not run out yet.
    with at(2026, 11, 25, 9, 0):
        assert feedback_watch_task() == 0
        enter_as(page, live_server, "manager.msk")
        open_from_my_tasks(page, live_server, task)
        expect(page.get_by_test_id("task-people")).to_contain_text("Первый ответждём до 25.11.2026 10:00")
        expect(page.get_by_test_id("feedback-late")).to_have_count(0)

    with at(2026, 11, 25, 11, 0):
        assert feedback_watch_task() == 1
        enter_as(page, live_server, "manager.msk")
        page.goto("/tasks/")
        row = page.get_by_test_id("task-row").filter(has_text="Сверить платежи Крыловой")
        expect(row.locator("td").first.locator(".badge")).to_have_text("нет ответа 24 ч")
        row.get_by_role("link", name="Сверить платежи Крыловой", exact=True).click()
        page.wait_for_url(f"{live_server.url}/tasks/{task.pk}/")
        expect(page.get_by_test_id("feedback-late")).to_have_text("Нет ответа 24 часа")
        expect(page.get_by_test_id("history").locator("li").last).to_have_text(
            "25.11.2026 11:00 Нет ответа 24 ч: Иванов С.Н."
        )
        screenshot(page, "task-feedback-late-card")

        enter_as(page, live_server, "rop.msk")
        page.get_by_test_id("notifications").click()
        page.wait_for_url(f"{live_server.url}/notifications/")
        expect(page.get_by_test_id("notification-list").locator("li").first).to_have_text(
            re.compile(
                r"25\.11\.2026 11:00 · новое\s+Нет ответа 24 ч по задаче «Сверить платежи Крыловой» \(Иванов С\.Н\.\)"
            )
        )
    task.refresh_from_db()
    assert (task.feedback_late, task.feedback_flagged_at, task.first_reply_at, task.status) == (
        True,
        moment(2026, 11, 25, 11, 0),
        None,
        "new",
    )
    flagged = "Нет ответа 24 ч по задаче «Сверить платежи Крыловой» (Иванов С.Н.)"
    assert sorted(Notification.objects.filter(text=flagged).values_list("user", flat=True)) == sorted(
        [head_msk.pk, manager_msk.pk]
    )
    assert page_problems == []


def test_recurring_report_is_set_by_beat_on_a_real_worker_and_handed_in(
    page: Page, live_server, head_msk, manager_msk, celery_worker, page_problems, screenshot
):
    enter_as(page, live_server, "rop.msk")
    page.goto("/tasks/")
    page.get_by_role("link", name="Отчёты", exact=True).click()
    page.wait_for_url(f"{live_server.url}/tasks/reports/")
    form = page.get_by_test_id("report-schedule-form")
    form.get_by_label("Сотрудник", exact=True).select_option(label="Иванов Сергей Николаевич · Менеджер по продажам")
    form.get_by_label("Название отчёта", exact=True).fill("Итоги недели")
    form.get_by_label("Вопросы (по одному в строке)", exact=True).fill("\n".join(QUESTIONS))
    form.get_by_label("Периодичность", exact=True).select_option(label="Раз в неделю")
    form.get_by_label("День недели", exact=True).select_option(label="пятница")
    form.get_by_role("button", name="Назначить", exact=True).click()

    expect(alert(page, "Регулярный отчёт назначен.")).to_be_visible()
    today = timezone.localdate()
    first_friday = today + timedelta(days=(4 - today.weekday()) % 7)
    expect(page.get_by_test_id("report-schedules").locator("tbody tr td")).to_have_text(
        [
            "Итоги недели 3 вопр., срок 1 раб. дн.",
            "Иванов С.Н.",
            "Кузнецов Д.С.",
            "Раз в неделю, пятница",
            f"{first_friday:%d.%m.%Y}",
            "Отменить",
        ],
        use_inner_text=True,
    )
    schedule = ReportSchedule.objects.get()
    assert (schedule.author, schedule.responsible, schedule.questions, schedule.next_run) == (
        head_msk,
        manager_msk,
        QUESTIONS,
        first_friday,
    )

    # The worker keeps the real clock (time_machine does not reach another process), so rather
    # than wait for Friday the report's day is brought to today.
    ReportSchedule.objects.filter(pk=schedule.pk).update(next_run=today)
    assert not Task.objects.exists()
    # What beat does every 15 minutes: send the job by its name, here to this test's own worker.
    celery_app.send_task(settings.CELERY_BEAT_SCHEDULE["task-reports"]["task"], queue=celery_worker.queue)
    deadline = time.monotonic() + TASK_TIMEOUT
    while not Task.objects.filter(report_schedule=schedule).exists():
        assert time.monotonic() < deadline, f"no report task after {TASK_TIMEOUT} s:\n{celery_worker.output}"
        assert celery_worker.process.poll() is None, f"worker exited:\n{celery_worker.output}"
        time.sleep(0.2)
    succeeded = celery_worker.wait_for_line("succeeded in", timeout=5)
    assert succeeded is not None, celery_worker.output
    assert "Task tasks.tasks.reports_create_due_task[" in succeeded and succeeded.endswith(": 1"), succeeded
    task = Task.objects.get()
    title = f"Отчёт: Итоги недели за {today:%d.%m.%Y}"
    assert (task.form, task.title, task.author, task.responsible, task.questions, task.status) == (
        "report",
        title,
        head_msk,
        manager_msk,
        QUESTIONS,
        "new",
    )
    schedule.refresh_from_db()
    assert schedule.next_run == today + timedelta(days=(3 - today.weekday()) % 7 + 1)  # the Friday after today

    enter_as(page, live_server, "manager.msk")
    open_from_my_tasks(page, live_server, task)
    expect(page.get_by_test_id("task-title")).to_have_text(title)
    report = page.get_by_test_id("report-form")
    report.get_by_label(QUESTIONS[0], exact=True).fill("14")
    report.get_by_label(QUESTIONS[2], exact=True).fill("Два клиента не пришли на встречу")
    report.get_by_role("button", name="Сдать отчёт", exact=True).click()

    expect(page).to_have_url(f"{live_server.url}/tasks/{task.pk}/report/")
    report = page.get_by_test_id("report-form")
    expect(report.locator(".invalid-feedback")).to_have_text(["Ответьте на этот вопрос."])
    expect(report.get_by_label(QUESTIONS[1], exact=True).locator("xpath=..")).to_contain_text(
        "Ответьте на этот вопрос."
    )
    expect(report.get_by_label(QUESTIONS[0], exact=True)).to_have_value("14")
    expect(page.get_by_test_id("task-status")).to_have_text("Новая")
    screenshot(page, "task-report-missing-answer")
    task.refresh_from_db()
    assert (task.status, task.answers, task.completed_at) == ("new", [], None)

    report.get_by_label(QUESTIONS[1], exact=True).fill("3")
    report.get_by_role("button", name="Сдать отчёт", exact=True).click()
    page.wait_for_url(f"{live_server.url}/tasks/{task.pk}/")
    expect(alert(page, "Отчёт сдан.")).to_be_visible()
    expect(page.get_by_test_id("task-status")).to_have_text("Выполнена")
    expect(page.get_by_test_id("report-answers").locator("dd")).to_have_text(
        ["14", "3", "Два клиента не пришли на встречу"]
    )
    task.refresh_from_db()
    assert (task.status, task.answers) == ("done", ["14", "3", "Два клиента не пришли на встречу"])
    assert Notification.objects.filter(user=head_msk, text=f"Сдан отчёт: {title}").count() == 1
    assert page_problems == [f"400 {live_server.url}/tasks/{task.pk}/report/"]


def test_task_form_refuses_a_long_deadline_without_a_reason_and_keeps_the_reason_given(
    page: Page, live_server, head_msk, manager_msk, page_problems, screenshot
):
    with at(2026, 11, 24, 10, 0):  # Tuesday: 3 working days end on Friday 27.11
        enter_as(page, live_server, "rop.msk")
        page.goto("/tasks/")
        page.get_by_role("link", name="Поставить задачу", exact=True).click()
        page.wait_for_url(f"{live_server.url}/tasks/new/")
        form = page.get_by_test_id("task-form")
        deadline = form.get_by_label("Срок", exact=True)
        expect(deadline).to_have_value("2026-11-27")  # the rulebook's default, shown in the date picker
        expect(form.get_by_label("Форма", exact=True)).to_have_value("rz")
        form.get_by_label("Название", exact=True).fill("Анкета Гаврилова")
        form.get_by_label("Ответственный", exact=True).select_option(
            label="Иванов Сергей Николаевич · Менеджер по продажам"
        )
        form.get_by_label("Задача", exact=True).fill("Заполнить анкету со слов клиента")
        form.get_by_label("Какой результат нужен", exact=True).fill("Анкета в папке клиента")
        deadline.fill("2026-12-04")
        form.get_by_role("button", name="Поставить задачу", exact=True).click()

        expect(page).to_have_url(f"{live_server.url}/tasks/new/")
        form = page.get_by_test_id("task-form")
        reason = form.get_by_label("Если срок больше 3 рабочих дней — почему", exact=True)
        expect(reason.locator("xpath=..").locator(".invalid-feedback")).to_have_text(
            "Срок больше 3 рабочих дней (позже 27.11.2026): укажите реальный срок и причину."
        )
        expect(form.get_by_label("Срок", exact=True)).to_have_value("2026-12-04")
        expect(form.get_by_label("Название", exact=True)).to_have_value("Анкета Гаврилова")
        screenshot(page, "task-form-long-deadline-refused")
        assert not Task.objects.exists()

        reason.fill("Клиент в командировке до 3 декабря")
        form.get_by_role("button", name="Поставить задачу", exact=True).click()
        task = Task.objects.get()
        page.wait_for_url(f"{live_server.url}/tasks/{task.pk}/")
        expect(alert(page, "Задача поставлена")).to_have_text("Задача поставлена: Иванов С.Н., срок 04.12.2026.")
        expect(page.get_by_test_id("task-title")).to_have_text("РЗ: Анкета Гаврилова")
        expect(page.get_by_test_id("deadline")).to_have_text(
            "04.12.2026 Срок больше 3 рабочих дней: Клиент в командировке до 3 декабря", use_inner_text=True
        )
        expect(page.get_by_test_id("deadline-reason")).to_have_text(
            "Срок больше 3 рабочих дней: Клиент в командировке до 3 декабря"
        )
    assert (task.form, task.author, task.responsible, task.deadline, task.deadline_reason) == (
        "rz",
        head_msk,
        manager_msk,
        date(2026, 12, 4),
        "Клиент в командировке до 3 декабря",
    )
    assert (task.body, task.wanted_result) == ("Заполнить анкету со слов клиента", "Анкета в папке клиента")
    assert page_problems == [f"400 {live_server.url}/tasks/new/"]
