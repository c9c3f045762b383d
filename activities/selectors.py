"""Reads for «дела» and calendars: «Мои дела», the 14/30-day rule, abandoned clients, the pool, free slots."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from activities.models import Activity, ActivitySettings
from clients.models import Client
from clients.selectors import clients_visible_to
from crm import access
from crm.models import Branch, User
from crm.pipelines import CLOSED
from crm.workdays import is_working_day
from deals.models import Deal, Hearing
from deals.selectors import deals_visible_to

LIST_LIMIT = 200


def working_hours(
    user: User, day: date, settings: ActivitySettings | None = None, working: bool | None = None
) -> tuple[time, time] | None:
    """The manager's hours that day, or None on a day off (`working`: the calendar's answer, if known)."""
    working = is_working_day(day) if working is None else working
    own = {h.weekday: h for h in user.working_hours.all()}
    if own:
        hours = own.get(day.weekday())
        return (hours.start, hours.end) if hours and working else None
    if not working:
        return None
    settings = settings or ActivitySettings.load()
    return settings.day_start, settings.day_end


def activities_visible_to(user: User) -> QuerySet[Activity]:
    """Activities on the records `user` may open, plus their own and those they booked."""
    rule = access.activities_q(
        user,
        cases=Q(client__in=clients_visible_to(user)),
        # The intake desk reschedules and cancels any booking (contact fields and times only).
        meetings=Q(kind__in=[Activity.Kind.MEETING, Activity.Kind.REMOTE]),
    )
    return Activity.objects.filter(rule)


def client_for_booking(user: User, pk) -> Client | None:
    """The client a meeting or activity is for: the intake desk (call-centre, office) books for any
    client — it sees contact fields only; case workers only for the clients they may open."""
    if access.may_look_up_any_contact(user):
        return Client.objects.filter(pk=pk).first()
    return clients_visible_to(user).filter(pk=pk).first()


def activity_get_for_user(user: User, pk) -> Activity:
    activity = activities_visible_to(user).select_related("client", "deal", "lead", "responsible").filter(pk=pk).first()
    if activity is None:
        raise Http404
    return activity


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, start + timedelta(days=1)


@dataclass
class MyDay:
    inbound: list = field(default_factory=list)
    today: list = field(default_factory=list)
    overdue: list = field(default_factory=list)
    coming: list = field(default_factory=list)


def my_day(user: User, *, today: date | None = None, days_ahead: int = 7) -> MyDay:
    """Seed 004's day: inbound to handle, outbound due today, overdue, and the coming days. One query."""
    today = today or timezone.localdate()
    start, end = _day_bounds(today)
    rows = list(
        Activity.objects.filter(
            responsible_id=user.pk,
            status=Activity.Status.PLANNED,
            planned_at__lt=end + timedelta(days=days_ahead),
            external_uid="",  # busy time copied from an outside calendar is not a «дело» to do
        )
        .select_related("client", "deal", "lead")
        .order_by("planned_at", "pk")[:500]
    )
    day = MyDay()
    for a in rows:
        if a.direction == Activity.Direction.INBOUND:
            day.inbound.append(a)
        elif a.planned_at < start:
            day.overdue.append(a)
        elif a.planned_at < end:
            day.today.append(a)
        else:
            day.coming.append(a)
    return day


def _planned_within(days: int, *, on: str) -> Exists:
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    return Exists(
        Activity.objects.filter(
            **{on: OuterRef("pk")},
            status=Activity.Status.PLANNED,
            planned_at__gte=start,
            planned_at__lt=timezone.now() + timedelta(days=days),
        )
    )


def deals_breaking_rule(user: User, settings: ActivitySettings | None = None):
    """Active deals with no activity planned in the next N days (14 by default)."""

    settings = settings or ActivitySettings.load()
    return (
        deals_visible_to(user)
        .exclude(stage__in=CLOSED)
        .filter(~_planned_within(settings.deal_horizon_days, on="deal"))
        .select_related("client", "manager")
        .order_by("stage_changed_at", "pk")
    )


def clients_breaking_rule(user: User, settings: ActivitySettings | None = None):
    """Active clients without an active deal and with no activity planned in the next N days (30 by default)."""

    settings = settings or ActivitySettings.load()
    open_deal = Exists(Deal.objects.filter(client=OuterRef("pk")).exclude(stage__in=CLOSED))
    return (
        clients_visible_to(user)
        .filter(status=Client.Status.ACTIVE, manager__isnull=False)
        .filter(~open_deal, ~_planned_within(settings.client_horizon_days, on="client"))
        .select_related("manager")
        .order_by("pk")
    )


COUNT_CAP = 999


def capped_count(qs) -> int:
    """COUNT over at most COUNT_CAP + 1 rows: a director's «1000+» costs the same at a million deals."""
    return qs.order_by()[: COUNT_CAP + 1].count()


def rule_summary(user: User) -> dict:
    """For the home pages and «Мои дела»: counts and the first rows of each list."""
    settings = ActivitySettings.load()
    deals = deals_breaking_rule(user, settings)
    clients = clients_breaking_rule(user, settings)
    return {
        "deals": list(deals[:20]),
        "deals_count": capped_count(deals),
        "clients": list(clients[:20]),
        "clients_count": capped_count(clients),
        "settings": settings,
        "cap": COUNT_CAP,
    }


def abandoned_candidates(*, now: datetime):
    """Active clients with no open deal, nothing planned and nothing done within the grace period."""

    grace = timedelta(days=ActivitySettings.load().abandon_grace_days)
    since = now - grace
    open_deal = Exists(Deal.objects.filter(client=OuterRef("pk")).exclude(stage__in=CLOSED))
    planned = Exists(Activity.objects.filter(client=OuterRef("pk"), status=Activity.Status.PLANNED))
    recent = Exists(Activity.objects.filter(client=OuterRef("pk"), created_at__gte=since))
    return (
        Client.objects.filter(
            status=Client.Status.ACTIVE, manager__isnull=False, created_at__lt=since, merged_into__isnull=True
        )
        .filter(~open_deal, ~planned, ~recent)
        .order_by("pk")
    )


def clients_in_state(user: User, status: str) -> QuerySet[Client]:
    """Abandoned, pool or lost clients the user oversees (heads: branch; director: all; office: pool, abandoned)."""
    rule = access.client_state_rows_q(user, status)
    # A merged duplicate is no longer listed: its survivor is.
    qs = Client.objects.filter(rule, status=status, merged_into__isnull=True)
    return qs.select_related("manager", "branch").order_by("pk")


def calendar_owners(user: User, *, branch_id: int | None = None) -> QuerySet[User]:
    """Whose calendars there are: managers and heads; everyone on staff may read them."""
    if not access.is_active_staff(user):
        return User.objects.none()
    qs = User.objects.filter(access.owners_q(), branch__isnull=False)
    if branch_id:
        qs = qs.filter(branch_id=branch_id)
    return qs.select_related("branch").order_by("branch__name", "full_name")


def calendar_get_owner(user: User, pk) -> User:
    owner = calendar_owners(user).filter(pk=pk).first()
    if owner is None:
        # Not a sales calendar: perhaps a lawyer's court calendar, read by the lawyer and the branch's heads.
        owner = User.objects.filter(pk=pk).select_related("branch").first()
        if owner is None or not access.may_read_calendar_of(user, owner):
            raise Http404
    return owner


@dataclass
class HearingEntry:
    """One court hearing on a calendar: a recorded hearing, or the next one it set."""

    at: datetime
    deal: Deal
    is_next: bool = False


def calendar_hearings(viewer: User, owner: User, start: date, end: date) -> list[HearingEntry]:
    """The hearings of the owner's cases between two dates (end exclusive), only of deals the viewer may open.

    A lawyer's cases are the deals they may open (the branch's contracted ones). A hearing's
    «следующее заседание» shows too until it is recorded as a hearing of its own. One query.
    """
    if not access.keeps_court_calendar(owner):
        return []
    lo, _ = _day_bounds(start)
    hi, _ = _day_bounds(end)
    deals = deals_visible_to(viewer).filter(access.deals_q(owner))
    rows = list(
        Hearing.objects.filter(deal__in=deals)
        .filter(Q(date__gte=lo, date__lt=hi) | Q(next_date__gte=lo, next_date__lt=hi))
        .select_related("deal__client")
        .order_by("date", "pk")[:LIST_LIMIT]
    )
    recorded = {(h.deal_id, h.date) for h in rows}
    entries = [HearingEntry(h.date, h.deal) for h in rows if lo <= h.date < hi]
    entries += [
        HearingEntry(h.next_date, h.deal, is_next=True)
        for h in rows
        if h.next_date and lo <= h.next_date < hi and (h.deal_id, h.next_date) not in recorded
    ]
    return sorted(entries, key=lambda e: (e.at, e.deal.pk))


@dataclass
class CalendarColumn:
    owner: User
    entries: list


def branch_calendars_day(user: User, *, branch: Branch, day: date) -> list[CalendarColumn]:
    """The branch's managers side by side for one day, each with their entries. Three queries.

    Details (who, about what) only where the viewer may open the activity, as on a single calendar.
    """
    if not access.may_see_branch_calendars(user, branch.pk):
        return []
    owners = list(calendar_owners(user, branch_id=branch.pk))
    lo, hi = _day_bounds(day)
    entries = list(
        Activity.objects.filter(responsible__in=owners, planned_at__gte=lo, planned_at__lt=hi)
        .exclude(status=Activity.Status.CANCELLED)
        .select_related("client", "lead")
        .order_by("planned_at", "pk")[: LIST_LIMIT * 5]
    )
    visible = set(activities_visible_to(user).filter(pk__in=[e.pk for e in entries]).values_list("pk", flat=True))
    by_owner: dict[int, list[Activity]] = {}
    for e in entries:
        e.details_visible = e.pk in visible
        by_owner.setdefault(e.responsible_id, []).append(e)
    return [CalendarColumn(o, by_owner.get(o.pk, [])) for o in owners]


def calendar_entries(viewer: User, owner: User, start: date, end: date) -> list[Activity]:
    """The manager's planned and done entries between two dates (end exclusive).

    Everyone on staff reads a manager's schedule, but who the meeting is with and
    what it is about only where the viewer may open that activity: a lawyer sees
    «Встреча 10:00–11:00», not a client who has no contract yet (`e.details_visible`).
    """
    lo, _ = _day_bounds(start)
    hi, _ = _day_bounds(end)
    entries = list(
        Activity.objects.filter(responsible=owner, planned_at__gte=lo, planned_at__lt=hi)
        .exclude(status=Activity.Status.CANCELLED)
        .select_related("client", "lead", "booked_by")
        .order_by("planned_at", "pk")[:LIST_LIMIT]
    )
    visible = set(activities_visible_to(viewer).filter(pk__in=[e.pk for e in entries]).values_list("pk", flat=True))
    for e in entries:
        e.details_visible = e.pk in visible
    return entries


@dataclass
class Slot:
    start: datetime
    end: datetime
    free: bool
    busy_with: str = ""


@dataclass
class ManagerDay:
    manager: User
    hours: tuple | None
    slots: list[Slot]


def free_slots(user: User, *, branch: Branch, day: date) -> list[ManagerDay]:
    """Every manager of the branch side by side: slots of the working day, free or taken. Two queries."""
    settings = ActivitySettings.load()
    managers = list(calendar_owners(user, branch_id=branch.pk).prefetch_related("working_hours"))
    lo, hi = _day_bounds(day)
    taken = Activity.objects.filter(
        responsible__in=managers,
        status=Activity.Status.PLANNED,
        ends_at__isnull=False,
        planned_at__lt=hi,
        ends_at__gt=lo,
    ).select_related("client", "lead")
    by_manager: dict[int, list[Activity]] = {}
    for a in taken:
        by_manager.setdefault(a.responsible_id, []).append(a)
    now = timezone.now()
    working = is_working_day(day)
    step = timedelta(minutes=settings.slot_minutes)
    result = []
    for m in managers:
        hours = working_hours(m, day, settings, working)
        slots = []
        if hours:
            cursor = timezone.make_aware(datetime.combine(day, hours[0]))
            close = timezone.make_aware(datetime.combine(day, hours[1]))
            while cursor + step <= close:
                end = cursor + step
                clash = next((a for a in by_manager.get(m.pk, ()) if a.planned_at < end and a.ends_at > cursor), None)
                if cursor >= now:
                    busy = "" if clash is None else clash.get_kind_display()
                    slots.append(Slot(cursor, end, clash is None, busy))
                cursor = end
        result.append(ManagerDay(m, hours, slots))
    return result
