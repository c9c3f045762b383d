"""What a call makes happen beyond the call itself, from the Mango stand-in over real HTTP and a real
Celery mango_worker: a caller no client has becomes one request for the call-centre however often the events
repeat; a non-target caller is sent to the secretary by exactly one signed commands/route; «Позвонить»
reaches Mango as a correctly signed commands/callback whose result event is matched to it; an outgoing
call made in Mango lands on the client's history."""

import time

import pytest

from clients.models import TimelineEntry
from crm import access
from crm import services as crm_services
from crm.errors import DomainError
from crm.models import Notification
from integrations.mango import services
from integrations.models import MangoCall, MangoCommand
from leads.models import Lead, NonTargetContact
from leads.services import lead_create, lead_mark_non_target
from tests.celery_workers import wait_for
from tests.factories import make_client
from tests.standins.mango_fixtures import KEY, SALT
from tests.standins.mango_server import sign

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TIMEOUT = 60


def test_an_unknown_number_becomes_one_lead_for_the_call_centre(mango, mango_worker, call_centre):
    entry, call = mango.new_ids()
    events = mango.call_events(entry, call, "79035550101", "301", start=int(time.time()) - 90)
    summary = mango.summary_event(entry, "79035550101", "301")
    # Every event twice, the summary three times: still one request.
    for event in events + events:
        assert mango.post_event("events/call", event).status_code == 200
    for _ in range(3):
        mango.post_event("events/summary", summary)
    wait_for(
        "call assembled", lambda: MangoCall.objects.filter(entry_id=entry, state="Disconnected").exists(), mango_worker
    )
    time.sleep(1)  # the repeats' jobs run too: they must not add a lead
    [lead] = Lead.objects.filter(phone_norm="79035550101")
    assert lead.source == "call" and lead.assigned_to is None and lead.status == Lead.Status.NEW
    assert lead.message.startswith("Входящий звонок на линию +7 495")
    assert MangoCall.objects.get(entry_id=entry).lead == lead
    assert Lead.objects.filter(access.leads_q(call_centre), pk=lead.pk).exists()

    # The same caller again: the open request gets a line, not a second lead.
    entry2, call2 = mango.new_ids()
    for event in mango.call_events(entry2, call2, "79035550101", "301", states=("Appeared", "Disconnected")):
        mango.post_event("events/call", event)
    wait_for("second call", lambda: MangoCall.objects.filter(entry_id=entry2, lead=lead).exists(), mango_worker)
    assert Lead.objects.filter(phone_norm="79035550101").count() == 1
    assert lead.history.count() == 1


def test_a_non_target_caller_is_routed_to_the_secretary_exactly_once(
    mango, mango_worker, manager_msk, office_manager, settings
):
    crm_services.user_update(user=office_manager, by=None, data={"mango_extension": "200"})
    crm_services.user_update(user=manager_msk, by=None, data={"mango_extension": "101"})
    spam, _ = lead_create(by=manager_msk, source="call", phone="+7 903 555-02-02", assigned_to=manager_msk)
    lead_mark_non_target(lead=spam, by=manager_msk, reason="Продаёт рекламу")
    assert NonTargetContact.objects.filter(value="79035550202").exists()

    entry, call = mango.new_ids()
    # Still in the greeting (no extension yet): Appeared, delivered three times.
    [appeared] = mango.call_events(entry, call, "79035550202", None, states=("Appeared",))
    for _ in range(3):
        mango.post_event("events/call", appeared)
    wait_for("route command sent", lambda: len(mango.commands_for("commands/route")) == 1, mango_worker)
    mango.wait_background()
    wait_for(
        "route result matched",
        lambda: MangoCommand.objects.filter(kind="route", state=MangoCommand.State.DONE).exists(),
        mango_worker,
    )
    [command] = mango.commands_for("commands/route")
    assert command.json["call_id"] == call and command.json["to_number"] == "200"
    assert command.form["sign"] == sign(KEY, command.raw_json, SALT)
    # The call then rings at the secretary: no more commands, and no sales manager was told of it.
    [at_secretary] = mango.call_events(entry, call, "79035550202", "200", states=("Appeared",), first_seq=2)
    mango.post_event("events/call", at_secretary)
    wait_for(
        "call at the secretary",
        lambda: MangoCall.objects.filter(entry_id=entry, to_extension="200").exists(),
        mango_worker,
    )
    time.sleep(1)
    assert len(mango.commands_for("commands/route")) == 1
    assert not Notification.objects.filter(user=manager_msk, text__startswith="Звонит").exists()
    stored = MangoCall.objects.get(entry_id=entry)
    assert stored.routed_at is not None and stored.lead.routed_to_office
    assert stored.lead.assigned_to == office_manager


def test_click_to_call_reaches_mango_signed_and_its_result_is_matched(mango, mango_worker, manager_msk, manager_spb):
    crm_services.user_update(user=manager_msk, by=None, data={"mango_extension": "101"})
    client = make_client(manager=manager_msk, last_name="Позвонинов", phones=("8 (916) 555-03-03",))
    # A manager of another branch may not call this client; nothing is asked of Mango.
    crm_services.user_update(user=manager_spb, by=None, data={"mango_extension": "501"})
    with pytest.raises(DomainError):
        services.click_to_call(by=manager_spb, number="+79165550303", client=client)
    manager_msk.refresh_from_db()
    with pytest.raises(DomainError, match="нет в карточке"):
        services.click_to_call(by=manager_msk, number="+79160000000", client=client)
    assert not MangoCommand.objects.exists()

    command = services.click_to_call(by=manager_msk, number="+7 916 555-03-03", client=client)
    # Pressed twice in a row: still one call.
    assert services.click_to_call(by=manager_msk, number="89165550303", client=client) == command
    wait_for("callback sent", lambda: len(mango.commands_for("commands/callback")) == 1, mango_worker)
    mango.wait_background()
    [sent] = mango.commands_for("commands/callback")
    assert sent.json == {"command_id": command.command_id, "from": {"extension": "101"}, "to_number": "79165550303"}
    assert sent.form["vpbx_api_key"] == KEY and sent.form["sign"] == sign(KEY, sent.raw_json, SALT)
    wait_for(
        "result matched", lambda: MangoCommand.objects.filter(pk=command.pk, result_code=1000).exists(), mango_worker
    )
    assert MangoCommand.objects.get(pk=command.pk).state == MangoCommand.State.DONE
    assert not mango.refused


def test_a_refused_callback_is_told_to_the_manager(mango, mango_worker, manager_msk):
    crm_services.user_update(user=manager_msk, by=None, data={"mango_extension": "101"})
    manager_msk.refresh_from_db()
    client = make_client(manager=manager_msk, last_name="Отказов", phones=("+79165550404",))
    mango.api_salt = "the-pbx-has-another-salt"  # Mango answers 3102: the signature does not check out
    command = services.click_to_call(by=manager_msk, number="+79165550404", client=client)
    wait_for("refusal kept", lambda: MangoCommand.objects.filter(pk=command.pk, state="failed").exists(), mango_worker)
    failed = MangoCommand.objects.get(pk=command.pk)
    assert "3102" in failed.error
    note = Notification.objects.get(user=manager_msk)
    assert note.text.startswith("Не удалось позвонить на +7 916 555-04-04")


def test_an_outgoing_call_to_a_client_is_on_the_clients_history(mango, mango_worker, manager_msk):
    crm_services.user_update(user=manager_msk, by=None, data={"mango_extension": "101"})
    client = make_client(manager=manager_msk, last_name="Исходящий", phones=("+79165550505",))
    entry, call = mango.new_ids()
    # The states and the summary tell the same times (as Mango's do): dialled, answered 90 s later, talked
    # 90 s; whichever the worker reads first, the line says the same.
    start = int(time.time()) - 300
    for event in mango.call_events(
        entry, call, "74950000000", None, to_number="79165550505", from_extension="101", start=start, step=90
    ):
        mango.post_event("events/call", event)
    mango.post_event(
        "events/summary",
        mango.summary_event(
            entry,
            "74950000000",
            None,
            from_extension="101",
            to_number="79165550505",
            call_direction=2,
            create_time=start,
            talk_time=start + 90,
            end_time=start + 180,
        ),
    )
    wait_for("logged", lambda: MangoCall.objects.filter(entry_id=entry, logged=True).exists(), mango_worker)
    stored = MangoCall.objects.get(entry_id=entry)
    assert stored.direction == "outbound" and stored.client == client and stored.staff == manager_msk
    line = TimelineEntry.objects.filter(client=client, text__startswith="Исходящий звонок").get()
    assert line.text == f"Исходящий звонок на +7 916 555-05-05, {manager_msk.short_name}: 1 мин 30 с"
    assert not Lead.objects.filter(phone_norm="79165550505").exists()
