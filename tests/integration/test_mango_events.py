"""Mango's events into the CRM, from the Mango stand-in over real HTTP to the live server, and
a real Celery mango_worker folding them into calls: a forged event refused with nothing stored, a
repeated one stored once, a call's states put in `seq` order whatever order they came in."""

import time

import pytest

from activities.models import Activity
from crm import services as crm_services
from crm.errors import DomainError
from crm.models import Notification, OutboxJob
from crm.tasks import outbox_redrive_task
from integrations.mango import services
from integrations.models import MangoCall, MangoEvent
from tests.celery_workers import wait_for
from tests.factories import make_client
from tests.standins.mango_fixtures import KEY

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TIMEOUT = 60


def test_a_forged_or_foreign_event_is_refused_and_nothing_is_stored(mango):
    entry, call = mango.new_ids()
    [event] = mango.call_events(entry, call, "79161234567", "101", states=("Appeared",))
    assert mango.post_event("events/call", event, sign_override="0" * 64).status_code == 403
    assert mango.post_event("events/call", event, key_override="someone-else").status_code == 403
    other_salt = services.sign(KEY, "{}", "another-salt")
    assert mango.post_event("events/summary", {}, sign_override=other_salt).status_code == 403
    assert not MangoEvent.objects.exists() and not OutboxJob.objects.exists()
    assert mango.ping().status_code == 200


def test_events_out_of_order_and_repeated_make_one_correct_call(mango, mango_worker):
    entry, call = mango.new_ids()
    start = int(time.time()) - 120
    appeared, connected, disconnected = mango.call_events(entry, call, "79161234567", "101", start=start, step=10)
    # The network delivers the end first, the start twice, the middle last.
    started = time.monotonic()
    for event in (disconnected, appeared, appeared, connected):
        assert mango.post_event("events/call", event).status_code == 200
    answered_in = time.monotonic() - started
    assert MangoEvent.objects.filter(entry_id=entry).count() == 3

    deadline = time.monotonic() + TIMEOUT
    while not MangoCall.objects.filter(entry_id=entry, state="Disconnected", answered=True).exists():
        if time.monotonic() > deadline:
            pytest.fail(f"call not assembled: {list(MangoCall.objects.values())}\n{mango_worker.output[-3000:]}")
        outbox_redrive_task()
        time.sleep(0.2)
    made = MangoCall.objects.get(entry_id=entry)
    assert (made.from_number, made.to_extension, made.direction) == ("79161234567", "101", "inbound")
    assert made.talk_seconds == 10 and made.last_seq == 3
    assert made.appeared_at.timestamp() == start and made.ended_at.timestamp() == start + 20
    print(f"\nfour events answered in {answered_in:.2f} s")

    # The summary, when it comes, has the last word (and comes once however often it is sent).
    summary = mango.summary_event(
        entry, "79161234567", "101", create_time=start, talk_time=start + 10, end_time=start + 95
    )
    assert mango.post_event("events/summary", summary).status_code == 200
    assert mango.post_event("events/summary", summary).status_code == 200
    deadline = time.monotonic() + TIMEOUT
    while MangoCall.objects.get(entry_id=entry).talk_seconds != 85:
        if time.monotonic() > deadline:
            pytest.fail(f"summary not applied\n{mango_worker.output[-3000:]}")
        outbox_redrive_task()
        time.sleep(0.2)
    assert MangoEvent.objects.filter(entry_id=entry, kind="summary").count() == 1


def test_a_missed_call_by_its_states(mango, mango_worker):
    entry, call = mango.new_ids()
    for event in mango.call_events(entry, call, "79035550000", "102", states=("Appeared", "Disconnected")):
        mango.post_event("events/call", event)
    deadline = time.monotonic() + TIMEOUT
    while not MangoCall.objects.filter(entry_id=entry, state="Disconnected").exists():
        if time.monotonic() > deadline:
            pytest.fail(f"call not assembled\n{mango_worker.output[-3000:]}")
        outbox_redrive_task()
        time.sleep(0.2)
    made = MangoCall.objects.get(entry_id=entry)
    assert made.answered is False and made.talk_seconds is None and made.connected_at is None


def test_the_endpoint_is_off_unless_enabled(mango, settings):
    settings.MANGO_ENABLED = False
    entry, call = mango.new_ids()
    [event] = mango.call_events(entry, call, "79161234567", "101", states=("Appeared",))
    assert mango.post_event("events/call", event).status_code == 404
    assert not MangoEvent.objects.exists()


def test_the_ringing_manager_is_shown_the_clients_card(mango, mango_worker, manager_msk, manager2_msk):
    crm_services.user_update(user=manager_msk, by=None, data={"mango_extension": "101"})
    client = make_client(manager=manager_msk, last_name="Звонкова", phones=("+7 (916) 555-44-33",))
    entry, call = mango.new_ids()
    [ringing] = mango.call_events(entry, call, "79165554433", "101", states=("Appeared",))
    assert mango.post_event("events/call", ringing).status_code == 200
    deadline = time.monotonic() + TIMEOUT
    while not Notification.objects.filter(user=manager_msk).exists():
        if time.monotonic() > deadline:
            pytest.fail(f"no notification\n{mango_worker.output[-3000:]}")
        outbox_redrive_task()
        time.sleep(0.2)
    [note] = Notification.objects.filter(user=manager_msk)
    assert note.text == "Звонит клиент: Звонкова Иван Петрович" and note.url == f"/clients/{client.pk}/"
    assert MangoCall.objects.get(entry_id=entry).client == client
    # The same call's next states tell nobody again.
    for event in mango.call_events(entry, call, "79165554433", "101", first_seq=2, states=("Connected",)):
        mango.post_event("events/call", event)
    time.sleep(1)
    outbox_redrive_task()
    assert Notification.objects.filter(user=manager_msk).count() == 1

    # A colleague's extension ringing for a client who is not theirs: the number, no card.
    crm_services.user_update(user=manager2_msk, by=None, data={"mango_extension": "102"})
    entry, call = mango.new_ids()
    [ringing] = mango.call_events(entry, call, "79165554433", "102", states=("Appeared",))
    mango.post_event("events/call", ringing)
    deadline = time.monotonic() + TIMEOUT
    while not Notification.objects.filter(user=manager2_msk).exists():
        if time.monotonic() > deadline:
            pytest.fail(f"no notification\n{mango_worker.output[-3000:]}")
        outbox_redrive_task()
        time.sleep(0.2)
    [note] = Notification.objects.filter(user=manager2_msk)
    assert (note.text, note.url) == ("Звонит +7 916 555-44-33", "")


def test_an_extension_belongs_to_one_person(manager_msk, manager2_msk):
    crm_services.user_update(user=manager_msk, by=None, data={"mango_extension": "101"})
    with pytest.raises(DomainError, match="уже у сотрудника"):
        crm_services.user_update(user=manager2_msk, by=None, data={"mango_extension": "101"})
    with pytest.raises(DomainError, match="только цифры"):
        crm_services.user_update(user=manager2_msk, by=None, data={"mango_extension": "10a"})


def test_a_finished_call_is_a_zvonok_in_my_day_and_a_missed_one_a_call_back(
    mango, mango_worker, manager_msk, manager2_msk
):
    crm_services.user_update(user=manager2_msk, by=None, data={"mango_extension": "102"})
    client = make_client(manager=manager_msk, last_name="Входящий", phones=("+79165550001",))
    # Answered by the manager's colleague (who may not open the client): logged for the client's manager.
    entry, call = mango.new_ids()
    start = int(time.time()) - 300
    for event in mango.call_events(entry, call, "79165550001", "102", start=start, step=30):
        mango.post_event("events/call", event)
    wait_for(
        "answered call logged", lambda: MangoCall.objects.filter(entry_id=entry, logged=True).exists(), mango_worker
    )
    [zvonok] = Activity.objects.filter(client=client, kind="call", direction="inbound")
    assert zvonok.responsible == manager_msk and zvonok.status == "planned"
    assert zvonok.subject == "Входящий звонок с +7 916 555-00-01, 30 с, ответил(а) " + manager2_msk.short_name
    assert zvonok.planned_at.timestamp() == start

    # Missed: the «Звонок» and a call back planned for the manager; told once, however often it repeats.
    entry, call = mango.new_ids()
    events = mango.call_events(entry, call, "79165550001", "102", states=("Appeared", "Disconnected"))
    for event in events + events:
        mango.post_event("events/call", event)
    wait_for("missed call logged", lambda: MangoCall.objects.filter(entry_id=entry, logged=True).exists(), mango_worker)
    missed = Activity.objects.get(client=client, subject="Пропущенный звонок с +7 916 555-00-01")
    back = Activity.objects.get(client=client, direction="outbound", kind="call")
    assert missed.responsible == manager_msk == back.responsible
    assert back.subject == "Перезвонить: пропущенный звонок с +7 916 555-00-01" and back.status == "planned"
    assert Activity.objects.filter(client=client).count() == 3
