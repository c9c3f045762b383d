"""Mango Office events: checked, stored as they come, then folded into calls on a worker.

Mango signs every request with sha256(vpbx_api_key + json + vpbx_api_salt) and delivers an event
at least once, in whatever order the network gives. So the endpoint only checks the signature and
stores the event under a key that makes a repeat a no-op; a worker then rebuilds the call from all
its events in the order of their `seq`, whatever order they arrived in.
"""

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from activities.services import activity_plan
from clients.models import Client, ClientPhone, TimelineEntry
from clients.services import timeline_add
from crm import access, outbox
from crm.errors import DomainError
from crm.models import AuditEntry, User
from crm.notifications import notify
from crm.phones import format_phone, normalize_phone
from crm.services import audit_record
from deals.models import Deal
from integrations.mango import api
from integrations.mango.api import sign
from integrations.models import MangoCall, MangoCommand, MangoEvent, talk_text
from leads.models import Lead
from leads.services import lead_create, non_target_match

# A missed call from a client is called back soon: planned this far ahead for the manager.
CALL_BACK_WITHIN = timedelta(minutes=15)
ENTRY_KIND = "mango.entry"  # the outbox job: rebuild one call (key = Mango's entry_id)
RECORDING_KIND = "mango.recording"  # fetch one recording (key = Mango's recording_id)
COMMAND_KIND = "mango.command"  # send one command (key = our command_id)

# Mango's path (after the CRM's address) → the kind stored.
EVENT_KINDS = {
    "events/call": "call",
    "events/summary": "summary",
    "events/recording": "recording",
    "events/record/added": "record_added",
    "events/dtmf": "dtmf",
    "result/callback": "result_callback",
    "result/route": "result_route",
    "result/sms": "result_sms",
    "result/stats": "result_stats",
}
# events/summary's call_direction
DIRECTIONS = {0: MangoCall.Direction.INTERNAL, 1: MangoCall.Direction.INBOUND, 2: MangoCall.Direction.OUTBOUND}


class BadEvent(Exception):
    """Not a Mango event: a wrong key or signature, or a body that is not JSON."""


def check_signature(*, api_key: str, signature: str, json_text: str) -> None:
    """Raise BadEvent unless the request is signed with this CRM's key and salt."""
    if not settings.MANGO_API_KEY or not settings.MANGO_API_SALT:
        raise BadEvent("Mango is not configured")
    if not hmac.compare_digest(api_key.encode(), settings.MANGO_API_KEY.encode()):
        raise BadEvent("wrong vpbx_api_key")
    expected = sign(settings.MANGO_API_KEY, json_text, settings.MANGO_API_SALT)
    if not hmac.compare_digest(signature.lower().encode(), expected.encode()):
        raise BadEvent("wrong sign")


def _key(kind: str, data: dict, json_text: str) -> str:
    if kind == "call":
        return f"call:{data.get('entry_id', '')}:{data.get('call_id', '')}:{data.get('seq', '')}"
    if kind == "summary":
        return f"summary:{data.get('entry_id', '')}"
    if kind == "recording":
        return f"recording:{data.get('recording_id', '')}:{data.get('recording_state', '')}"
    if kind.startswith("result_") and data.get("command_id"):
        return f"{kind}:{data['command_id']}"
    return f"{kind}:{hashlib.sha256(json_text.encode()).hexdigest()}"


def event_receive(*, path: str, json_text: str) -> MangoEvent | None:
    """Store a checked event once; a call's events wake the worker that assembles the call.
    Returns None for a repeat (already stored) — Mango still gets its 200."""
    kind = EVENT_KINDS.get(path)
    if kind is None:
        raise BadEvent(f"unknown event {path}")
    try:
        data = json.loads(json_text)
    except ValueError as exc:
        raise BadEvent("json is not JSON") from exc
    if not isinstance(data, dict):
        raise BadEvent("json is not an object")
    seq = data.get("seq")
    try:
        with transaction.atomic():
            event = MangoEvent.objects.create(
                kind=kind,
                key=_key(kind, data, json_text)[:300],
                entry_id=str(data.get("entry_id", ""))[:100],
                call_id=str(data.get("call_id", ""))[:100],
                seq=seq if isinstance(seq, int) else None,
                payload=data,
            )
            if kind in ("call", "summary") and event.entry_id:
                outbox.enqueue(ENTRY_KIND, key=event.entry_id, reason=kind)
            if _recording_ready(kind, data):
                outbox.enqueue(RECORDING_KIND, key=str(data["recording_id"])[:200], reason=kind)
    except IntegrityError:
        return None  # delivered before: nothing to do
    if kind.startswith("result_") and data.get("command_id"):
        command_result(command_id=str(data["command_id"]), result=data.get("result"))
    return event


def _recording_ready(kind: str, data: dict) -> bool:
    """A recording can be fetched once Mango says it is complete (or added to the cloud storage)."""
    if not data.get("recording_id"):
        return False
    return kind == "record_added" or (kind == "recording" and data.get("recording_state") == "Completed")


def _at(seconds) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(seconds), tz=UTC) if seconds else None
    except (TypeError, ValueError, OverflowError):
        return None


def _party(data: dict, side: str) -> dict:
    party = data.get(side)
    return party if isinstance(party, dict) else {}


@transaction.atomic
def entry_assemble(entry_id: str) -> MangoCall | None:
    """Rebuild the call of `entry_id` from every event stored for it: the states in `seq` order
    (the last one is the call's state now), the summary's figures where it has come."""
    events = list(MangoEvent.objects.filter(entry_id=entry_id, kind__in=("call", "summary")).order_by("id"))
    if not events:
        return None
    call, _ = MangoCall.objects.select_for_update().get_or_create(entry_id=entry_id)
    states = sorted((e for e in events if e.kind == "call"), key=lambda e: (e.seq if e.seq is not None else -1, e.id))
    for event in states:
        data = event.payload
        state = data.get("call_state", "")
        at = _at(data.get("timestamp"))
        caller, callee = _party(data, "from"), _party(data, "to")
        call.from_number = str(caller.get("number") or call.from_number)[:50]
        call.from_extension = str(caller.get("extension") or call.from_extension)[:20]
        call.to_number = str(callee.get("number") or call.to_number)[:100]
        call.line_number = str(callee.get("line_number") or call.line_number)[:50]
        if callee.get("extension"):
            call.to_extension = str(callee["extension"])[:20]
        if state == "Appeared" and at and (call.appeared_at is None or at < call.appeared_at):
            call.appeared_at = at
        if state == "Connected" and at and (call.connected_at is None or at < call.connected_at):
            call.connected_at = at
        if state == "Disconnected":
            call.ended_at = at or call.ended_at
            if data.get("disconnect_reason") is not None:
                call.disconnect_reason = int(data["disconnect_reason"])
        call.state, call.last_seq = state, event.seq or call.last_seq
    if not call.direction:
        if call.from_extension and not call.to_extension:
            call.direction = MangoCall.Direction.OUTBOUND
        elif call.from_number and not call.from_extension:
            call.direction = MangoCall.Direction.INBOUND
    summary = next((e.payload for e in events if e.kind == "summary"), None)
    if summary is not None:
        # The summary comes once the call is over and is what Mango counts: it wins.
        call.direction = DIRECTIONS.get(summary.get("call_direction"), call.direction)
        call.answered = summary.get("entry_result") == 1
        talk, end = _at(summary.get("talk_time")), _at(summary.get("end_time"))
        call.ended_at = end or call.ended_at
        call.talk_seconds = int((end - talk).total_seconds()) if talk and end and call.answered else 0
        if summary.get("disconnect_reason") is not None:
            call.disconnect_reason = int(summary["disconnect_reason"])
        created = _at(summary.get("create_time"))
        if created and (call.appeared_at is None or created < call.appeared_at):
            call.appeared_at = created
    elif call.state == "Disconnected":
        # Until the summary comes, the states say it: worked out again each time, since a state
        # that arrives late (Connected after Disconnected) changes the answer.
        call.answered = call.connected_at is not None
        call.talk_seconds = (
            int((call.ended_at - call.connected_at).total_seconds()) if call.connected_at and call.ended_at else None
        )
    if call.appeared_at is None:
        # Its Appeared was lost: the earliest time known stands in, so the call still has a day in the log.
        call.appeared_at = call.connected_at or call.ended_at
    inbound = call.direction == MangoCall.Direction.INBOUND
    staff = _staff_at(call.to_extension if inbound else call.from_extension)
    if staff is not None:
        call.staff = staff
    if call.client_id is None and call.outside_number and call.direction != MangoCall.Direction.INTERNAL:
        call.client = client_by_number(call.outside_number)
    if inbound and call.client_id is None and call.lead_id is None and call.from_number:
        call.lead = _lead_for_unknown_caller(call)
    if inbound and call.routed_at is None and call.connected_at is None and call.state == "Appeared":
        _route_if_non_target(call, states)
    if not call.ring_notified and inbound and call.state != "Disconnected" and call.routed_at is None:
        call.ring_notified = _notify_ringing(call)
    call.updated_at = timezone.now()
    call.save()
    finished = summary is not None or _states_complete(states) or _ended_long_ago(call)
    if not call.logged and call.state == "Disconnected" and finished:
        # Logged once, when the call is over and nothing more is missing: every state up to the last
        # has come (no gap in any leg's seq), or the summary has, or the end is long enough ago that a
        # missing state is lost rather than late.
        call.logged = _log_call(call)
        if call.logged:
            call.save(update_fields=["logged"])
    # For the handler: an ended call with a state still missing is looked at again a little later.
    call.waiting_for_states = call.state == "Disconnected" and not finished and not call.logged
    return call


# A gap in a call's states this long after its end means the event was lost, not late.
LATE_STATE_GRACE = timedelta(minutes=2)


def _states_complete(states: list[MangoEvent]) -> bool:
    """Every leg's states numbered 1, 2, … without a gap (Mango numbers them per call)."""
    legs: dict[str, set[int]] = {}
    for event in states:
        if event.seq is None:
            return False
        legs.setdefault(event.call_id, set()).add(event.seq)
    return bool(legs) and all(seqs == set(range(1, max(seqs) + 1)) for seqs in legs.values())


def _ended_long_ago(call: MangoCall) -> bool:
    return call.ended_at is not None and call.ended_at < timezone.now() - LATE_STATE_GRACE


def call_log_missing(call: MangoCall) -> bool:
    """Log a finished call that came in another way (the nightly catch-up from stats/request)
    exactly as an assembled one; once."""
    if call.logged:
        return False
    call.logged = _log_call(call)
    if call.logged:
        call.save(update_fields=["logged"])
    return call.logged


def _log_call(call: MangoCall) -> bool:
    """A finished call from a client: an inbound «Звонок» in the «Мои дела» of whoever answered
    (or the client's manager), and for a missed one a call back planned for the manager.
    An outgoing call to a client goes on the client's history."""
    client = call.client
    if client is not None and call.direction == MangoCall.Direction.OUTBOUND:
        return _log_outbound(call)
    if client is None or call.direction != MangoCall.Direction.INBOUND:
        return False
    answerer = _staff_at(call.to_extension)
    manager = client.manager if client.manager and client.manager.is_active else None
    owner = answerer if answerer is not None and access.may_open_client(answerer, client) else manager
    if owner is None:
        return False
    at = call.appeared_at or call.ended_at or timezone.now()
    number = call.outside_display
    if call.answered:
        # The activity's own line names its responsible; a colleague who answered instead is named here.
        who = f", ответил(а) {answerer.short_name}" if answerer and answerer != owner else ""
        subject = f"Входящий звонок с {number}, {talk_text(call.talk_seconds)}{who}"
    else:
        subject = f"Пропущенный звонок с {number}"
    activity_plan(
        by=owner,
        kind=Activity.Kind.CALL,
        planned_at=at,
        responsible=owner,
        client=client,
        subject=subject,
        direction=Activity.Direction.INBOUND,
    )
    if not call.answered and manager is not None:
        activity_plan(
            by=manager,
            kind=Activity.Kind.CALL,
            planned_at=timezone.now() + CALL_BACK_WITHIN,
            responsible=manager,
            client=client,
            subject=f"Перезвонить: пропущенный звонок с {number}",
        )
    return True


def client_by_number(number: str) -> Client | None:
    """The client whose phone this is (one of their numbers, normalised), the newest if several."""
    norm = normalize_phone(number)
    if not norm:
        return None
    phone = (
        ClientPhone.objects.filter(number_norm=norm, client__merged_into__isnull=True)
        .select_related("client")
        .order_by("-client_id")
        .first()
    )
    return phone.client if phone else None


def _staff_at(extension: str) -> User | None:
    return User.objects.filter(mango_extension=extension, is_active=True).first() if extension else None


def _notify_ringing(call: MangoCall) -> bool:
    """Tell the person whose extension rings who is calling, with the client's card when they may open it."""
    person = _staff_at(call.to_extension)
    if person is None:
        return False
    client, lead = call.client, call.lead
    if client is not None and access.may_open_client(person, client):
        text, url = f"Звонит клиент: {client.display_name}", reverse("clients:client_detail", args=[client.pk])
    elif lead is not None and Lead.objects.filter(access.leads_q(person), pk=lead.pk).exists():
        text, url = f"Звонит {lead}", reverse("leads:detail", args=[lead.pk])
    else:
        text, url = f"Звонит {format_phone(normalize_phone(call.from_number)) or call.from_number}", ""
    notify(users=[person], text=text, url=url)
    return True


def _log_outbound(call: MangoCall) -> bool:
    """An outgoing call made in Mango (Talker, a desk phone, «Позвонить» in the CRM): a line on the client's history."""
    who = f", {call.staff.short_name}" if call.staff else ""
    number = format_phone(normalize_phone(call.to_number)) or call.to_number
    outcome = talk_text(call.talk_seconds) if call.answered else "не дозвонились"
    text = f"Исходящий звонок на {number}{who}: {outcome}"
    timeline_add(
        client=call.client,
        kind=TimelineEntry.Kind.ACTIVITY,
        text=text,
        actor=call.staff,
        data={"mango_entry": call.entry_id},
    )
    return True


# --- a caller no client has becomes a request ------------------------------------------------


def _lead_for_unknown_caller(call: MangoCall) -> Lead | None:
    """A call from a number no client has: a request for the call-centre (source «звонок»), or a line
    on the caller's open request. Keyed by the entry, so repeated events give one lead."""
    if call.from_extension or not normalize_phone(call.from_number):
        return None  # an internal call, or a hidden number: nobody to call back
    line = format_phone(normalize_phone(call.line_number)) if call.line_number else ""
    message = f"Входящий звонок{' на линию ' + line if line else ''}"
    try:
        lead, _ = lead_create(
            by=None,
            source=Deal.Source.CALL,
            phone=call.from_number,
            message=message,
            idempotency_key=f"mango:{call.entry_id}"[:100],
        )
    except DomainError:
        return None
    return lead


# --- non-target callers go to the secretary --------------------------------------------------


def secretary_extension(lead: Lead | None) -> str:
    """The extension non-target callers are put through to: the setting, else an office manager's
    (of the lead's branch first)."""
    if settings.MANGO_SECRETARY_EXTENSION:
        return settings.MANGO_SECRETARY_EXTENSION
    secretaries = User.objects.filter(access.secretaries_q()).order_by("id")
    mine = secretaries.filter(branch_id=lead.branch_id).first() if lead and lead.branch_id else None
    person = mine or secretaries.first()
    return person.mango_extension if person else ""


def _route_if_non_target(call: MangoCall, states: list[MangoEvent]) -> None:
    """Mango asks no CRM where to route, so while a non-target caller is still in the greeting the
    CRM tells it: commands/route to the secretary's extension, once per call."""
    marked = non_target_match(phone_norm=normalize_phone(call.from_number), email_norm="")
    if marked is None:
        return
    extension = secretary_extension(call.lead)
    if not extension or call.to_extension == extension:
        return
    leg = next((e.call_id for e in reversed(states) if e.call_id), "")
    if not leg:
        return
    try:
        with transaction.atomic():
            command = MangoCommand.objects.create(
                command_id=_command_id(),
                kind=MangoCommand.Kind.ROUTE,
                entry_id=call.entry_id,
                call_id=leg,
                to_number=extension,
                client=call.client,
                lead=call.lead,
            )
            outbox.enqueue(COMMAND_KIND, key=command.command_id, reason="route")
    except IntegrityError:
        return  # already routed by an earlier look at this call
    call.routed_at = timezone.now()
    if call.lead is not None:
        audit_record(
            actor=None,
            action=AuditEntry.Action.UPDATE,
            target=call.lead,
            changes={"mango_route": extension, "reason": f"нецелевой контакт: {marked.reason}"[:200]},
        )


# --- commands to Mango: click-to-call and routing ----------------------------------------------


def _command_id() -> str:
    return uuid.uuid4().hex


# A command not sent within this time is dropped: a phone ringing minutes after the click only confuses.
COMMAND_STALE_AFTER = timedelta(seconds=60)
# Pressing «Позвонить» twice within this time is one call, not two rings.
REPEAT_WINDOW = timedelta(seconds=20)


def click_to_call(*, by: User, number: str, client: Client | None = None, lead: Lead | None = None) -> MangoCommand:
    """«Позвонить»: Mango rings `by`'s own extension, then dials `number` (commands/callback).
    The number must be one of the card's own, on a card `by` may open; the command goes out from a worker."""
    if not settings.MANGO_ENABLED:
        raise DomainError("Телефония Mango не подключена.", code="unavailable")
    if not access.may_call_from_crm(by):
        raise DomainError(
            "Звонить из CRM можно, когда в вашей карточке сотрудника указан добавочный Mango.", code="forbidden"
        )
    norm = normalize_phone(number)
    if not norm:
        raise DomainError(f"«{number}» не похоже на номер телефона.", field="number")
    if (client is None) == (lead is None):
        raise DomainError("Укажите клиента или лид, чей это номер.", field="client")
    if client is not None:
        if not access.may_open_client(by, client):
            raise DomainError("Этот клиент вам не доступен.", code="not_found")
        if not ClientPhone.objects.filter(client=client, number_norm=norm).exists():
            raise DomainError("Такого номера нет в карточке клиента.", field="number")
    else:
        if not Lead.objects.filter(access.leads_q(by), pk=lead.pk).exists():
            raise DomainError("Этот лид вам не доступен.", code="not_found")
        if norm not in _lead_numbers(lead):
            raise DomainError("Такого номера нет в карточке лида.", field="number")
    with transaction.atomic():
        recent = (
            MangoCommand.objects.select_for_update()
            .filter(
                kind=MangoCommand.Kind.CALLBACK,
                requested_by=by,
                to_number=norm,
                created_at__gte=timezone.now() - REPEAT_WINDOW,
                state__in=(MangoCommand.State.PENDING, MangoCommand.State.SENT),
            )
            .first()
        )
        if recent is not None:
            return recent
        command = MangoCommand.objects.create(
            command_id=_command_id(),
            kind=MangoCommand.Kind.CALLBACK,
            from_extension=by.mango_extension,
            to_number=norm,
            requested_by=by,
            client=client,
            lead=lead,
        )
        outbox.enqueue(COMMAND_KIND, key=command.command_id, reason="callback")
        audit_record(actor=by, action=AuditEntry.Action.CREATE, target=command, changes={"to_number": norm})
    return command


def _lead_numbers(lead: Lead) -> set[str]:
    return {lead.phone_norm, *lead.other_phones.values_list("number_norm", flat=True)} - {""}


def command_send(command_id: str) -> str:
    """The worker's half: send a pending command to Mango, signed; a refusal is kept on the command."""
    command = MangoCommand.objects.filter(command_id=command_id).first()
    if command is None or command.state != MangoCommand.State.PENDING:
        return "nothing to send"
    if command.created_at < timezone.now() - COMMAND_STALE_AFTER:
        # Too late to ring anyone's phone or move a call that has long ended: say so instead.
        _command_failed(command, "Mango не ответила вовремя, команда отменена")
        return "stale"
    if command.kind == MangoCommand.Kind.ROUTE:
        path = "commands/route"
        payload = {"command_id": command.command_id, "call_id": command.call_id, "to_number": command.to_number}
    else:
        path = "commands/callback"
        payload = {
            "command_id": command.command_id,
            "from": {"extension": command.from_extension},
            "to_number": command.to_number,
        }
    try:
        api.post(path, payload)
    except outbox.PermanentError as exc:
        _command_failed(command, str(exc))
        raise
    MangoCommand.objects.filter(pk=command.pk, state=MangoCommand.State.PENDING).update(
        state=MangoCommand.State.SENT, answer_code=api.RESULT_OK
    )
    return "sent"


def _command_failed(command: MangoCommand, error: str) -> None:
    MangoCommand.objects.filter(pk=command.pk).update(state=MangoCommand.State.FAILED, error=error[:300])
    if command.requested_by_id and command.kind == MangoCommand.Kind.CALLBACK:
        notify(
            users=[command.requested_by],
            text=f"Не удалось позвонить на {format_phone(command.to_number)}: {error}"[:300],
            url="",
        )


def command_result(*, command_id: str, result) -> None:
    """Mango's result event for a command, matched by command_id; a failed call is told to whoever asked for it."""
    command = MangoCommand.objects.filter(command_id=command_id).first()
    if command is None:
        return
    try:
        code = int(result)
    except (TypeError, ValueError):
        code = None
    done = code == api.RESULT_OK
    MangoCommand.objects.filter(pk=command.pk).update(
        result_code=code,
        result_at=timezone.now(),
        state=MangoCommand.State.DONE if done else MangoCommand.State.FAILED,
    )
    if not done:
        _command_failed(command, f"Mango сообщила код {code}")
