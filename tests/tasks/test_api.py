"""/api/v1/tasks/: the pages' rules over the API, refusals as 400 with Russian field errors."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse

from tasks import services
from tasks.models import Task
from tests.conftest import token_client

MSK = ZoneInfo("Europe/Moscow")


def at(*args):
    return time_machine.travel(datetime(*args, tzinfo=MSK), tick=False)


def test_create_list_and_read(manager_msk, manager2_msk):
    api = token_client(manager_msk)
    with at(2026, 11, 24, 10, 0):
        response = api.post(
            reverse("api-tasks"),
            {"form": "rz", "title": "Анкета", "responsible": manager2_msk.pk, "body": "Заполнить",
             "wanted_result": "Анкета готова"},
            format="json",
        )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["title"], body["deadline"], body["responsible"]["id"]) == ("РЗ: Анкета", "2026-11-27", manager2_msk.pk)
    listed = api.get(reverse("api-tasks"), {"tab": "assigned"}).json()
    assert [t["id"] for t in listed["results"]] == [body["id"]]
    assert api.get(reverse("api-task-detail", args=[body["id"]])).status_code == 200


def test_bad_input_is_400_and_stores_nothing(manager_msk, manager2_msk, head_msk):
    api = token_client(manager_msk)
    cases = [
        ({"title": "X"}, {"responsible": ["Укажите ответственного."]}),
        (
            {"title": "X", "responsible": [manager2_msk.pk, head_msk.pk]},
            {"responsible": ["У задачи ровно один ответственный: остальных добавьте соисполнителями."]},
        ),
        ({"form": "pr", "topic": "Скидка", "pr_kind": "discount", "essence": "С", "facts": "Ф"},
         {"proposal": ["В ПР укажите предлагаемое решение."]}),
    ]  # fmt: skip
    for data, errors in cases:
        response = api.post(reverse("api-tasks"), data, format="json")
        assert (response.status_code, response.json()) == (400, errors)
    with at(2026, 11, 24, 10, 0):
        response = api.post(
            reverse("api-tasks"),
            {"title": "X", "responsible": manager2_msk.pk, "deadline": "2026-12-10"},
            format="json",
        )
    assert response.status_code == 400
    assert list(response.json()) == ["deadline_reason"]
    assert Task.objects.count() == 0


def test_actions_comment_delegate_complete(manager_msk, manager2_msk, head_msk):
    task = services.task_create(author=head_msk, responsible=manager_msk, title="Перезвонить")
    api = token_client(manager_msk)
    assert api.post(reverse("api-task-comment", args=[task.pk]), {"text": "Беру"}, format="json").status_code == 200
    response = api.post(reverse("api-task-delegate", args=[task.pk]), {"to": manager2_msk.pk}, format="json")
    assert response.status_code == 200
    roles = {(p["user"]["id"], p["role"]) for p in response.json()["participants"]}
    assert roles == {(manager_msk.pk, "observer")}
    # Now only an observer: completing is refused and nothing changes.
    refused = api.post(reverse("api-task-complete", args=[task.pk]), {}, format="json")
    assert refused.status_code == 403
    assert Task.objects.get(pk=task.pk).status == "new"
    done = token_client(manager2_msk).post(
        reverse("api-task-complete", args=[task.pk]), {"text": "Готово"}, format="json"
    )
    assert (done.status_code, done.json()["status"]) == (200, "awaiting")


def test_decide_sends_a_pr_up(manager_msk, head_msk, director):
    task = services.pr_create(
        author=manager_msk, topic="Возврат", pr_kind="refund", essence="С", facts="Ф", proposal="Вернуть"
    )
    api = token_client(head_msk)
    bad = api.post(reverse("api-task-decide", args=[task.pk]), {"decision": "maybe", "text": "?"}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["decision"]
    up = api.post(
        reverse("api-task-decide", args=[task.pk]), {"decision": "escalate", "text": "Директору"}, format="json"
    )
    assert (up.status_code, up.json()["responsible"]["id"]) == (200, director.pk)


def test_other_branch_gets_404_and_nothing_changes(manager_msk, head_msk, manager_spb):
    task = services.task_create(author=head_msk, responsible=manager_msk, title="Внутренняя")
    api = token_client(manager_spb)
    assert api.get(reverse("api-task-detail", args=[task.pk])).status_code == 404
    assert api.post(reverse("api-task-comment", args=[task.pk]), {"text": "Я"}, format="json").status_code == 404
    assert (
        api.post(reverse("api-task-delegate", args=[task.pk]), {"to": manager_spb.pk}, format="json").status_code == 404
    )
    assert api.get(reverse("api-tasks"), {"tab": "all"}).json()["results"] == []
    assert task.comments.count() == 0 and Task.objects.get(pk=task.pk).responsible == manager_msk


def test_delegation_to_an_inactive_colleague_is_400(manager_msk, manager2_msk, head_msk):
    task = services.task_create(author=head_msk, responsible=head_msk, title="X")
    manager2_msk.is_active = False
    manager2_msk.save()
    response = token_client(head_msk).post(
        reverse("api-task-delegate", args=[task.pk]), {"to": manager2_msk.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"to": ["Петрова Анна Игоревна не работает: выберите действующего сотрудника."]}
    assert Task.objects.get(pk=task.pk).responsible == head_msk
