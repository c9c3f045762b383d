"""The nightly catch-up from Mango's own report (stats/request → stats/result), against the Mango
stand-in over HTTP: a call whose events were lost is filled in once, a call known from its events
is left alone, a report not ready yet is polled again, a key Mango refuses needs a person."""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from activities.models import Activity
from clients.models import TimelineEntry
from crm import outbox
from crm import services as crm_services
from crm.models import OutboxJob
from integrations.mango import services, stats
from integrations.mango.tasks import stats_catch_up_task
from integrations.models import MangoCall, MangoStatsRequest
from tests.factories import make_client
from tests.standins.mango_server import MangoServer

pytestmark = pytest.mark.django_db

KEY, SALT = "test-vpbx-key", "test-vpbx-salt"
DAY = date(2026, 3, 2)
MSK = ZoneInfo("Europe/Moscow")


def _unix(hour: int, minute: int = 0) -> int:
    return int(datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=MSK).timestamp())


@pytest.fixture
def mango(settings):
    server = MangoServer(api_key=KEY, api_salt=SALT).start()
    settings.MANGO_ENABLED = True
    settings.MANGO_API_KEY, settings.MANGO_API_SALT = KEY, SALT
    settings.MANGO_API_URL = server.api_url
    yield server
    server.stop()


def _run_until_done(limit: int = 10) -> tuple[str, int]:
    """The handler as the outbox runs it, again after each Busy; returns its outcome and the Busy count."""
    busy = 0
    for _ in range(limit):
        try:
            return outbox.handler_for(stats.STATS_KIND).run(DAY.isoformat(), []), busy
        except outbox.Busy as exc:
            assert exc.retry_in == 10
            busy += 1
    pytest.fail("the catch-up never finished")


def test_a_lost_call_is_filled_in_and_logged_once(mango, manager_msk):
    crm_services.user_update(user=manager_msk, by=None, data={"mango_extension": "101"})
    client = make_client(manager=manager_msk, last_name="Потерянный", phones=("+7 916 555-00-10",))
    mango.add_stats_row(
        start=_unix(10),
        answer=_unix(10) + 7,
        finish=_unix(10) + 7 + 95,
        from_number="79165550010",
        to_number="74950000000",
        to_extension="101",
        records=("rec-1", "rec-2"),
        line_number="74950000000",
        entry_id="LOST-1",
    )

    assert _run_until_done() == ("1 в отчёте, добавлено 1", 1)

    [asked] = mango.commands_for("stats/request")
    assert asked.json == {
        "date_from": _unix(0),
        "date_to": _unix(0) + 86400 - 1,
        "fields": "records,start,finish,answer,from_extension,from_number,to_extension,to_number,"
        "disconnect_reason,line_number,location,entry_id",
    }
    call = MangoCall.objects.get()
    assert (call.entry_id, call.direction, call.from_number, call.to_extension) == (
        "LOST-1",
        "inbound",
        "79165550010",
        "101",
    )
    assert (call.answered, call.talk_seconds, call.staff, call.client, call.from_stats, call.logged) == (
        True,
        95,
        manager_msk,
        client,
        True,
        True,
    )
    assert call.appeared_at.timestamp() == _unix(10) and call.ended_at.timestamp() == _unix(10) + 102
    assert call.connected_at.timestamp() == _unix(10) + 7 and call.state == "Disconnected"
    [zvonok] = Activity.objects.filter(client=client)
    assert zvonok.subject == "Входящий звонок с +7 916 555-00-10, 1 мин 35 с"
    assert zvonok.responsible == manager_msk
    request = MangoStatsRequest.objects.get(day=DAY)
    assert (request.rows, request.added) == (1, 1) and request.done_at is not None

    # Run again (the beat twice, «Повторить»): the report is read again, nothing is added or logged twice.
    assert _run_until_done() == ("1 в отчёте, добавлено 0", 0)
    assert MangoCall.objects.count() == 1 and Activity.objects.filter(client=client).count() == 1
    assert MangoStatsRequest.objects.values_list("rows", "added").get() == (1, 1)
    assert len(mango.commands_for("stats/request")) == 1  # the key is kept


def test_a_call_known_from_its_events_is_not_duplicated(mango, manager_msk, manager2_msk):
    crm_services.user_update(user=manager2_msk, by=None, data={"mango_extension": "102"})
    client = make_client(manager=manager_msk, last_name="Известный", phones=("+79165550020",))
    events = MangoServer.call_events("KNOWN-1", "C1", "79165550020", "102", start=_unix(11), step=10)
    for event in events:
        services.event_receive(path="events/call", json_text=json.dumps(event, ensure_ascii=False))
    services.entry_assemble("KNOWN-1")
    known = MangoCall.objects.values().get(entry_id="KNOWN-1")
    activities = Activity.objects.filter(client=client).count()
    # The report has that call (with other figures) and an outbound one whose events were lost.
    mango.add_stats_row(
        start=_unix(11), answer=_unix(11) + 3, finish=_unix(11) + 500, from_number="79165550020",
        to_extension="102", entry_id="KNOWN-1",
    )  # fmt: skip
    mango.add_stats_row(
        start=_unix(12), answer=_unix(12) + 12, finish=_unix(12) + 72, from_extension="102",
        from_number="74950000000", to_number="89165550020", entry_id="OUT-1",
    )  # fmt: skip
    mango.add_stats_row(
        start=_unix(13), finish=_unix(13) + 20, from_extension="102", to_extension="101", entry_id="INT-1"
    )
    # Outside the day: not asked for, not added.
    mango.add_stats_row(start=_unix(0) - 60, finish=_unix(0) - 30, from_number="79165550020", entry_id="EARLIER")

    assert _run_until_done() == ("3 в отчёте, добавлено 2", 1)

    assert MangoCall.objects.values().get(entry_id="KNOWN-1") == known
    out = MangoCall.objects.get(entry_id="OUT-1")
    assert (out.direction, out.staff, out.client, out.answered, out.talk_seconds, out.from_stats) == (
        "outbound",
        manager2_msk,
        client,
        True,
        60,
        True,
    )
    internal = MangoCall.objects.get(entry_id="INT-1")
    assert (internal.direction, internal.staff, internal.client, internal.answered, internal.talk_seconds) == (
        "internal",
        manager2_msk,
        None,
        False,
        0,
    )
    assert not MangoCall.objects.filter(entry_id="EARLIER").exists()
    # The outbound call goes on the client's history as an assembled one would; the known one is not logged again.
    assert out.logged and Activity.objects.filter(client=client).count() == activities
    [line] = TimelineEntry.objects.filter(client=client, data__mango_entry="OUT-1")
    assert line.text.startswith("Исходящий звонок на +7 916 555-00-20, " + manager2_msk.short_name)


def test_a_report_not_ready_is_polled_again(mango):
    mango.stats_not_ready_polls = 2
    mango.add_stats_row(start=_unix(9), finish=_unix(9) + 30, from_number="79035550000", entry_id="MISSED-1")

    with pytest.raises(outbox.Busy):
        stats.stats_catch_up(DAY)  # the report asked for
    key = MangoStatsRequest.objects.get(day=DAY).key
    assert key and not MangoCall.objects.exists()
    for _ in range(2):
        with pytest.raises(outbox.Busy):
            stats.stats_catch_up(DAY)  # 204: still being built
    assert not MangoCall.objects.exists() and MangoStatsRequest.objects.get(day=DAY).done_at is None

    assert stats.stats_catch_up(DAY) == "1 в отчёте, добавлено 1"
    assert [c.json for c in mango.commands_for("stats/result")] == [{"key": key}] * 3
    missed = MangoCall.objects.get()
    assert (missed.direction, missed.answered, missed.talk_seconds, missed.staff, missed.client) == (
        "inbound",
        False,
        0,
        None,
        None,
    )
    assert missed.connected_at is None and not missed.logged


def test_a_key_mango_refuses_needs_a_person_and_is_asked_afresh_next_time(mango):
    MangoStatsRequest.objects.create(day=DAY, key="a-key-mango-forgot")
    mango.add_stats_row(start=_unix(9), finish=_unix(9) + 30, from_number="79035550000", entry_id="E-1")

    with pytest.raises(outbox.PermanentError, match="3300"):
        stats.stats_catch_up(DAY)
    assert MangoStatsRequest.objects.get(day=DAY).key == "" and not MangoCall.objects.exists()

    # The admin's «Повторить» starts over with a new report.
    assert _run_until_done() == ("1 в отчёте, добавлено 1", 1)


def test_a_wrong_api_key_is_refused_for_good(mango, settings):
    settings.MANGO_API_KEY = "not-our-key"
    with pytest.raises(outbox.PermanentError, match="3105"):
        stats.stats_catch_up(DAY)
    assert MangoStatsRequest.objects.get(day=DAY).key == ""


def test_the_csv_is_read_with_either_line_end_and_records_unbracketed():
    line = "[r1,r2];100;160;105;;79161234567;101;74950000000;1110;74950000000;abonent;E-1"
    for text in (line + "\r\n" + line.replace("E-1", "E-2") + "\r\n", line + "\n" + line.replace("E-1", "E-2")):
        rows = stats.parse_csv(text)
        assert [r["entry_id"] for r in rows] == ["E-1", "E-2"]
        assert rows[0]["records"] == ["r1", "r2"] and rows[0]["answer"] == "105" and rows[0]["to_extension"] == "101"
    assert stats.parse_csv("[];100;160;0;;7916;;;1110;;abonent;E-3\r\n")[0]["records"] == []
    assert stats.parse_csv("a;b;c\r\n") == []  # a line of another shape is skipped, not guessed at


def test_the_nightly_job_queues_yesterday_when_mango_is_on(settings, time_machine):
    time_machine.move_to(datetime(2026, 3, 3, 3, 30, tzinfo=MSK))
    settings.MANGO_ENABLED = False
    assert stats_catch_up_task() == "off" and not OutboxJob.objects.exists()
    settings.MANGO_ENABLED = True
    assert stats_catch_up_task() == "2026-03-02"
    assert list(OutboxJob.objects.values_list("kind", "key", "status")) == [("mango.stats", "2026-03-02", "pending")]
    assert outbox.handler_for("mango.stats").label == "Сверка звонков за день"
    assert settings.CELERY_BEAT_SCHEDULE["mango-stats"]["task"] == stats_catch_up_task.name
