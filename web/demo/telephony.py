"""Demo telephony (Mango Office): the staff's extensions and two weeks of finished calls.

Each demo manager gets calls on the working days of the last two weeks: inbound from their clients
(answered and missed), outbound to them (through and not), two missed calls called back within the
hour and one that was not, and a call from an unknown number that became a request (a lead). Three
answered calls of manager.msk's clients have a recording (a second of silence, so the card's player
has something to play), and one «Позвонить» from the CRM has gone through.

Nothing here went through Mango: the calls are written as the worker leaves an assembled call
(state «Disconnected», logged), without the «Мои дела» lines the worker would add — the demo
already has its own activities, and two weeks of call lines would bury them.

Idempotent: an extension already set (or taken by someone else) is left alone; the calls,
recordings and command are skipped once any call exists. Deterministic: a seeded random.
"""

import io
import random
import wave
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from clients.models import Client
from crm import demo
from crm.errors import DomainError
from crm.models import User
from crm.phones import format_phone
from crm.roles import Role
from crm.services import user_update
from crm.workdays import is_working_day
from integrations.models import MangoCall, MangoCommand, MangoRecording
from leads.models import Lead
from leads.services import lead_create

# The first extension of each role, the next person of the role taking the next number.
FIRST_EXTENSION = {Role.MANAGER: 101, Role.HEAD_OF_SALES: 201, Role.OFFICE_MANAGER: 200, Role.CALL_CENTRE: 301}
# The firm's line in each branch's city (the Moscow one is the number on the demo requisites).
LINES = {"Москва": "74951204567", "Санкт-Петербург": "78121204567"}
DEFAULT_LINE = LINES["Москва"]
# Callers no client or demo lead has: one per manager, each becomes a new request.
UNKNOWN_NUMBERS = ["79257000101", "79257000102", "79257000103"]
SEED = 17
DAYS_BACK = 14
DAY_STARTS, DAY_ENDS = time(9, 30), time(18, 30)
# Slots at least an hour apart: a call and its call back (≤ 50 min + talk) never overlap the next one.
SLOT_GAP_MINUTES = (60, 120)
LATE_MISSED_AT = time(18, 50)  # after the day's last slot: nothing follows it within the hour
# Generic slots: (direction, answered) and their weights.
SLOT_KINDS = [(("inbound", True), 40), (("inbound", False), 12), (("outbound", True), 30), (("outbound", False), 18)]
RECORDINGS = 3
RECORDED_MANAGER = "manager.msk"


@dataclass
class _Call:
    """A call planned before it is written: numbered by time once every manager's are known."""

    staff: User
    extension: str
    line: str
    number: str
    client: Client | None
    at: datetime
    direction: str
    answered: bool
    talk: int
    ring: int


@transaction.atomic
def seed_telephony() -> list[str]:
    created = []
    given = _give_extensions()
    if given:
        created.append(f"добавочные Mango: {given}")
    if MangoCall.objects.exists():
        return created
    calls = _write_calls(_plan_calls())
    if not calls:
        return created
    recordings = _write_recordings()
    commands = _write_command()
    created.append(f"звонки Mango: {len(calls)}, записи разговоров: {recordings}, звонки из CRM: {commands}")
    return created


# --- extensions -----------------------------------------------------------------------------------


def _give_extensions() -> int:
    """101, 102, … to the demo managers, 201, … to the heads, 200 to the office manager, 301 to the
    call-centre, in the order of the demo's staff list; someone who has one keeps it."""
    logins = [row[0] for row in demo.STAFF]
    users = {u.username: u for u in User.objects.filter(username__in=logins, is_active=True)}
    taken = set(User.objects.exclude(mango_extension="").values_list("mango_extension", flat=True))
    next_of = dict(FIRST_EXTENSION)
    given = 0
    for login in logins:
        user = users.get(login)
        if user is None or user.role not in next_of:
            continue
        extension = str(next_of[user.role])
        next_of[user.role] += 1
        if user.mango_extension or extension in taken:
            continue
        try:
            user_update(user=user, by=None, data={"mango_extension": extension})
        except DomainError:
            continue  # taken meanwhile, or the person no longer fits: the demo goes on without it
        taken.add(extension)
        given += 1
    return given


# --- calls ------------------------------------------------------------------------------------------


def _days() -> list[date]:
    today = timezone.localdate()
    days = [today - timedelta(days=n) for n in range(DAYS_BACK, 0, -1)]
    working = [d for d in days if is_working_day(d)]
    return working or days  # two weeks of holidays (never, but): every day then


def _at(day: date, moment: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment))


def _plan_calls() -> list[_Call]:
    rng = random.Random(SEED)
    days = _days()
    n = len(days)
    managers = User.objects.filter(
        username__in=[row[0] for row in demo.STAFF], role=Role.MANAGER, is_active=True
    ).select_related("branch")
    planned: list[_Call] = []
    for j, manager in enumerate(managers.order_by("pk")):
        numbers = _client_numbers(manager)
        if not numbers:
            continue
        line = LINES.get(manager.branch.city if manager.branch else "", DEFAULT_LINE)

        def call(client, number, at, direction, answered, *, manager=manager, line=line) -> _Call:
            talk = rng.randint(40, 400) if answered else 0
            ring = rng.randint(5, 25) if answered else rng.randint(20, 45)
            return _Call(manager, manager.mango_extension, line, number, client, at, direction, answered, talk, ring)

        # Which days carry the special calls (shifted per manager, so the log differs by person).
        special: dict[int, list[str]] = {}
        for kind, i in (("called_back", n // 4), ("unknown", n // 2), ("called_back", 3 * n // 4)):
            special.setdefault((i + j) % n, []).append(kind)
        late_missed_day = (n - 2 + j) % n if n > 1 else 0
        for i, day in enumerate(days):
            at = _at(day, DAY_STARTS) + timedelta(minutes=rng.randint(0, 40))
            kinds = list(special.get(i, []))
            while at.time() <= DAY_ENDS:
                client, number = rng.choice(numbers)
                kind = kinds.pop(0) if kinds else None
                if kind == "called_back":
                    planned.append(call(client, number, at, "inbound", False))
                    back = at + timedelta(minutes=rng.randint(10, 50))
                    planned.append(call(client, number, back, "outbound", True))
                elif kind == "unknown":
                    planned.append(call(None, UNKNOWN_NUMBERS[j % len(UNKNOWN_NUMBERS)], at, "inbound", True))
                else:
                    (direction, answered) = rng.choices([k for k, _ in SLOT_KINDS], [w for _, w in SLOT_KINDS])[0]
                    planned.append(call(client, number, at, direction, answered))
                at += timedelta(minutes=rng.randint(*SLOT_GAP_MINUTES))
            if i == late_missed_day:
                # Missed at the end of the day and not called back within the hour.
                client, number = rng.choice(numbers)
                late = _at(day, LATE_MISSED_AT) + timedelta(minutes=rng.randint(0, 5))
                planned.append(call(client, number, late, "inbound", False))
    return sorted(planned, key=lambda c: (c.at, c.staff.pk))


def _client_numbers(manager: User) -> list[tuple[Client, str]]:
    """The manager's clients still worked with, by their first phone."""
    clients = (
        Client.objects.filter(manager=manager, merged_into__isnull=True)
        .filter(status__in=[Client.Status.ACTIVE, Client.Status.ABANDONED])
        .prefetch_related("phones")
        .order_by("pk")
    )
    numbers = []
    for client in clients:
        phone = min(client.phones.all(), key=lambda p: p.pk, default=None)
        if phone is not None and phone.number_norm:
            numbers.append((client, phone.number_norm))
    return numbers


def _write_calls(planned: list[_Call]) -> list[MangoCall]:
    rows = []
    for n, p in enumerate(planned, start=1):
        entry_id = f"demo-{n}"
        inbound = p.direction == "inbound"
        connected = p.at + timedelta(seconds=p.ring) if p.answered else None
        ended = connected + timedelta(seconds=p.talk) if connected else p.at + timedelta(seconds=p.ring)
        rows.append(
            MangoCall(
                entry_id=entry_id,
                direction=MangoCall.Direction.INBOUND if inbound else MangoCall.Direction.OUTBOUND,
                from_number=p.number if inbound else p.line,
                from_extension="" if inbound else p.extension,
                to_number=p.line if inbound else p.number,
                to_extension=p.extension if inbound else "",
                line_number=p.line,
                state="Disconnected",
                last_seq=3 if p.answered else 2,
                appeared_at=p.at,
                connected_at=connected,
                ended_at=ended,
                talk_seconds=p.talk,
                answered=p.answered,
                client=p.client,
                lead=_lead_for(entry_id, p) if inbound and p.client is None else None,
                staff=p.staff,
                logged=True,
                updated_at=ended,
            )
        )
    return MangoCall.objects.bulk_create(rows)


def _lead_for(entry_id: str, p: _Call) -> Lead:
    """The request a call from an unknown number became, as the worker makes it, dated by the call."""
    lead, created = lead_create(
        by=None,
        source="call",
        phone=p.number,
        message=f"Входящий звонок на линию {format_phone(p.line)}",
        idempotency_key=f"mango:{entry_id}",
    )
    if created:
        Lead.objects.filter(pk=lead.pk).update(created_at=p.at)
    return lead


# --- recordings and a call from the CRM -----------------------------------------------------------


def silent_wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A valid WAV of silence (mono, 16-bit), small enough for the demo to carry."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(rate * seconds))
    return out.getvalue()


def _write_recordings() -> int:
    """One recording on the latest answered call of each of manager.msk's first clients."""
    manager = User.objects.filter(username=RECORDED_MANAGER).first()
    if manager is None:
        return 0
    audio = silent_wav()
    made = 0
    for client, _ in _client_numbers(manager):
        call = MangoCall.objects.filter(client=client, answered=True).order_by("-appeared_at").first()
        if call is None:
            continue
        made += 1
        recording = MangoRecording(
            recording_id=f"demo-rec-{made}",
            entry_id=call.entry_id,
            call=call,
            extension=manager.mango_extension,
            content_type="audio/wav",
            size=len(audio),
            created_at=call.ended_at,
            fetched_at=call.ended_at + timedelta(minutes=2),
        )
        recording.file.save(f"demo-rec-{made}.wav", ContentFile(audio), save=False)
        recording.save()
        if made == RECORDINGS:
            break
    return made


def _write_command() -> int:
    """manager.msk's «Позвонить» on a client's card that went through: the outbound call it made."""
    manager = User.objects.filter(username=RECORDED_MANAGER).first()
    if manager is None:
        return 0
    call = (
        MangoCall.objects.filter(staff=manager, direction=MangoCall.Direction.OUTBOUND, answered=True)
        .exclude(client=None)
        .order_by("-appeared_at")
        .first()
    )
    if call is None:
        return 0
    MangoCommand.objects.create(
        command_id="demo-callback-1",
        kind=MangoCommand.Kind.CALLBACK,
        state=MangoCommand.State.DONE,
        from_extension=manager.mango_extension,
        to_number=call.to_number,
        requested_by=manager,
        client=call.client,
        answer_code=1000,
        result_code=1000,
        created_at=call.appeared_at - timedelta(seconds=5),
        result_at=call.connected_at or call.appeared_at,
    )
    return 1
