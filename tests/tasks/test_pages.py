"""Task pages: lists by tab, forms with Russian refusals, the card's actions, who may see what."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tasks import services
from tasks.models import Task

MSK = ZoneInfo("Europe/Moscow")


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=MSK), tick=False)


def titles(response) -> list[str]:
    return [t.title for t in response.context["rows"]]


def test_my_tasks_overdue_first_and_tabs(web, manager_msk, manager2_msk, head_msk):
    with at(2026, 11, 16, 9, 0):
        services.task_create(author=head_msk, responsible=manager_msk, title="Старая")
    with at(2026, 11, 24, 9, 0):
        services.task_create(author=head_msk, responsible=manager_msk, title="Новая")
        services.task_create(author=manager_msk, responsible=manager2_msk, title="Поручил Анне")
        web.force_login(manager_msk)
        mine = web.get("/tasks/")
        assert titles(mine) == ["Старая", "Новая"]
        assert mine.context["counts"]["mine"] == 2 and mine.context["counts"]["overdue_mine"] == 1
        assert "просрочена" in mine.content.decode()
        assert titles(web.get("/tasks/?tab=assigned")) == ["Поручил Анне"]
        assert titles(web.get("/tasks/?tab=watching")) == []
        assert titles(web.get("/tasks/?tab=branch")) == ["Старая", "Новая"]  # not a head: falls back to «Мои»
        nav = {i["title"]: (i["count"], i["overdue"]) for i in mine.context["nav_items"]}
        assert nav["Задачи"] == (2, 1)


def test_head_sees_the_branch_tab(web, head_msk, manager_msk, manager2_msk, manager_spb, head_spb):
    services.task_create(author=manager_msk, responsible=manager2_msk, title="Москва")
    services.task_create(author=head_spb, responsible=manager_spb, title="Питер")
    web.force_login(head_msk)
    assert titles(web.get("/tasks/?tab=branch")) == ["Москва"]


def test_list_query_count_is_pinned(web, manager_msk, head_msk, query_count):
    for i in range(30):
        services.task_create(author=head_msk, responsible=manager_msk, title=f"Задача {i}")
    web.force_login(manager_msk)
    web.get("/tasks/")
    with query_count(5):  # session, user, menu counters, page of tasks with people joined, tab counts
        response = web.get("/tasks/")
    assert len(response.context["rows"]) == 30


def test_list_pages_with_a_cursor(web, manager_msk, head_msk):
    for i in range(55):
        services.task_create(author=head_msk, responsible=manager_msk, title=f"Задача {i:02}")
    web.force_login(manager_msk)
    first = web.get("/tasks/")
    assert len(first.context["rows"]) == 50
    second = web.get(f"/tasks/?cursor={first.context['next_cursor']}", HTTP_HX_REQUEST="true")
    assert titles(second) == [f"Задача {i:02}" for i in range(50, 55)]
    assert second.context["next_cursor"] is None


def test_create_rz_from_the_form(web, manager_msk, manager2_msk, lawyer_msk):
    web.force_login(manager_msk)
    with at(2026, 11, 24, 10, 0):
        response = web.post(
            "/tasks/new/",
            {
                "form": "rz",
                "title": "Анкета Петрова",
                "responsible": manager2_msk.pk,
                "body": "Заполнить анкету по списку",
                "wanted_result": "Анкета в папке клиента",
                "deadline": "2026-11-27",
                "co1": lawyer_msk.pk,
                "co1_part": "Проверить список имущества",
                "checklist": "Паспорт\nСНИЛС\n",
            },
        )
    task = Task.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tasks/{task.pk}/"
    assert (task.title, task.form, task.responsible, task.deadline) == (
        "РЗ: Анкета Петрова",
        "rz",
        manager2_msk,
        date(2026, 11, 27),
    )
    assert list(task.checklist.values_list("text", flat=True)) == ["Паспорт", "СНИЛС"]
    assert list(task.participants.values_list("user__username", "part")) == [
        ("lawyer.msk", "Проверить список имущества")
    ]


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"responsible": ""}, "responsible", "Обязательное поле."),
        ({"deadline": "2026-12-02"}, "deadline_reason", "укажите реальный срок и причину"),
        ({"wanted_result": ""}, "wanted_result", "какой результат"),
        ({"co1_part": ""}, "co_executors", "что именно от него требуется"),
    ],
)
def test_bad_task_form_is_refused_in_russian(web, manager_msk, manager2_msk, lawyer_msk, change, field, message):
    web.force_login(manager_msk)
    data = {
        "form": "rz",
        "title": "Анкета",
        "responsible": manager2_msk.pk,
        "body": "Заполнить",
        "wanted_result": "Готовая анкета",
        "deadline": "2026-11-27",
        "co1": lawyer_msk.pk,
        "co1_part": "Проверить",
    }
    with at(2026, 11, 24, 10, 0):
        response = web.post("/tasks/new/", data | change)
    assert response.status_code == 400
    form = response.context["form"]
    errors = " ".join(form.errors.get(field, form.non_field_errors()))
    assert message in errors
    assert Task.objects.count() == 0


def test_two_responsibles_in_the_post_are_refused(web, manager_msk, manager2_msk, head_msk):
    web.force_login(manager_msk)
    response = web.post(
        "/tasks/new/",
        {"form": "task", "title": "X", "responsible": [manager2_msk.pk, head_msk.pk], "deadline": "2026-11-25"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["responsible"] == [
        "У задачи ровно один ответственный: остальных добавьте соисполнителями."
    ]
    assert Task.objects.count() == 0


def test_pr_form_lands_with_the_supervisor(web, manager_msk, head_msk):
    web.force_login(manager_msk)
    with at(2025, 12, 30, 12, 0):
        page = web.get("/tasks/new/pr/")
        assert "Кузнецов Дмитрий Сергеевич" in page.content.decode()
        assert "14.01.2026" in page.content.decode()
        response = web.post(
            "/tasks/new/pr/",
            {
                "topic": "Скидка Петрову",
                "pr_kind": "discount",
                "essence": "Просит скидку 10%",
                "facts": "Пенсионер",
                "proposal": "Дать 5%",
            },
        )
    task = Task.objects.get()
    assert response.status_code == 302
    assert (task.title, task.responsible, task.deadline) == ("ПР: Скидка Петрову", head_msk, date(2026, 1, 14))


def test_pr_form_without_proposal_shows_the_rule(web, manager_msk, head_msk):
    web.force_login(manager_msk)
    response = web.post(
        "/tasks/new/pr/", {"topic": "Скидка", "pr_kind": "discount", "essence": "Суть", "facts": "Факты"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["proposal"] == ["В ПР укажите предлагаемое решение."]
    assert Task.objects.count() == 0


@pytest.mark.parametrize("outsider", ["manager.spb", "rop.spb", "callcenter", "lawyer.msk", "manager2.msk"])
def test_outsiders_cannot_open_or_act_on_a_task(web, everyone, manager_msk, head_msk, outsider):
    task = services.task_create(author=head_msk, responsible=manager_msk, title="Внутренняя")
    web.force_login(everyone[outsider])
    assert web.get(f"/tasks/{task.pk}/").status_code == 404
    assert web.post(f"/tasks/{task.pk}/comment/", {"text": "Я тут"}).status_code == 404
    assert web.post(f"/tasks/{task.pk}/delegate/", {"to": everyone[outsider].pk}).status_code == 404
    task.refresh_from_db()
    assert task.responsible == manager_msk and task.comments.count() == 0


def test_head_and_director_open_branch_tasks(web, everyone, manager_msk, manager2_msk):
    task = services.task_create(author=manager_msk, responsible=manager2_msk, title="Между коллегами")
    for who in ("rop.msk", "director"):
        web.force_login(everyone[who])
        assert web.get(f"/tasks/{task.pk}/").status_code == 200


def test_delegate_on_the_card(web, manager_msk, manager2_msk, head_msk):
    task = services.task_create(author=head_msk, responsible=manager_msk, title="Перезвонить")
    web.force_login(manager_msk)
    response = web.post(f"/tasks/{task.pk}/delegate/", {"to": manager2_msk.pk, "text": "Её клиент"})
    assert response.status_code == 302
    card = web.get(f"/tasks/{task.pk}/")  # still visible: now an observer
    assert [p.user.username for p in card.context["observers"]] == ["manager.msk"]


def test_wrong_person_acting_gets_a_message_and_nothing_changes(web, manager_msk, manager2_msk, head_msk):
    task = services.task_create(author=head_msk, responsible=manager_msk, title="X")
    web.force_login(head_msk)
    response = web.post(f"/tasks/{task.pk}/delegate/", {"to": manager2_msk.pk})
    assert response.status_code == 400
    assert "Делегировать задачу может только ответственный" in response.content.decode()
    assert Task.objects.get(pk=task.pk).responsible == manager_msk


def test_decide_on_the_card_sends_it_up(web, manager_msk, head_msk, director):
    task = services.pr_create(
        author=manager_msk, topic="Возврат", pr_kind="refund", essence="С", facts="Ф", proposal="Вернуть 50%"
    )
    web.force_login(head_msk)
    response = web.post(f"/tasks/{task.pk}/decide/", {"decision": "escalate", "text": "Решает директор"})
    assert response.status_code == 302
    web.force_login(director)
    card = web.get(f"/tasks/{task.pk}/")
    assert [e.text for e in card.context["route"]] == [
        "Иванов С.Н. поставил(а) задачу, ответственный Кузнецов Д.С.",
        "Кузнецов Д.С. передал(а) выше: Орлова М.В.",
    ]
    assert card.context["is_responsible"]


def test_card_query_count_is_pinned(web, manager_msk, manager2_msk, head_msk, lawyer_msk, query_count):
    task = services.task_create(
        author=head_msk,
        responsible=manager_msk,
        title="X",
        co_executors=[(lawyer_msk, "Проверить")],
        observers=[manager2_msk],
        checklist=["1", "2"],
    )
    for i in range(5):
        services.task_comment(task=task, by=manager_msk, text=f"Ответ {i}")
    web.force_login(manager_msk)
    web.get(f"/tasks/{task.pk}/")
    # session, user, menu counters, task with people, participants, checklist, attachments,
    # comments, events, delegate picker's staff
    with query_count(10):
        web.get(f"/tasks/{task.pk}/")


def test_efficiency_counts_on_time_late_and_overdue(web, manager_msk, manager2_msk, head_msk):
    with at(2026, 11, 2, 9, 0):
        on_time = services.task_create(author=head_msk, responsible=manager_msk, title="В срок")
        late = services.task_create(author=head_msk, responsible=manager_msk, title="С опозданием")
        services.task_create(author=head_msk, responsible=manager_msk, title="Висит")
    with at(2026, 11, 3, 9, 0):
        services.task_complete(task=on_time, by=manager_msk)
        services.task_accept(task=on_time, by=head_msk)
    with at(2026, 11, 10, 9, 0):
        services.task_complete(task=late, by=manager_msk)
        services.task_accept(task=late, by=head_msk)
    with at(2026, 11, 24, 9, 0):
        web.force_login(manager_msk)
        mine = web.get("/tasks/efficiency/?date_from=2026-11-01&date_to=2026-11-30")
        web.force_login(head_msk)
        branch = web.get("/tasks/efficiency/?date_from=2026-11-01&date_to=2026-11-30")
    (row,) = mine.context["rows"]
    assert (row.employee, row.total, row.done_on_time, row.done_late, row.overdue_open) == (manager_msk, 3, 1, 1, 1)
    assert row.feedback_late == 2  # the two that waited past 24 hours for a first word
    assert row.percent == 33
    assert [r.employee.username for r in branch.context["rows"]] == ["manager.msk"]


def test_notifications_page_and_menu_badge(web, manager_msk, head_msk):
    services.task_create(author=head_msk, responsible=manager_msk, title="Срочно")
    web.force_login(manager_msk)
    page = web.get("/notifications/")
    assert page.context["unread_notifications"] == 1
    assert [n.text for n in page.context["rows"]][0].startswith("Новая задача: Срочно")
    web.post("/notifications/")
    assert web.get("/notifications/").context["unread_notifications"] == 0


def test_reports_page_sets_a_schedule(web, head_msk, manager_msk, manager_spb):
    web.force_login(head_msk)
    page = web.get("/tasks/reports/")
    assert [u.username for u in page.context["form"].fields["responsible"].queryset] == ["manager.msk"]
    refused = web.post(
        "/tasks/reports/",
        {"responsible": manager_spb.pk, "title": "Неделя", "questions": "Итог", "period": "weekly",
         "weekday": 4, "month_day": 1, "deadline_working_days": 1},
    )  # fmt: skip
    assert refused.status_code == 400
    web.post(
        "/tasks/reports/",
        {"responsible": manager_msk.pk, "title": "Неделя", "questions": "Итог\nПлан", "period": "weekly",
         "weekday": 4, "month_day": 1, "deadline_working_days": 1},
    )  # fmt: skip
    schedule = head_msk.__class__.objects.get(pk=manager_msk.pk).reports.get()
    assert (schedule.title, schedule.questions) == ("Неделя", ["Итог", "План"])


def test_home_shows_my_due_tasks_and_the_heads_overdue_ones(web, manager_msk, head_msk):
    with at(2026, 11, 16, 9, 0):
        services.task_create(author=head_msk, responsible=manager_msk, title="Просроченная")
    with at(2026, 11, 24, 9, 0):
        services.task_create(author=head_msk, responsible=manager_msk, title="На потом")
    with at(2026, 11, 24, 12, 0):
        web.force_login(manager_msk)
        mine = dict(web.get("/").context["blocks"])["web/home/_tasks.html"]
        web.force_login(head_msk)
        blocks = web.get("/").context["blocks"]
    assert [t.title for t in mine["rows"]] == ["Просроченная"]
    team = [b for template, b in blocks if template == "web/home/_tasks.html" and b["scope"] == "team"][0]
    assert [t.title for t in team["rows"]] == ["Просроченная"]


def test_attachment_upload_and_download_is_logged(web, manager_msk, head_msk, manager_spb):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from crm.models import AuditEntry

    task = services.task_create(author=head_msk, responsible=manager_msk, title="Проверить скан")
    web.force_login(manager_msk)
    response = web.post(f"/tasks/{task.pk}/files/", {"files": SimpleUploadedFile("Паспорт.pdf", b"%PDF scan")})
    assert response.status_code == 302
    attachment = task.attachments.get()
    got = web.get(f"/tasks/{task.pk}/files/{attachment.pk}/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"%PDF scan"
    assert AuditEntry.objects.filter(action="view_pd", actor=manager_msk, target_repr="Паспорт.pdf").count() == 1
    web.force_login(manager_spb)
    assert web.get(f"/tasks/{task.pk}/files/{attachment.pk}/").status_code == 404
