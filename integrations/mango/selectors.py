"""Reads of the telephony: the heads' call log («Звонки») by staff member and day."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Case, CharField, Count, Exists, F, IntegerField, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Replace, Right, TruncDate
from django.utils import timezone

from crm import access
from crm.errors import DomainError
from crm.models import User
from crm.phones import normalize_phone
from integrations.models import MangoCall

# A longer period is a different question (and a slower page): a quarter at most.
CALL_LOG_MAX_DAYS = 92
# A missed call counts as called back when the number is called (or calls and is answered) within this.
CALLED_BACK_WITHIN = timedelta(hours=1)
UNASSIGNED = "Не назначен"

_INBOUND, _OUTBOUND = MangoCall.Direction.INBOUND, MangoCall.Direction.OUTBOUND
# answered=None is a call whose end has not come yet: neither answered nor missed.
_MISSED = Q(direction=_INBOUND, answered=False)
# A missed call nobody on our side touched is the client's manager's to call back.
_MISSED_FOR_MANAGER = _MISSED & Q(staff__isnull=True, client__manager__isnull=False)


@dataclass
class CallLogRow:
    """One staff member's calls on one day (or the totals, with no person and no day)."""

    staff_id: int | None
    staff_name: str
    day: date | None
    total: int = 0
    inbound_answered: int = 0
    inbound_missed: int = 0
    outbound: int = 0
    talk_seconds: int = 0
    called_back: int = 0

    @property
    def talk_minutes(self) -> int:
        """Whole minutes, half a minute and more rounded up."""
        return (self.talk_seconds + 30) // 60

    @property
    def called_back_share(self) -> int | None:
        """Percent of the missed calls called back within the hour; None when none were missed."""
        if not self.inbound_missed:
            return None
        return round(100 * self.called_back / self.inbound_missed)


@dataclass
class CallLog:
    rows: list[CallLogRow]
    totals: CallLogRow = field(default_factory=lambda: CallLogRow(None, "Итого", None))


def _person():
    """Whose row a call goes in: our side of the call, else (a missed one) the client's manager."""
    return Case(
        When(staff__isnull=False, then=F("staff_id")),
        When(_MISSED_FOR_MANAGER, then=F("client__manager_id")),
        default=None,
        output_field=IntegerField(),
    )


def _person_name():
    return Case(
        When(staff__isnull=False, then=F("staff__full_name")),
        When(_MISSED_FOR_MANAGER, then=F("client__manager__full_name")),
        default=Value(UNASSIGNED),
        output_field=CharField(),
    )


def _scope(user) -> Q:
    """The calls in `user`'s log: access.call_log_q on the staff member, or for a missed call nobody
    answered, on the client's manager it is attributed to."""
    own = access.call_log_q(user)
    if not own:
        return own  # Q(): every call (an empty Q would swallow the OR below)
    return own | (_MISSED_FOR_MANAGER & access.call_log_q(user, staff="client__manager"))


def _bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    if date_to < date_from:
        raise DomainError("Конец периода раньше его начала.", field="date_to")
    if (date_to - date_from).days >= CALL_LOG_MAX_DAYS:
        raise DomainError(f"Период не длиннее {CALL_LOG_MAX_DAYS} дней.", field="date_from")
    start = timezone.make_aware(datetime.combine(date_from, time.min))
    return start, timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min))


def call_log_people(user):
    """The staff a user may pick in the log's «Сотрудник»: those with calls in the user's scope."""
    calls = MangoCall.objects.filter(_scope(user))
    return User.objects.filter(
        Exists(calls.filter(staff=OuterRef("pk")))
        | Exists(calls.filter(_MISSED_FOR_MANAGER, client__manager=OuterRef("pk")))
    ).order_by("full_name")


def call_log(user, *, date_from: date, date_to: date, staff_id: int | None = None) -> CallLog:
    """Calls per staff member and day in the period (at most CALL_LOG_MAX_DAYS days): total, inbound
    answered and missed, outbound, talk time, and missed calls called back within the hour.
    Three queries whatever the period: the figures, the missed calls, the calls that may answer them."""
    start, end = _bounds(date_from, date_to)
    calls = (
        MangoCall.objects.filter(appeared_at__gte=start, appeared_at__lt=end)
        .filter(_scope(user))
        .annotate(person=_person(), day=TruncDate("appeared_at"))
    )
    if staff_id is not None:
        calls = calls.filter(person=staff_id)
    figures = (
        calls.annotate(person_name=_person_name())
        .values("person", "person_name", "day")
        .annotate(
            total=Count("id"),
            inbound_answered=Count("id", filter=Q(direction=_INBOUND, answered=True)),
            inbound_missed=Count("id", filter=_MISSED),
            outbound=Count("id", filter=Q(direction=_OUTBOUND)),
            talk=Sum("talk_seconds", default=0),
        )
        .order_by()
    )
    rows = {
        (f["person"], f["day"]): CallLogRow(
            staff_id=f["person"],
            staff_name=f["person_name"],
            day=f["day"],
            total=f["total"],
            inbound_answered=f["inbound_answered"],
            inbound_missed=f["inbound_missed"],
            outbound=f["outbound"],
            talk_seconds=f["talk"] or 0,
        )
        for f in figures
    }
    for person, day in _called_back(calls.filter(_MISSED), end):
        rows[(person, day)].called_back += 1
    ordered = sorted(rows.values(), key=lambda r: (r.staff_id is None, r.staff_name, r.staff_id or 0, r.day))
    log = CallLog(rows=ordered)
    for row in ordered:
        for name in ("total", "inbound_answered", "inbound_missed", "outbound", "talk_seconds", "called_back"):
            setattr(log.totals, name, getattr(log.totals, name) + getattr(row, name))
    return log


def _called_back(missed, end: datetime) -> list[tuple[int | None, date]]:
    """(person, day) of each missed call that was called back within the hour: an outbound call to its
    number, or an answered inbound one from it, begun after it and not more than CALLED_BACK_WITHIN later."""
    missed_calls = list(missed.values_list("person", "day", "from_number", "appeared_at"))
    if not missed_calls:
        return []
    # Narrowed in SQL by the last ten digits (8… and 7… alike end the same), then the normalised number
    # decides: the answers come in one query, not one per missed call.
    tails = missed.annotate(tail=_tail("from_number")).values("tail")
    answers = (
        MangoCall.objects.filter(appeared_at__gte=min(m[3] for m in missed_calls))
        .filter(appeared_at__lte=end + CALLED_BACK_WITHIN)
        .annotate(to_tail=_tail("to_number"), from_tail=_tail("from_number"))
        .filter(Q(direction=_OUTBOUND, to_tail__in=tails) | Q(direction=_INBOUND, answered=True, from_tail__in=tails))
        .values_list("direction", "from_number", "to_number", "appeared_at")
    )
    answered_at: dict[str, list[tuple[datetime, bool]]] = {}
    for direction, from_number, to_number, at in answers:
        outbound = direction == _OUTBOUND
        number = normalize_phone(to_number if outbound else from_number)
        answered_at.setdefault(number, []).append((at, outbound))
    result = []
    for person, day, number, at in missed_calls:
        norm = normalize_phone(number)
        if norm and any(_answers(at, later, outbound) for later, outbound in answered_at.get(norm, ())):
            result.append((person, day))
    return result


def _tail(name: str):
    """The number's last ten digits, the punctuation people type in a number («+7 (916) 123-45-67») dropped."""
    expression = F(name)
    for sign in (" ", "-", "(", ")", "+", "."):
        expression = Replace(expression, Value(sign), Value(""))
    return Right(expression, 10)


def _answers(missed_at: datetime, at: datetime, outbound: bool) -> bool:
    # Our call back may start the same second; the client's own next call comes after the missed one.
    after = at >= missed_at if outbound else at > missed_at
    return after and at - missed_at <= CALLED_BACK_WITHIN
