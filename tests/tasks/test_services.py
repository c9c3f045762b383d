"""The task rulebook through the services: forms, deadlines, the 24-hour clock, delegation, the ПР chain."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clients.models import TimelineEntry
from crm.errors import DomainError
from crm.models import AuditEntry, Notification
from tasks import services
from tasks.models import Task, TaskComment, TaskEvent, TaskParticipant
from tests.factories import make_deal

MSK = ZoneInfo("Europe/Moscow")


def at(*args) -> time_machine.travel:
    return time_machine.travel(datetime(*args, tzinfo=MSK), tick=False)


def observers(task) -> list[str]:
    return sorted(TaskParticipant.objects.filter(task=task, role="observer").values_list("user__username", flat=True))


# --- creating -----------------------------------------------------------------------


def test_default_deadline_is_three_working_days(manager_msk, manager2_msk):
    with at(2026, 11, 26, 10, 0):  # Thursday
        task = services.task_create(author=manager_msk, responsible=manager2_msk, title="Позвонить клиенту")
    assert task.deadline == date(2026, 12, 1)  # Fri, Mon, Tue
    assert task.status == "new"
    assert task.branch_id == manager2_msk.branch_id
    assert list(Notification.objects.values_list("user__username", "text")) == [
        ("manager2.msk", "Новая задача: Позвонить клиенту (срок 01.12.2026)")
    ]
    assert AuditEntry.objects.filter(action="create", target_type="tasks.task", target_id=str(task.pk)).count() == 1


def test_deadline_beyond_three_working_days_needs_a_reason(manager_msk, manager2_msk):
    with at(2026, 11, 26, 10, 0):
        with pytest.raises(DomainError) as refused:
            services.task_create(
                author=manager_msk, responsible=manager2_msk, title="Собрать документы", deadline=date(2026, 12, 2)
            )
        assert refused.value.field == "deadline_reason"
        assert "01.12.2026" in refused.value.message
        assert Task.objects.count() == 0
        task = services.task_create(
            author=manager_msk,
            responsible=manager2_msk,
            title="Собрать документы",
            deadline=date(2026, 12, 2),
            deadline_reason="Справка из ФНС готовится 5 дней",
        )
    assert task.deadline_reason == "Справка из ФНС готовится 5 дней"


def test_deadline_in_the_past_is_refused(manager_msk, manager2_msk):
    with at(2026, 11, 26, 10, 0), pytest.raises(DomainError, match="в прошлом"):
        services.task_create(author=manager_msk, responsible=manager2_msk, title="X", deadline=date(2026, 11, 25))
    assert Task.objects.count() == 0


def test_task_needs_exactly_one_responsible(manager_msk, manager2_msk, head_msk):
    with pytest.raises(DomainError, match="Укажите ответственного"):
        services.task_create(author=manager_msk, responsible=None, title="X")
    with pytest.raises(DomainError, match="ровно один ответственный"):
        services.task_create(author=manager_msk, responsible=[manager2_msk, head_msk], title="X")
    assert Task.objects.count() == 0


def test_inactive_responsible_is_refused(manager_msk, manager2_msk):
    manager2_msk.is_active = False
    manager2_msk.save()
    with pytest.raises(DomainError, match="не работает"):
        services.task_create(author=manager_msk, responsible=manager2_msk, title="X")
    assert Task.objects.count() == 0


def test_co_executor_needs_a_stated_part(manager_msk, manager2_msk, lawyer_msk):
    with pytest.raises(DomainError, match="что именно от него требуется"):
        services.task_create(author=manager_msk, responsible=manager2_msk, title="X", co_executors=[(lawyer_msk, "  ")])
    assert Task.objects.count() == 0
    task = services.task_create(
        author=manager_msk,
        responsible=manager2_msk,
        title="X",
        co_executors=[(lawyer_msk, "Проверить опись имущества")],
    )
    assert list(task.participants.values_list("user__username", "role", "part")) == [
        ("lawyer.msk", "co_executor", "Проверить опись имущества")
    ]


def test_rz_gets_its_prefix_and_needs_task_and_result(manager_msk, manager2_msk):
    with pytest.raises(DomainError, match="результат"):
        services.rz_create(
            author=manager_msk, responsible=manager2_msk, title="Анкета", body="Заполнить", wanted_result=""
        )
    with pytest.raises(DomainError, match="опишите саму задачу"):
        services.rz_create(author=manager_msk, responsible=manager2_msk, title="Анкета", body="", wanted_result="Есть")
    task = services.rz_create(
        author=manager_msk,
        responsible=manager2_msk,
        title="РЗ: Анкета Петрова",
        body="Заполнить анкету",
        wanted_result="Анкета в папке клиента",
    )
    assert (task.title, task.form) == ("РЗ: Анкета Петрова", "rz")


def test_task_on_a_deal_is_on_the_clients_timeline(manager_msk, manager2_msk):
    deal = make_deal(manager=manager_msk)
    task = services.task_create(author=manager_msk, responsible=manager2_msk, title="Выставить счёт", deal=deal)
    assert task.client_id == deal.client_id
    entry = TimelineEntry.objects.filter(client=deal.client, kind="task").get()
    assert entry.data == {"task": task.pk}


# --- ПР -----------------------------------------------------------------------------


def pr(author, **overrides):
    fields = {
        "topic": "Рассрочка Петрову",
        "pr_kind": "discount",
        "essence": "Клиент просит рассрочку на 6 месяцев",
        "facts": "Доход 40 000 ₽, долг 1,2 млн ₽",
        "proposal": "Дать рассрочку на 6 месяцев без скидки",
    }
    return services.pr_create(author=author, **(fields | overrides))


def test_pr_goes_to_the_direct_supervisor_with_three_working_days_across_the_new_year(manager_msk, head_msk):
    with at(2025, 12, 30, 11, 0):
        task = pr(manager_msk)
    assert task.responsible == head_msk
    assert task.form == "pr"
    assert task.title == "ПР: Рассрочка Петрову"
    assert task.deadline == date(2026, 1, 14)
    assert task.body.startswith("Вид: ПР — Скидка или рассрочка\n\nСуть вопроса:\nКлиент просит")


def test_pr_title_carries_the_deal_number(manager_msk):
    deal = make_deal(manager=manager_msk)
    assert pr(manager_msk, deal=deal).title == f"ПР: Рассрочка Петрову № {deal.pk}"


def test_pr_without_proposal_is_refused(manager_msk):
    with pytest.raises(DomainError) as refused:
        pr(manager_msk, proposal="  ")
    assert (refused.value.field, refused.value.message) == ("proposal", "В ПР укажите предлагаемое решение.")
    assert Task.objects.count() == 0


def test_pr_without_a_supervisor_is_refused(director):
    with pytest.raises(DomainError, match="руководитель"):
        pr(director)
    assert Task.objects.count() == 0


def test_pr_climbs_the_chain_and_the_next_post_decides(manager_msk, head_msk, director):
    task = pr(manager_msk)
    services.task_decide(task=task, by=head_msk, decision="escalate", text="Выше моих полномочий")
    task.refresh_from_db()
    assert (task.responsible, task.status, task.branch_id) == (director, "new", None)
    assert observers(task) == ["rop.msk"]
    with pytest.raises(DomainError, match="только ответственный"):
        services.task_decide(task=task, by=head_msk, decision="approve", text="Одобряю")
    services.task_decide(task=task, by=director, decision="approve", text="Одобряю рассрочку")
    task.refresh_from_db()
    assert task.status == "done"
    assert list(task.events.values_list("kind", "text")) == [
        ("created", "Иванов С.Н. поставил(а) задачу, ответственный Кузнецов Д.С."),
        ("escalated", "Кузнецов Д.С. передал(а) выше: Орлова М.В."),
        ("decided", "Орлова М.В.: одобрить"),
    ]
    assert list(task.comments.values_list("author__username", "kind", "text")) == [
        ("rop.msk", "decision", "Передать выше: Выше моих полномочий"),
        ("director", "decision", "Одобрить: Одобряю рассрочку"),
    ]
    # The author, and the head who passed it on, hear of the decision.
    decided = Notification.objects.filter(text__startswith="Решение по ПР").values_list("user__username", flat=True)
    assert sorted(decided) == ["manager.msk", "rop.msk"]


def test_top_of_the_chain_cannot_pass_it_higher(manager_msk, head_msk, director):
    task = pr(manager_msk)
    services.task_decide(task=task, by=head_msk, decision="escalate", text="Выше")
    with pytest.raises(DomainError, match="Выше по линии руководства никого нет"):
        services.task_decide(task=Task.objects.get(pk=task.pk), by=director, decision="escalate", text="Ещё выше")
    task.refresh_from_db()
    assert task.responsible == director


def test_needs_info_goes_back_to_the_author_and_returns(manager_msk, head_msk):
    task = pr(manager_msk)
    services.task_decide(task=task, by=head_msk, decision="needs_info", text="Приложите справку о доходах")
    assert Task.objects.get(pk=task.pk).status == "awaiting"
    services.pr_answer(task=task, by=manager_msk, text="Справка приложена")
    assert Task.objects.get(pk=task.pk).status == "in_progress"
    services.task_decide(task=task, by=head_msk, decision="reject", text="Нет")
    assert Task.objects.get(pk=task.pk).status == "rejected"


def test_decision_needs_words(manager_msk, head_msk):
    task = pr(manager_msk)
    with pytest.raises(DomainError, match="словами"):
        services.task_decide(task=task, by=head_msk, decision="approve", text="")
    assert Task.objects.get(pk=task.pk).status == "new"


# --- delegation -----------------------------------------------------------------------


def test_delegation_makes_the_old_responsible_an_observer(manager_msk, manager2_msk, head_msk):
    task = services.task_create(author=head_msk, responsible=manager_msk, title="Перезвонить Сидорову")
    services.task_delegate(task=task, by=manager_msk, to=manager2_msk, text="Это клиент Анны")
    task.refresh_from_db()
    assert task.responsible == manager2_msk
    assert observers(task) == ["manager.msk"]
    assert task.first_reply_at is None  # the new responsible's clock starts now
    assert TaskEvent.objects.filter(task=task, kind="delegated").get().text == (
        "Иванов С.Н. делегировал(а) задачу: Петрова А.И."
    )


def test_only_the_responsible_delegates(manager_msk, manager2_msk, head_msk):
    task = services.task_create(author=head_msk, responsible=manager_msk, title="X")
    with pytest.raises(DomainError) as refused:
        services.task_delegate(task=task, by=head_msk, to=manager2_msk)
    assert refused.value.code == "forbidden"
    assert Task.objects.get(pk=task.pk).responsible == manager_msk


def test_delegation_to_an_inactive_employee_is_refused(manager_msk, manager2_msk, head_msk):
    task = services.task_create(author=head_msk, responsible=manager_msk, title="X")
    manager2_msk.is_active = False
    manager2_msk.save()
    with pytest.raises(DomainError, match="Петрова Анна Игоревна не работает"):
        services.task_delegate(task=task, by=manager_msk, to=manager2_msk)
    task.refresh_from_db()
    assert task.responsible == manager_msk
    assert observers(task) == []


def test_observers_only_by_the_author(manager_msk, manager2_msk, head_msk, lawyer_msk):
    task = services.task_create(author=head_msk, responsible=manager_msk, title="X")
    with pytest.raises(DomainError, match="постановщик"):
        services.task_add_observer(task=task, by=manager_msk, user=lawyer_msk)
    services.task_add_observer(task=task, by=head_msk, user=lawyer_msk)
    assert observers(task) == ["lawyer.msk"]


# --- the 24-hour clock and closing ---------------------------------------------------------


def test_first_reply_stops_the_clock(manager_msk, manager2_msk):
    with at(2026, 11, 24, 9, 0):
        task = services.task_create(author=manager_msk, responsible=manager2_msk, title="X")
    with at(2026, 11, 24, 15, 0):
        services.task_comment(task=task, by=manager_msk, text="Напоминаю")  # the author's words do not count
        assert Task.objects.get(pk=task.pk).first_reply_at is None
        services.task_comment(task=task, by=manager2_msk, text="Беру, отвечу завтра")
    task.refresh_from_db()
    assert task.first_reply_at == datetime(2026, 11, 24, 15, 0, tzinfo=MSK)
    assert (task.status, task.feedback_late) == ("in_progress", False)


def test_unanswered_task_is_flagged_once_after_24_hours(manager_msk, manager2_msk):
    with at(2026, 11, 24, 9, 0):
        task = services.task_create(author=manager_msk, responsible=manager2_msk, title="Сверить платежи")
    Notification.objects.all().delete()
    with at(2026, 11, 25, 8, 59):
        assert services.feedback_flag_overdue() == 0
    with at(2026, 11, 25, 9, 1):
        assert services.feedback_flag_overdue() == 1
        assert services.feedback_flag_overdue() == 0  # once
        task.refresh_from_db()
        assert task.feedback_missing
    assert task.feedback_late
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == ["manager.msk", "manager2.msk"]
    assert TaskEvent.objects.filter(task=task, kind="feedback_late").count() == 1


def test_a_late_first_reply_counts_as_late(manager_msk, manager2_msk):
    with at(2026, 11, 24, 9, 0):
        task = services.task_create(author=manager_msk, responsible=manager2_msk, title="X")
    with at(2026, 11, 25, 12, 0):
        services.task_start(task=task, by=manager2_msk)
    task.refresh_from_db()
    assert (task.status, task.feedback_late) == ("in_progress", True)


def test_completion_goes_to_the_authors_control(manager_msk, manager2_msk):
    task = services.task_create(author=manager_msk, responsible=manager2_msk, title="X", checklist=["Шаг 1"])
    with pytest.raises(DomainError, match="чек-листе"):
        services.task_complete(task=task, by=manager2_msk)
    services.checklist_toggle(item=task.checklist.get(), by=manager2_msk)
    services.task_complete(task=task, by=manager2_msk, text="Сделано")
    assert Task.objects.get(pk=task.pk).status == "awaiting"
    services.task_return(task=task, by=manager_msk, text="Нет подписи")
    assert Task.objects.get(pk=task.pk).status == "in_progress"
    services.task_complete(task=task, by=manager2_msk)
    services.task_accept(task=task, by=manager_msk)
    task.refresh_from_db()
    assert task.status == "done" and task.completed_at is not None


def test_own_task_closes_at_once_and_cannot_be_closed_twice(manager_msk):
    task = services.task_create(author=manager_msk, responsible=manager_msk, title="Себе")
    services.task_complete(task=task, by=manager_msk)
    assert Task.objects.get(pk=task.pk).status == "done"
    with pytest.raises(DomainError, match="уже закрыта"):
        services.task_complete(task=task, by=manager_msk)


def test_responsible_sets_a_real_deadline_with_a_reason(manager_msk, manager2_msk):
    with at(2026, 11, 24, 9, 0):
        task = services.task_create(author=manager_msk, responsible=manager2_msk, title="Запрос в суд")
        with pytest.raises(DomainError, match="почему"):
            services.task_set_deadline(task=task, by=manager2_msk, deadline=date(2026, 12, 10), reason="")
        services.task_set_deadline(
            task=task, by=manager2_msk, deadline=date(2026, 12, 10), reason="Суд отвечает до 10 дней"
        )
    task.refresh_from_db()
    assert (task.deadline, task.deadline_reason) == (date(2026, 12, 10), "Суд отвечает до 10 дней")
    assert task.first_reply_at is not None


def test_deadline_notices_once_each(manager_msk, manager2_msk):
    with at(2026, 11, 24, 9, 0):
        task = services.task_create(author=manager_msk, responsible=manager2_msk, title="X")
    Notification.objects.all().delete()
    with at(2026, 11, 27, 9, 0):
        assert services.deadlines_notify() == (1, 0)
        assert services.deadlines_notify() == (0, 0)
    with at(2026, 11, 30, 9, 0):
        assert services.deadlines_notify() == (0, 1)
        assert services.deadlines_notify() == (0, 0)
    assert list(Notification.objects.order_by("id").values_list("user__username", "text")) == [
        ("manager2.msk", "Сегодня срок задачи «X»"),
        ("manager2.msk", "Просрочена задача «X» (срок 27.11.2026, Петрова А.И.)"),
        ("manager.msk", "Просрочена задача «X» (срок 27.11.2026, Петрова А.И.)"),
    ]
    assert task.pk


def test_comment_notifies_everyone_but_the_writer(manager_msk, manager2_msk, lawyer_msk):
    task = services.task_create(
        author=manager_msk, responsible=manager2_msk, title="X", co_executors=[(lawyer_msk, "Проверить")]
    )
    Notification.objects.all().delete()
    services.task_comment(task=task, by=manager2_msk, text="Готово наполовину")
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == ["lawyer.msk", "manager.msk"]
    assert TaskComment.objects.get(task=task).text == "Готово наполовину"


def test_two_late_clocks_do_not_move_each_other(manager_msk, manager2_msk):
    """Delegation restarts the clock for the new responsible only."""
    with at(2026, 11, 24, 9, 0):
        task = services.task_create(author=manager_msk, responsible=manager2_msk, title="X")
    with at(2026, 11, 24, 10, 0):
        services.task_delegate(task=task, by=manager2_msk, to=manager_msk)
    task.refresh_from_db()
    assert task.assigned_at == datetime(2026, 11, 24, 10, 0, tzinfo=MSK)
    assert task.feedback_due_at - task.assigned_at == timedelta(hours=24)
