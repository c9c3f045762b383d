"""Call recordings: fetched from Mango once by a worker, kept in the CRM's storage, played on the
client's card to those who may see the client, every play written to the audit log.

Mango announces a recording (events/recording with recording_state «Completed», or
events/record/added) before or after the call's own events; the recording is linked to its call,
so the worker waits a little for the call to be assembled rather than store an orphan. The file
comes from queries/recording/post, which answers with a redirect to a one-time link.
"""

from datetime import timedelta
from email.message import Message

from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from crm import access, outbox
from crm.models import AuditEntry, User
from crm.services import audit_record
from integrations.mango import api
from integrations.models import MangoCall, MangoEvent, MangoRecording

RECORDING_EVENT_KINDS = ("recording", "record_added")
# A recording usually comes just before or after its call's last events: waited for this long,
# then kept without a call (a call lost by Mango must not hold its recording for ever).
CALL_WAIT = timedelta(minutes=10)
CALL_WAIT_RETRY_SECONDS = 10
DEFAULT_CONTENT_TYPE = "audio/mpeg"  # what Mango serves


def recording_fetch(recording_id: str) -> MangoRecording:
    """Bring one recording from Mango into storage, once, linked to its call; a second run downloads nothing."""
    events = list(
        MangoEvent.objects.filter(kind__in=RECORDING_EVENT_KINDS, payload__recording_id=recording_id).order_by("id")
    )
    entry_id = next((e.entry_id for e in events if e.entry_id), "")
    extension = next((str(e.payload["extension"]) for e in events if e.payload.get("extension")), "")
    stored = MangoRecording.objects.filter(recording_id=recording_id).first()
    if stored is not None and stored.file:
        _link_late(stored)
        return stored
    call = MangoCall.objects.filter(entry_id=entry_id).first() if entry_id else None
    if call is None and entry_id and events[0].received_at > timezone.now() - CALL_WAIT:
        raise outbox.Busy(retry_in=CALL_WAIT_RETRY_SECONDS)  # the call's events are still being folded
    response = api.post("queries/recording/post", {"recording_id": recording_id, "action": "download"})
    if not response.content:
        raise outbox.TransientError("Mango прислала пустой файл записи")
    with transaction.atomic():
        recording, _ = MangoRecording.objects.select_for_update().get_or_create(
            recording_id=recording_id, defaults={"entry_id": entry_id, "extension": extension[:20]}
        )
        if recording.file:
            return recording  # another run stored it meanwhile
        recording.file.save(_filename(response, recording_id), ContentFile(response.content), save=False)
        recording.entry_id = recording.entry_id or entry_id
        recording.extension = recording.extension or extension[:20]
        recording.content_type = _content_type(response)
        recording.size = len(response.content)
        recording.fetched_at = timezone.now()
        recording.call = call
        recording.save()
    return recording


def _link_late(recording: MangoRecording) -> None:
    # Stored without its call (the call came after the wait ran out): linked when asked again.
    if recording.call_id is not None or not recording.entry_id:
        return
    call = MangoCall.objects.filter(entry_id=recording.entry_id).first()
    if call is not None:
        MangoRecording.objects.filter(pk=recording.pk, call__isnull=True).update(call=call)
        recording.call = call


def _filename(response, recording_id: str) -> str:
    """The name Mango gives the file (only its extension is kept), else the id as an mp3."""
    disposition = response.headers.get("Content-Disposition", "")
    if disposition:
        message = Message()
        message["Content-Disposition"] = disposition
        name = message.get_filename()
        if name:
            return name
    return f"{recording_id}.mp3"


def _content_type(response) -> str:
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    return (media_type or DEFAULT_CONTENT_TYPE)[:100]


def recording_listened(*, recording: MangoRecording, by: User, ip: str | None = None) -> None:
    """A recording is a client's voice, personal data: who played or downloaded which is kept."""
    audit_record(
        actor=by,
        action=AuditEntry.Action.VIEW_PERSONAL_DATA,
        target=recording,
        changes={"entry_id": recording.entry_id},
        ip=ip,
    )


# --- reads -------------------------------------------------------------------------------------


def recording_get_for_user(user: User, pk) -> MangoRecording:
    """A stored recording `user` may listen to; 404 for one missing, not fetched yet or not theirs."""
    try:
        recording = MangoRecording.objects.select_related("call__client", "call__staff").get(pk=pk)
    except (MangoRecording.DoesNotExist, ValueError, TypeError):
        raise Http404("Запись не найдена") from None
    if not recording.file or not access.may_listen_to_call(user, recording.call):
        raise Http404("Запись не найдена")
    return recording
