"""Notifications: each leads to the thing it is about; opening one marks it read; the bell polls a tiny partial."""

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services as activity_services
from clients import services as client_services
from crm.http import local_path
from crm.models import Notification
from crm.notifications import notify
from deals.services import deal_reassign
from tasks import services as task_services
from tests.factories import make_client, make_deal


def _only(user) -> Notification:
    (n,) = Notification.objects.filter(user=user)
    return n


def _open(web, n: Notification):
    return web.get(reverse("crm:notification_open", args=[n.pk]))


def _tomorrow_at(hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), time(hour)))


def test_task_notification_opens_the_task_and_is_read(web, head_msk, manager_msk):
    task = task_services.task_create(author=head_msk, responsible=manager_msk, title="Позвонить в суд")
    n = _only(manager_msk)
    assert n.url == f"/tasks/{task.pk}/"
    web.force_login(manager_msk)
    response = _open(web, n)
    assert (response.status_code, response["Location"]) == (302, f"/tasks/{task.pk}/")
    n.refresh_from_db()
    assert n.read_at is not None


def test_deal_notification_opens_the_deal(web, head_msk, manager_msk, manager2_msk):
    deal = make_deal(manager=manager_msk)
    Notification.objects.all().delete()
    deal_reassign(deal=deal, manager=manager2_msk, by=head_msk)
    n = _only(manager2_msk)
    assert n.text == "Вам передана сделка ДБ: Клиентов Иван Петрович"
    web.force_login(manager2_msk)
    response = _open(web, n)
    assert (response.status_code, response["Location"]) == (302, f"/deals/{deal.pk}/")
    assert web.get(response["Location"]).status_code == 200
    n.refresh_from_db()
    assert n.read_at is not None


def test_client_mention_opens_the_client_card(web, head_msk, manager_msk):
    client = make_client(manager=manager_msk)
    client_services.comment_add(client=client, by=head_msk, text="@manager.msk перезвоните")
    n = _only(manager_msk)
    web.force_login(manager_msk)
    response = _open(web, n)
    assert (response.status_code, response["Location"]) == (302, f"/clients/{client.pk}/")
    n.refresh_from_db()
    assert n.read_at is not None


def test_booked_meeting_notification_opens_the_activity_not_my_day(web, call_centre, manager_msk):
    client = make_client(manager=manager_msk)
    start = _tomorrow_at(11)
    meeting = activity_services.meeting_book(
        by=call_centre, manager=manager_msk, starts_at=start, ends_at=start + timedelta(hours=1), client=client
    )
    n = _only(manager_msk)
    assert n.url == f"/activities/{meeting.pk}/"
    web.force_login(manager_msk)
    response = _open(web, n)
    assert (response.status_code, response["Location"]) == (302, f"/activities/{meeting.pk}/")
    assert web.get(response["Location"]).status_code == 200
    n.refresh_from_db()
    assert n.read_at is not None


def test_planned_activity_notification_opens_the_activity(web, head_msk, manager_msk):
    client = make_client(manager=manager_msk)
    activity = activity_services.activity_plan(
        by=head_msk, kind="call", planned_at=_tomorrow_at(10), responsible=manager_msk, client=client
    )
    n = Notification.objects.get(user=manager_msk, text__startswith="Новое дело")
    assert n.url == f"/activities/{activity.pk}/"


def test_someone_elses_notification_is_404_and_stays_unread(web, head_msk, manager_msk, manager2_msk):
    task_services.task_create(author=head_msk, responsible=manager_msk, title="Чужое")
    n = _only(manager_msk)
    web.force_login(manager2_msk)
    assert _open(web, n).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None
    assert web.get(reverse("crm:notification_open", args=[n.pk + 1000])).status_code == 404


def test_opening_twice_keeps_the_first_reading_time(web, manager_msk):
    (n,) = notify(users=[manager_msk], text="Проверка", url="/tasks/")
    web.force_login(manager_msk)
    _open(web, n)
    n.refresh_from_db()
    first = n.read_at
    assert _open(web, n).status_code == 302
    n.refresh_from_db()
    assert n.read_at == first


@pytest.mark.parametrize("stored", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x", ""])
def test_a_stored_link_off_the_site_lands_on_the_list(web, manager_msk, stored):
    (n,) = notify(users=[manager_msk], text="Проверка", url=stored)
    web.force_login(manager_msk)
    response = _open(web, n)
    assert (response.status_code, response["Location"]) == (302, "/notifications/")


def test_local_path_accepts_only_paths_of_this_site():
    assert local_path("/deals/5/?tab=court#x", "/f/") == "/deals/5/?tab=court#x"
    assert [local_path(u, "/f/") for u in ("http://x/", "//x", "x/y", "/\\x")] == ["/f/"] * 4


def test_list_links_through_the_open_route_and_mark_all_read(web, manager_msk):
    a, b = notify(users=[manager_msk], text="Первое", url="/tasks/") + notify(
        users=[manager_msk], text="Второе", url="/tasks/"
    )
    web.force_login(manager_msk)
    page = web.get("/notifications/").content.decode()
    assert f'href="/notifications/{a.pk}/open/"' in page and f'href="/notifications/{b.pk}/open/"' in page
    assert "Отметить все прочитанными" in page
    web.post("/notifications/")
    assert Notification.objects.filter(user=manager_msk, read_at__isnull=True).count() == 0
    assert "Отметить все прочитанными" not in web.get("/notifications/").content.decode()


def test_bell_partial_counts_unread_in_one_query(web, manager_msk, django_assert_num_queries):
    notify(users=[manager_msk], text="Одно", url="/tasks/")
    notify(users=[manager_msk], text="Два", url="/tasks/")
    web.force_login(manager_msk)
    with django_assert_num_queries(3):  # session, user, the count
        response = web.get(reverse("crm:notifications_bell"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="notifications-count">2</span>' in html
    assert 'hx-trigger="every 30s"' in html and 'hx-get="/notifications/bell/"' in html
    assert "<nav" not in html  # the bell alone, not a page
    # The full page carries the same polling bell.
    assert 'hx-get="/notifications/bell/"' in web.get("/notifications/").content.decode()


def test_bell_after_sign_out_stops_polling(web):
    response = web.get(reverse("crm:notifications_bell"))
    assert (response.status_code, response.content) == (286, b"")
