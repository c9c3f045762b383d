"""The Yandex.Calendar mirror against a real CalDAV server (Radicale on loopback, htpasswd auth).

The test process books, reschedules and cancels through the services; what a worker
does with the outbox rows is `outbox.deliver` (the real Celery worker is in
tests/integration/test_caldav_worker.py). Read-back runs the beat job's function.
"""

import json
from datetime import date, datetime, time, timedelta

import icalendar
import pytest
from cryptography.fernet import Fernet
from django.urls import reverse
from django.utils import timezone

from activities import selectors as activity_selectors
from activities import services as activity_services
from activities.models import Activity
from crm import outbox
from crm.errors import DomainError
from crm.models import AuditEntry, OutboxJob
from crm.workdays import add_working_days
from integrations.caldav import client as dav
from integrations.caldav import services
from integrations.models import CalendarConnection, CalendarEvent
from tests.conftest import token_client
from tests.factories import UserFactory, make_client
from tests.standins.radicale_server import RadicaleServer

PASSWORD = "app-pass-123"
CAL = "Работа"


@pytest.fixture(scope="module")
def radicale():
    server = RadicaleServer({"manager": PASSWORD, "other": "other-pass"}).start()
    server.make_calendar("manager", PASSWORD, CAL)
    server.make_calendar("manager", PASSWORD, "Личное")
    yield server
    server.stop()


@pytest.fixture
def caldav_on(settings, radicale):
    settings.CALDAV_ENABLED = True
    settings.CALDAV_ALLOW_LOOPBACK = True
    settings.CALDAV_SECRET_KEY = Fernet.generate_key().decode()
    settings.CALDAV_TIMEOUT = 3
    settings.SITE_URL = "https://crm.example.ru"
    for obj in radicale.calendar("manager", PASSWORD, CAL).events():  # each test starts with an empty calendar
        obj.delete()
    return radicale


@pytest.fixture
def connected(caldav_on, manager_msk):
    conn, result = services.connection_save(
        user=manager_msk, url=caldav_on.url, username="manager", password=PASSWORD, calendar=CAL
    )
    assert result.ok, result.reason
    return conn


def _day() -> date:
    return add_working_days(timezone.localdate(), 2)


def _at(hour: int, day: date | None = None) -> datetime:
    return timezone.make_aware(datetime.combine(day or _day(), time(hour)))


def _deliver(activity) -> str:
    return outbox.deliver(services.KIND, str(activity.pk))


def _server_events(radicale) -> list[icalendar.Event]:
    cal = radicale.calendar("manager", PASSWORD, CAL)
    return [e for obj in cal.events() for e in icalendar.Calendar.from_ical(obj.data).walk("VEVENT")]


def _book(manager, by=None, hour=10, **kw):
    client = make_client(manager=manager, last_name="Календарёв", phones=("+79161112233",))
    return activity_services.meeting_book(
        by=by or manager, manager=manager, starts_at=_at(hour), ends_at=_at(hour + 1), client=client, **kw
    )


# --- connecting -------------------------------------------------------------------------


def test_connect_stores_the_password_encrypted_and_the_calendar_url(connected, manager_msk):
    conn = CalendarConnection.objects.get(user=manager_msk)
    assert conn.state == "ok" and conn.calendar_url.startswith("http://127.0.0.1")
    assert PASSWORD not in conn.password_encrypted and services.decrypt(conn.password_encrypted) == PASSWORD
    entry = AuditEntry.objects.filter(target_id=str(conn.pk)).latest("pk")
    assert PASSWORD not in str(entry.changes)


@pytest.mark.parametrize(
    "password, calendar, url, field, text",
    [
        ("wrong", CAL, None, "password", "Сервер не принял логин или пароль"),
        (
            PASSWORD,
            "Нет такого",
            None,
            "calendar",
            "Календарь «Нет такого» не найден. Календари этой учётной записи: «Личное», «Работа».",
        ),
        (PASSWORD, CAL, "http://127.0.0.1:9/", "url", "Сервер календаря недоступен или отвечает слишком медленно"),
        (PASSWORD, CAL, "https://example.com/dav/", "url", "Разрешены только серверы: caldav.yandex.ru"),
        (PASSWORD, CAL, "ftp://caldav.yandex.ru/", "url", "Адрес сервера должен начинаться с https://"),
    ],
)
def test_the_check_says_in_russian_what_is_wrong_and_nothing_is_saved(
    caldav_on, manager_msk, password, calendar, url, field, text
):
    conn, result = services.connection_save(
        user=manager_msk, url=url or caldav_on.url, username="manager", password=password, calendar=calendar
    )
    assert conn is None and not result.ok and result.field_name == field and text in result.reason
    assert not CalendarConnection.objects.exists()


def test_api_put_get_delete(caldav_on, manager_msk):
    api = token_client(manager_msk)
    url = reverse("api-calendar-connection")
    assert api.get(url).status_code == 404
    bad = api.put(
        url, {"url": caldav_on.url, "username": "manager", "password": "nope", "calendar": CAL}, format="json"
    )
    assert bad.status_code == 400 and "пароль" in bad.json()["password"][0]
    ok = api.put(
        url, {"url": caldav_on.url, "username": "manager", "password": PASSWORD, "calendar": CAL}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["state"] == "ok" and "password" not in ok.json()
    got = api.get(url).json()
    assert got["calendar"] == CAL and "password" not in got and PASSWORD not in str(got)
    assert api.delete(url).status_code == 204
    assert not CalendarConnection.objects.exists() and api.get(url).status_code == 404


def test_a_closed_loopback_port_is_a_clean_400(caldav_on, manager_msk):
    api = token_client(manager_msk)
    answer = api.put(
        reverse("api-calendar-connection"),
        {"url": "http://127.0.0.1:1/", "username": "x", "password": "y", "calendar": "z"},
        format="json",
    )
    assert answer.status_code == 400 and "недоступен" in answer.json()["url"][0]


def test_roles_without_a_calendar_are_refused_and_nothing_changes(caldav_on, call_centre, web):
    api = token_client(call_centre)
    body = {"url": caldav_on.url, "username": "manager", "password": PASSWORD, "calendar": CAL}
    assert api.put(reverse("api-calendar-connection"), body, format="json").status_code == 403
    assert not CalendarConnection.objects.exists()
    web.force_login(call_centre)
    assert web.post(reverse("integrations:caldav_mine"), {"action": "connect", **body}).status_code == 403
    assert not CalendarConnection.objects.exists()


def test_only_the_admin_and_director_see_everyones_connections(connected, web, everyone):
    for user in everyone.values():
        web.force_login(user)
        answer = web.get(reverse("integrations:caldav_connections"))
        assert answer.status_code == (200 if user.username in ("director", "admin") else 403), user.username
    web.force_login(everyone["admin"])
    html = web.get(reverse("integrations:caldav_connections")).content.decode()
    assert CAL in html and PASSWORD not in html


def test_the_page_connects_and_shows_a_wrong_password_in_russian(caldav_on, web, manager_msk):
    web.force_login(manager_msk)
    page = web.get(reverse("integrations:caldav_mine"))
    assert page.status_code == 200 and "Мой календарь Яндекса" in page.content.decode()
    body = {"action": "connect", "url": caldav_on.url, "username": "manager", "calendar": CAL}
    wrong = web.post(reverse("integrations:caldav_mine"), {**body, "password": "wrong"}).content.decode()
    assert "Сервер не принял логин или пароль" in wrong and "wrong" not in wrong
    assert web.post(reverse("integrations:caldav_mine"), {**body, "password": PASSWORD}).status_code == 302
    page = web.get(reverse("integrations:caldav_mine")).content.decode()
    assert "Работает" in page and PASSWORD not in page
    checked = web.post(reverse("integrations:caldav_mine"), {"action": "check"}, follow=True).content.decode()
    assert "Подключение работает" in checked


def test_switched_off_no_outbox_rows_and_the_page_says_so(settings, web, manager_msk):
    settings.CALDAV_ENABLED = False
    _book(manager_msk)
    assert not OutboxJob.objects.filter(kind=services.KIND).exists()
    web.force_login(manager_msk)
    assert 'data-testid="caldav-off"' in web.get(reverse("integrations:caldav_mine")).content.decode()


# --- CRM → calendar -------------------------------------------------------------------------


def test_book_reschedule_cancel_follow_in_the_calendar(connected, caldav_on, manager_msk, call_centre):
    dav.REQUESTS["count"] = 0
    meeting = _book(manager_msk, by=call_centre)
    assert _deliver(meeting) == "created"
    booked = dav.REQUESTS["count"]
    [event] = _server_events(caldav_on)
    text = icalendar.Calendar.from_ical(caldav_on.calendar("manager", PASSWORD, CAL).events()[0].data).to_ical()
    assert b"DTSTART;TZID=Europe/Moscow:" in text and b"BEGIN:VTIMEZONE" in text
    assert str(event["UID"]) == f"crm-activity-{meeting.pk}@crm.example.ru"
    assert event["DTSTART"].dt == _at(10) and str(event["SUMMARY"]) == "Встреча: Календарёв Иван Петрович"
    description = str(event["DESCRIPTION"])
    assert "+79161112233" in description and "Записал(а): Новикова Ирина Павловна" in description
    assert f"Карточка в CRM: https://crm.example.ru/activities/{meeting.pk}/" in description
    row = CalendarEvent.objects.get(entry=f"activity:{meeting.pk}")

    dav.REQUESTS["count"] = 0
    activity_services.meeting_reschedule(activity=meeting, by=call_centre, starts_at=_at(14), ends_at=_at(15))
    assert _deliver(meeting) == "updated"
    moved = dav.REQUESTS["count"]
    [event] = _server_events(caldav_on)
    assert event["DTSTART"].dt == _at(14) and CalendarEvent.objects.get(pk=row.pk).href == row.href

    activity_services.meeting_cancel(activity=meeting, by=call_centre)
    _deliver(meeting)
    assert _server_events(caldav_on) == [] and not CalendarEvent.objects.exists()
    print(f"CalDAV requests: booking {booked}, reschedule {moved}")
    assert booked <= 3 and moved <= 3


def test_running_twice_and_an_edit_on_the_server_are_handled(connected, caldav_on, manager_msk):
    meeting = _book(manager_msk)
    _deliver(meeting)
    services.activity_sync(activity_id=meeting.pk)  # a repeat: same event, nothing new
    assert len(_server_events(caldav_on)) == 1
    # Someone edits the event in Yandex: our ETag is stale, the 412 re-reads and reapplies.
    obj = caldav_on.calendar("manager", PASSWORD, CAL).events()[0]
    obj.icalendar_component["SUMMARY"] = "Изменено руками"
    obj.save()
    assert services.activity_sync(activity_id=meeting.pk) == "updated"
    [event] = _server_events(caldav_on)
    assert str(event["SUMMARY"]).startswith("Встреча")
    # Deleted there by hand while the meeting stands: put back.
    caldav_on.calendar("manager", PASSWORD, CAL).events()[0].delete()
    services.activity_sync(activity_id=meeting.pk)
    assert len(_server_events(caldav_on)) == 1


def test_no_personal_data_in_the_event(connected, caldav_on, manager_msk):
    client = make_client(manager=manager_msk, last_name="Секретов", snils="112-233-445 95", inn="500100732259")
    meeting = activity_services.meeting_book(
        by=manager_msk, manager=manager_msk, starts_at=_at(11), ends_at=_at(12), client=client
    )
    _deliver(meeting)
    text = caldav_on.calendar("manager", PASSWORD, CAL).events()[0].data
    assert "112-233-445" not in text and "500100732259" not in text


def test_server_down_then_back_the_outbox_retries(connected, caldav_on, manager_msk, settings):
    settings.CALDAV_TIMEOUT = 1
    meeting = _book(manager_msk)
    caldav_on.stop()
    try:
        assert _deliver(meeting) == "retry"
        job = OutboxJob.objects.get(kind=services.KIND, key=str(meeting.pk))
        assert job.status == "pending" and job.attempts == 1 and "недоступен" in job.last_error
    finally:
        caldav_on.start()
    OutboxJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    assert _deliver(meeting) == "created"
    assert len(_server_events(caldav_on)) == 1


def test_a_wrong_password_later_is_a_permanent_error_for_the_admin(connected, caldav_on, manager_msk, web, admin_user):
    CalendarConnection.objects.filter(pk=connected.pk).update(password_encrypted=services.encrypt("changed"))
    meeting = _book(manager_msk)
    assert _deliver(meeting) == "failed"
    conn = CalendarConnection.objects.get(pk=connected.pk)
    assert conn.state == "failed" and "не принял логин или пароль" in conn.last_error
    web.force_login(admin_user)
    page = web.get(reverse("integrations:disk_status")).content.decode()
    assert "Встреча в Яндекс.Календаре" in page and "Повторить" in page


def test_a_meeting_of_someone_without_a_calendar_is_done_quietly(caldav_on, manager2_msk):
    meeting = _book(manager2_msk)
    assert _deliver(meeting) == "no-calendar"


# --- calendar → CRM -------------------------------------------------------------------------


def _add_event(radicale, uid, start, end, rrule=None, all_day=False):
    cal = icalendar.Calendar()
    cal.add("prodid", "-//test//RU")
    cal.add("version", "2.0")
    ev = icalendar.Event()
    ev.add("uid", uid)
    ev.add("summary", "Личное")
    ev.add("dtstamp", timezone.now())
    ev.add("dtstart", start)
    ev.add("dtend", end)
    if rrule:
        ev.add("rrule", rrule)
    cal.add_component(ev)
    return radicale.calendar("manager", PASSWORD, CAL).save_event(cal.to_ical().decode())


def _free(user, day, manager):
    grid = activity_selectors.free_slots(user, branch=manager.branch, day=day)
    [mine] = [m for m in grid if m.manager.pk == manager.pk]
    return {timezone.localtime(s.start).hour for s in mine.slots if s.free}


def test_an_event_on_the_server_blocks_the_slot_and_disappears_when_deleted(
    connected, caldav_on, manager_msk, call_centre, web
):
    obj = _add_event(caldav_on, "dentist-1", _at(12), _at(13))
    dav.REQUESTS["count"] = 0
    services.readback_all()
    read = dav.REQUESTS["count"]
    assert 12 not in _free(call_centre, _day(), manager_msk) and 11 in _free(call_centre, _day(), manager_msk)
    api = token_client(call_centre)
    slots = api.get(reverse("api-free-slots"), {"branch": manager_msk.branch_id, "date": _day().isoformat()}).json()
    [mine] = [m for m in slots["managers"] if m["id"] == manager_msk.pk]
    assert not any(timezone.localtime(datetime.fromisoformat(s["start"])).hour == 12 for s in mine["free"])
    with pytest.raises(DomainError, match="занято"):
        _book(manager_msk, by=call_centre, hour=12)
    web.force_login(call_centre)
    grid = web.get(reverse("activities:booking"), {"branch": manager_msk.branch_id, "date": _day().isoformat()})
    assert "12:00–13:00 занято" in grid.content.decode()
    week = web.get(
        reverse("activities:calendar_of", args=[manager_msk.pk]), {"view": "week", "date": _day().isoformat()}
    )
    assert "Занято" in week.content.decode()
    obj.delete()
    services.readback_all()
    assert 12 in _free(call_centre, _day(), manager_msk)
    print(f"CalDAV requests per read-back of one calendar: {read}")
    assert read <= 3


def test_weekly_recurring_and_all_day_events_block_and_own_events_do_not(connected, caldav_on, manager_msk):
    _add_event(caldav_on, "gym", _at(16), _at(17), rrule={"FREQ": "WEEKLY", "COUNT": 3})
    all_day = _day() + timedelta(days=1)
    _add_event(caldav_on, "vacation", all_day, all_day + timedelta(days=1))
    meeting = _book(manager_msk, hour=10)
    _deliver(meeting)  # the CRM's own event is in the calendar too
    services.readback_all()
    for week in range(3):
        assert 16 not in _free(manager_msk, _day() + timedelta(days=7 * week), manager_msk), week
    assert 16 in _free(manager_msk, _day() + timedelta(days=21), manager_msk)
    busy = Activity.objects.filter(responsible=manager_msk, kind="busy").exclude(external_uid="")
    assert not busy.filter(external_uid__startswith="crm-activity-").exists()
    assert busy.filter(external_uid="vacation").exists()
    lo = timezone.make_aware(datetime.combine(all_day, time(0)))
    # An all-day event blocks the whole Moscow day, midnight to midnight.
    assert list(busy.filter(external_uid="vacation").values_list("planned_at", "ends_at")) == [
        (lo, lo + timedelta(days=1))
    ]
    # The meeting itself still stands, and the busy time never overlaps it.
    assert not busy.filter(planned_at__lt=meeting.ends_at, ends_at__gt=meeting.planned_at).exists()


def test_read_back_busy_time_cannot_be_moved_or_cancelled_in_the_crm(connected, caldav_on, manager_msk):
    _add_event(caldav_on, "x", _at(12), _at(13))
    services.readback_all()
    block = Activity.objects.get(responsible=manager_msk, external_uid="x")
    with pytest.raises(DomainError):
        activity_services.meeting_reschedule(activity=block, by=manager_msk, starts_at=_at(15), ends_at=_at(16))
    with pytest.raises(DomainError):
        activity_services.meeting_cancel(activity=block, by=manager_msk)
    assert not OutboxJob.objects.filter(kind=services.KIND, key=str(block.pk)).exists()


def test_read_back_of_50_connected_calendars_is_timed(settings, caldav_on, msk):
    """The note's figure: one read-back round over 50 calendars (5 events each, one weekly), requests counted."""
    users = {f"m{i}": f"pass-{i}" for i in range(50)}
    server = RadicaleServer(users).start()
    try:
        people = []
        for login, password in users.items():
            cal = server.make_calendar(login, password, CAL)
            for h in range(5):
                ev = icalendar.Event()
                ev.add("uid", f"{login}-{h}")
                ev.add("dtstamp", timezone.now())
                ev.add("dtstart", _at(9 + h))
                ev.add("dtend", _at(9 + h) + timedelta(minutes=30))
                if h == 0:
                    ev.add("rrule", {"FREQ": "WEEKLY"})
                c = icalendar.Calendar()
                c.add("prodid", "-//t//RU")
                c.add("version", "2.0")
                c.add_component(ev)
                cal.save_event(c.to_ical().decode())
            user = UserFactory(branch=msk, role="manager")
            conn, result = services.connection_save(
                user=user, url=server.url, username=login, password=password, calendar=CAL
            )
            assert result.ok, result.reason
            people.append(user)
        dav.REQUESTS["count"] = 0
        started = timezone.now()
        summary = services.readback_all()
        seconds = (timezone.now() - started).total_seconds()
        assert summary == {"read": 50, "failed": 0}
        per_user = Activity.objects.filter(responsible=people[0]).exclude(external_uid="").count()
        assert per_user == 5 + 3  # 4 one-offs + the weekly one on each of the 4 weeks read
        print(f"read-back of 50 calendars: {seconds:.2f} s, {dav.REQUESTS['count']} CalDAV requests")
        assert dav.REQUESTS["count"] == 50 and seconds < 60
    finally:
        server.stop()


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "http://127.0.0.1:99999/",
        "https://caldav.yandex.ru:0/",
        "javascript:alert(1)",
        "\x00",
        "http://10.0.0.1/",
    ],
)
def test_odd_input_with_the_feature_on_is_a_400_and_no_outside_call(caldav_on, manager_msk, url):
    api = token_client(manager_msk)
    body = {"url": url, "username": "u\ud800", "password": "p\ud800", "calendar": "к"}
    # Sent as JSON text with escapes: a lone surrogate reaches the view as the fuzzer's would.
    answer = api.put(reverse("api-calendar-connection"), json.dumps(body), content_type="application/json")
    assert answer.status_code == 400
    assert not CalendarConnection.objects.exists()


# --- court hearings into lawyers' calendars -------------------------------------------------------


@pytest.fixture
def lawyer_connected(caldav_on, lawyer_msk):
    try:
        court = caldav_on.calendar("other", "other-pass", "Суд")
    except LookupError:
        court = caldav_on.make_calendar("other", "other-pass", "Суд")
    for obj in court.events():
        obj.delete()
    conn, result = services.connection_save(
        user=lawyer_msk, url=caldav_on.url, username="other", password="other-pass", calendar="Суд"
    )
    assert result.ok, result.reason
    return conn


def _court_events(radicale) -> list[icalendar.Event]:
    cal = radicale.calendar("other", "other-pass", "Суд")
    return [e for obj in cal.events() for e in icalendar.Calendar.from_ical(obj.data).walk("VEVENT")]


def test_a_hearing_reaches_the_branch_lawyers_calendar_and_no_managers(
    lawyer_connected, connected, manager_msk, lawyer_msk, caldav_on
):
    from deals.services import deal_move_to_stage, hearing_add
    from tests.factories import contract_data, court_data, make_deal

    deal = make_deal(manager=manager_msk, last_name="Судебнов", first_name="Пётр", patronymic="Ильич")
    deal_move_to_stage(deal=deal, stage="db_prep_court", by=manager_msk, data=contract_data())
    deal_move_to_stage(deal=deal, stage="db_in_court", by=manager_msk, data=court_data())
    OutboxJob.objects.all().delete()
    hearing = hearing_add(deal=deal, by=lawyer_msk, date=_at(11))
    job = OutboxJob.objects.get(kind=services.HEARING_KIND)
    assert job.key == str(hearing.pk)
    assert outbox.deliver(job.kind, job.key) == "created"
    (event,) = _court_events(caldav_on)
    assert str(event["summary"]) == "Заседание: Судебнов Пётр Ильич, А40-123456/2026"
    assert event["dtstart"].params.get("TZID") == "Europe/Moscow"
    assert event["dtstart"].dt == _at(11)
    description = str(event["description"])
    assert "Арбитражный суд г. Москвы" in description and f"/deals/{deal.pk}/" in description
    assert not any("Заседание" in str(e.get("summary")) for e in _server_events(caldav_on))  # not the manager's
    # Run again: the same event is rewritten in place, never a second one.
    assert services.hearing_sync(hearing_id=hearing.pk) == "updated"
    assert len(_court_events(caldav_on)) == 1
    # The lawyer disconnects from the branch (moved away): the event leaves their calendar.
    lawyer_msk.branch = None
    lawyer_msk.save(update_fields=["branch"])
    assert services.hearing_sync(hearing_id=hearing.pk) == "deleted"
    assert _court_events(caldav_on) == []
