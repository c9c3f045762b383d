"""Call recordings from the Mango stand-in: a real mango_worker fetches a completed recording once through
queries/recording/post (its 302 to a one-time link followed), stores it linked to the call, and the
card's player serves it only to those who may open the client, each play in the audit log; a
recording Mango does not know fails for good with the reason in Russian."""

import json
import time

import pytest

from crm import outbox
from crm.models import AuditEntry, OutboxJob
from integrations.mango import recordings, services
from integrations.models import MangoCall, MangoRecording
from tests.celery_workers import wait_for
from tests.factories import make_client
from tests.standins.mango_server import MangoServer

pytestmark = pytest.mark.integration

TIMEOUT = 60
NUMBER = "79165557788"


def _jobs_settled(recording_id: str):
    jobs = OutboxJob.objects.filter(kind=services.RECORDING_KIND, key=recording_id)
    return lambda: jobs.exists() and not jobs.filter(status=OutboxJob.Status.PENDING).exists()


def _post_call(mango, entry: str, call: str, extension: str = "101") -> None:
    for event in mango.call_events(entry, call, NUMBER, extension, start=int(time.time()) - 120, step=20):
        assert mango.post_event("events/call", event).status_code == 200


def _store(path: str, payload: dict) -> None:
    services.event_receive(path=path, json_text=json.dumps(payload, ensure_ascii=False))


def _played(web, user, recording):
    web.force_login(user)
    return web.get(f"/integrations/calls/recordings/{recording.pk}/")


def _plays(recording) -> int:
    return AuditEntry.objects.filter(
        action=AuditEntry.Action.VIEW_PERSONAL_DATA, target_type="integrations.mangorecording", target_id=recording.pk
    ).count()


# --- with a real mango_worker -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_completed_recording_is_fetched_once_and_played_to_who_may_open_the_client(
    mango, mango_worker, web, manager_msk, manager_spb, call_centre
):
    client = make_client(manager=manager_msk, last_name="Записанный", phones=(f"+{NUMBER}",))
    entry, call = mango.new_ids()
    _post_call(mango, entry, call)
    wait_for("call assembled", lambda: MangoCall.objects.filter(entry_id=entry, client=client).exists(), mango_worker)
    audio = mango.add_recording("rec-1")
    completed = mango.recording_event(entry, call, "rec-1", "101")
    # Mango delivers at least once, and later says the recording reached its cloud storage too.
    assert mango.post_event("events/recording", completed).status_code == 200
    assert mango.post_event("events/recording", completed).status_code == 200
    wait_for("recording fetched", _jobs_settled("rec-1"), mango_worker)
    assert mango.post_event("events/record/added", mango.record_added_event(entry, "rec-1", 1)).status_code == 200
    wait_for("second job done", _jobs_settled("rec-1"), mango_worker)

    assert [c.json for c in mango.commands_for("queries/recording/post")] == [
        {"recording_id": "rec-1", "action": "download"}
    ]
    assert list(OutboxJob.objects.filter(key="rec-1").values_list("status", flat=True)) == ["done", "done"]
    recording = MangoRecording.objects.get(recording_id="rec-1")
    assert recording.call == MangoCall.objects.get(entry_id=entry)
    assert (recording.entry_id, recording.extension, recording.content_type) == (entry, "101", "audio/wav")
    assert recording.size == len(audio) and recording.fetched_at is not None
    assert recording.file.name.endswith("/rec-1.wav")
    with recording.file.open("rb") as stored:
        assert stored.read() == audio

    response = _played(web, manager_msk, recording)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == audio
    assert response["Content-Type"] == "audio/wav"
    assert response["Content-Disposition"] == 'inline; filename="rec-1.wav"'
    [entry_row] = AuditEntry.objects.filter(target_type="integrations.mangorecording", target_id=recording.pk)
    assert (entry_row.actor, entry_row.action, entry_row.changes) == (manager_msk, "view_pd", {"entry_id": entry})

    # Another branch's manager and the call-centre may not open the client: nothing played, nothing logged.
    for outsider in (manager_spb, call_centre):
        assert _played(web, outsider, recording).status_code == 404
    assert _plays(recording) == 1


@pytest.mark.django_db(transaction=True)
def test_a_recording_mango_does_not_know_fails_for_good_in_russian(mango, mango_worker):
    entry, call = mango.new_ids()
    _post_call(mango, entry, call)
    wait_for("call assembled", lambda: MangoCall.objects.filter(entry_id=entry).exists(), mango_worker)
    unknown = mango.recording_event(entry, call, "rec-gone", "101")
    assert mango.post_event("events/recording", unknown).status_code == 200
    wait_for("job settled", _jobs_settled("rec-gone"), mango_worker)

    [job] = OutboxJob.objects.filter(kind=services.RECORDING_KIND, key="rec-gone")
    assert job.status == OutboxJob.Status.FAILED and job.attempts == 1
    assert job.last_error == "Mango отказала в queries/recording/post: 3320 — запись разговора не найдена"
    assert not MangoRecording.objects.exists()
    assert mango.commands_for("queries/recording/post") == []


# --- the service, called directly ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_recording_waits_for_its_call_then_is_linked_to_it(mango_api, manager_msk):
    client = make_client(manager=manager_msk, last_name="Ранний", phones=(f"+{NUMBER}",))
    mango_api.add_recording("rec-early", body=b"ID3 early", content_type="audio/mpeg", filename="")
    _store("events/recording", MangoServer.recording_event("E-early", "C-early", "rec-early", "101"))
    with pytest.raises(outbox.Busy):
        recordings.recording_fetch("rec-early")
    assert mango_api.commands_for("queries/recording/post") == [] and not MangoRecording.objects.exists()

    for event in MangoServer.call_events("E-early", "C-early", NUMBER, "101", start=int(time.time()) - 60):
        _store("events/call", event)
    services.entry_assemble("E-early")
    recording = recordings.recording_fetch("rec-early")
    assert recording.call.client == client and recording.content_type == "audio/mpeg"
    assert recording.file.read() == b"ID3 early"
    # Run again (a repeated job): nothing downloaded a second time.
    assert recordings.recording_fetch("rec-early") == recording
    assert len(mango_api.commands_for("queries/recording/post")) == 1


@pytest.mark.django_db
def test_a_recording_whose_call_never_came_is_kept_for_the_director_only(
    mango_api, time_machine, web, director, head_msk, manager_msk
):
    mango_api.add_recording("rec-orphan")
    _store("events/record/added", MangoServer.record_added_event("E-lost", "rec-orphan", 1))
    time_machine.move_to(time.time() + 11 * 60)
    recording = recordings.recording_fetch("rec-orphan")
    assert recording.call is None and recording.entry_id == "E-lost"
    assert recording.file.name.endswith("/rec-orphan.wav")

    for outsider in (head_msk, manager_msk):
        assert _played(web, outsider, recording).status_code == 404
    assert _plays(recording) == 0
    response = _played(web, director, recording)
    assert response.status_code == 200 and b"".join(response.streaming_content) == recording.file.read()
    assert _plays(recording) == 1


@pytest.mark.django_db
def test_a_recording_not_fetched_yet_is_not_found(web, director):
    recording = MangoRecording.objects.create(recording_id="rec-pending", entry_id="E-pending")
    assert _played(web, director, recording).status_code == 404
    assert _played(web, director, MangoRecording(pk=recording.pk + 1)).status_code == 404
    assert _plays(recording) == 0
