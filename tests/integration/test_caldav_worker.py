"""The calendar mirror with a real Celery worker and a real CalDAV server (Radicale) on loopback.

Book → the worker writes the event (TZID Europe/Moscow); reschedule → the same event moves;
the server down for a while → the outbox retries with backoff and the calendar is right after;
cancel → gone; the beat's read-back job, run by the worker, blocks a slot.
"""

import os
import time
import uuid
from datetime import datetime, timedelta
from datetime import time as dtime

import icalendar
import pytest
from cryptography.fernet import Fernet
from django.utils import timezone

from activities import selectors as activity_selectors
from activities import services as activity_services
from crm.celery import app as celery_app
from crm.models import OutboxJob
from crm.tasks import outbox_redrive_task
from crm.workdays import add_working_days
from integrations.caldav import services
from tests.celery_workers import WORKER_READY_TIMEOUT, Worker, forget_worker_queues, worker_database_url
from tests.factories import make_client
from tests.standins.radicale_server import RadicaleServer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PASSWORD = "app-pass-123"
CAL = "Работа"
TIMEOUT = 60


@pytest.fixture
def radicale():
    server = RadicaleServer({"manager": PASSWORD}).start()
    server.make_calendar("manager", PASSWORD, CAL)
    yield server
    server.stop()


@pytest.fixture
def worker(settings, radicale, transactional_db):
    queue = f"test-caldav-{uuid.uuid4().hex}"
    key = Fernet.generate_key().decode()
    settings.CALDAV_ENABLED = True
    settings.CALDAV_ALLOW_LOOPBACK = True
    settings.CALDAV_SECRET_KEY = key
    settings.CALDAV_QUEUE = queue
    settings.CALDAV_TIMEOUT = 2
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "DATABASE_URL": worker_database_url(),
        "PYTHONUNBUFFERED": "1",
        "CALDAV_ENABLED": "1",
        "CALDAV_ALLOW_LOOPBACK": "1",
        "CALDAV_SECRET_KEY": key,
        "CALDAV_QUEUE": queue,
        "CALDAV_TIMEOUT": "1",
        "OUTBOX_BACKOFF_SECONDS": "0.3",
        "OUTBOX_BACKOFF_MAX_SECONDS": "1",
    }
    w = Worker(queue, env)
    if w.wait_for_line(" ready.", WORKER_READY_TIMEOUT) is None:
        pytest.fail(f"worker did not get ready:\n{w.output}")
    yield w
    w.stop()
    forget_worker_queues(w)


def _at(hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(add_working_days(timezone.localdate(), 2), dtime(hour)))


def _events(radicale) -> list:
    cal = radicale.calendar("manager", PASSWORD, CAL)
    return [e for obj in cal.events() for e in icalendar.Calendar.from_ical(obj.data).walk("VEVENT")]


def _wait(what, check, worker, redrive=False):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if redrive:
            outbox_redrive_task()  # the beat's minute, sooner
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{what} did not happen in {TIMEOUT} s\n{worker.output[-4000:]}")


def test_book_reschedule_outage_cancel_and_read_back(worker, radicale, manager_msk, call_centre):
    conn, result = services.connection_save(
        user=manager_msk, url=radicale.url, username="manager", password=PASSWORD, calendar=CAL
    )
    assert result.ok, result.reason
    client = make_client(manager=manager_msk, last_name="Воркеров")
    meeting = activity_services.meeting_book(
        by=call_centre, manager=manager_msk, starts_at=_at(10), ends_at=_at(11), client=client
    )
    _wait("event created", lambda: [e["DTSTART"].dt for e in _events(radicale)] == [_at(10)], worker)
    raw = radicale.calendar("manager", PASSWORD, CAL).events()[0].data
    assert "DTSTART;TZID=Europe/Moscow:" in raw and "BEGIN:VTIMEZONE" in raw

    activity_services.meeting_reschedule(activity=meeting, by=call_centre, starts_at=_at(15), ends_at=_at(16))
    _wait("event moved", lambda: [e["DTSTART"].dt for e in _events(radicale)] == [_at(15)], worker)

    radicale.stop()
    second = activity_services.meeting_book(
        by=call_centre, manager=manager_msk, starts_at=_at(12), ends_at=_at(13), client=client
    )
    _wait(
        "a retry while the server is down",
        lambda: OutboxJob.objects.filter(key=str(second.pk), kind=services.KIND, attempts__gte=1).exists(),
        worker,
    )
    time.sleep(1.5)
    radicale.start()
    _wait("calendar right after the outage", lambda: len(_events(radicale)) == 2, worker, redrive=True)
    # The job is marked done a moment after the event is written: waited for, not raced.
    job = OutboxJob.objects.filter(key=str(second.pk), kind=services.KIND)
    _wait("the retried job done", lambda: job.get().status == "done", worker)

    activity_services.meeting_cancel(activity=meeting, by=call_centre)
    _wait("event deleted", lambda: [e["DTSTART"].dt for e in _events(radicale)] == [_at(12)], worker)

    # Busy time entered in the calendar, read back by the beat job in the worker.
    ev = icalendar.Event()
    for k, v in {
        "uid": "lunch",
        "dtstamp": timezone.now(),
        "dtstart": _at(14),
        "dtend": _at(14) + timedelta(hours=1),
    }.items():
        ev.add(k, v)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//t//RU")
    cal.add("version", "2.0")
    cal.add_component(ev)
    radicale.calendar("manager", PASSWORD, CAL).save_event(cal.to_ical().decode())
    celery_app.send_task("caldav.readback_task", queue=worker.queue)

    def blocked():
        [mine] = [
            m
            for m in activity_selectors.free_slots(call_centre, branch=manager_msk.branch, day=_at(14).date())
            if m.manager.pk == manager_msk.pk
        ]
        return not any(s.start == _at(14) and s.free for s in mine.slots)

    _wait("busy block read back", blocked, worker)
