"""Mango Office events: checked, stored as they come, then folded into calls on a worker.

Mango signs every request with sha256(vpbx_api_key + json + vpbx_api_salt) and delivers an event
at least once, in whatever order the network gives. So the endpoint only checks the signature and
stores the event under a key that makes a repeat a no-op; a worker then rebuilds the call from all
its events in the order of their `seq`, whatever order they arrived in.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from activities.services import activity_plan
from clients.models import Client, ClientPhone
from crm import access, outbox
from crm.models import User
from crm.notifications import notify
from crm.phones import normalize_phone
from integrations.models import MangoCall, MangoEvent

# A missed call from a client is called back soon: planned this far ahead for the manager.
CALL_BACK_WITHIN = timedelta(minutes=15)
ENTRY_KIND = "mango.entry"  # the outbox job: rebuild one call (key = Mango's entry_id)

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


def sign(api_key: str, json_text: str, api_salt: str) -> str:
    return hashlib.sha256(f"{api_key}{json_text}{api_salt}".encode()).hexdigest()


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
    except IntegrityError:
        return None  # delivered before: nothing to do
    return event


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
    elif call.state == "Disconnected":
        # Until the summary comes, the states say it: worked out again each time, since a state
        # that arrives late (Connected after Disconnected) changes the answer.
        call.answered = call.connected_at is not None
        call.talk_seconds = (
            int((call.ended_at - call.connected_at).total_seconds()) if call.connected_at and call.ended_at else None
        )
    if call.client_id is None and call.from_number:
        call.client = client_by_number(call.from_number)
    if not call.ring_notified and call.direction == MangoCall.Direction.INBOUND and call.state != "Disconnected":
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


def _duration(seconds: int | None) -> str:
    seconds = seconds or 0
    return f"{seconds // 60} мин {seconds % 60:02d} с" if seconds >= 60 else f"{seconds} с"


def _log_call(call: MangoCall) -> bool:
    """A finished call from a client: an inbound «Звонок» in the «Мои дела» of whoever answered
    (or the client's manager), and for a missed one a call back planned for the manager."""
    client = call.client
    if client is None or call.direction != MangoCall.Direction.INBOUND:
        return False
    answerer = _staff_at(call.to_extension)
    manager = client.manager if client.manager and client.manager.is_active else None
    owner = answerer if answerer is not None and access.may_open_client(answerer, client) else manager
    if owner is None:
        return False
    at = call.appeared_at or call.ended_at or timezone.now()
    if call.answered:
        who = f", ответил(а) {answerer.short_name}" if answerer else ""
        subject = f"Входящий звонок с {call.from_number}, {_duration(call.talk_seconds)}{who}"
    else:
        subject = f"Пропущенный звонок с {call.from_number}"
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
            subject=f"Перезвонить: пропущенный звонок с {call.from_number}",
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
    client = call.client
    if client is not None and access.may_open_client(person, client):
        text, url = f"Звонит клиент: {client.display_name}", reverse("clients:client_detail", args=[client.pk])
    else:
        text, url = f"Звонит {call.from_number}", ""
    notify(users=[person], text=text, url=url)
    return True
