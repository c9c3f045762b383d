"""A call's states folded in seq order, whatever order the worker finds them in: an ended call with a
state still missing is not logged until the state comes (or the summary, or the grace runs out)."""

import json
import time

import pytest

from activities.models import Activity
from integrations.mango import services
from tests.factories import make_client
from tests.standins.mango_server import MangoServer

pytestmark = pytest.mark.django_db


def _store(payload: dict) -> None:
    services.event_receive(path="events/call", json_text=json.dumps(payload, ensure_ascii=False))


def test_a_late_connected_turns_a_missed_call_into_an_answered_one(manager_msk):
    client = make_client(manager=manager_msk, last_name="Поздний", phones=("+79165550002",))
    start = int(time.time()) - 60
    appeared, connected, ended = MangoServer.call_events("E1", "C1", "79165550002", "101", start=start, step=10)
    _store(ended)
    call = services.entry_assemble("E1")
    assert (call.state, call.answered, call.logged, call.waiting_for_states) == ("Disconnected", False, False, True)
    _store(appeared)
    assert services.entry_assemble("E1").waiting_for_states  # seq 2 still missing
    assert not Activity.objects.filter(client=client).exists()
    _store(connected)
    call = services.entry_assemble("E1")
    assert (call.answered, call.talk_seconds, call.logged, call.waiting_for_states) == (True, 10, True, False)
    [zvonok] = Activity.objects.filter(client=client)
    assert zvonok.subject == "Входящий звонок с +7 916 555-00-02, 10 с"


def test_a_lost_state_does_not_hold_the_call_for_ever(manager_msk, time_machine):
    client = make_client(manager=manager_msk, last_name="Потерянный", phones=("+79165550003",))
    start = int(time.time())
    appeared, _lost, ended = MangoServer.call_events("E2", "C2", "79165550003", "101", start=start, step=10)
    _store(appeared)
    _store(ended)
    assert services.entry_assemble("E2").waiting_for_states
    time_machine.move_to(time.time() + 3 * 60)
    call = services.entry_assemble("E2")
    assert call.logged and not call.waiting_for_states
    assert Activity.objects.filter(client=client, subject="Пропущенный звонок с +7 916 555-00-03").exists()
