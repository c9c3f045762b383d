"""Writes for «дела» and the calendar, by the firm's «Мои дела» method: planning, closing with a result
and the next step, booking meetings without overlaps, abandoned clients, the pool and «потерян окончательно»."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity, ActivitySettings, PoolRule
from activities.selectors import abandoned_candidates, working_hours
from clients.models import Client, TimelineEntry
from clients.services import timeline_add
from crm import access, outbox, stale
from crm.errors import DomainError
from crm.models import AuditEntry, Branch, User
from crm.notifications import notify
from crm.roles import Role
from crm.services import audit_record
from crm.workdays import add_working_days
from deals.models import Deal
from deals.selectors import active_deal_of
from leads.services import lead_record_response

Action = AuditEntry.Action
Kind = Activity.Kind
BOOKABLE = (Kind.MEETING, Kind.REMOTE)
# Outside calendars follow this event (integrations subscribe; this app never imports them).
ACTIVITY_CHANGED = "activity.changed"


def _calendar_changed(activity: Activity, reason: str) -> None:
    if activity.kind in Activity.CALENDAR_KINDS and not activity.external_uid:
        outbox.publish(ACTIVITY_CHANGED, key=activity.pk, reason=reason)


def _aware(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at))


def _timeline(activity: Activity, text: str, by: User | None) -> None:
    if activity.client_id:
        timeline_add(
            client=activity.client,
            deal=activity.deal,
            kind=TimelineEntry.Kind.ACTIVITY,
            text=text,
            actor=by,
            data={"activity": activity.pk},
        )


def activity_url(activity: Activity) -> str:
    """Where a notification about this activity leads: its own page, not «Мои дела»."""
    return reverse("activities:activity_detail", args=[activity.pk])


def _describe(activity: Activity) -> str:
    when = timezone.localtime(activity.planned_at)
    return f"{activity.get_kind_display()} {when:%d.%m.%Y %H:%M}" + (
        f": {activity.subject}" if activity.subject else ""
    )


def _check_subject(*, client, deal, lead) -> tuple:
    if deal is not None:
        client = deal.client
    if client is None and lead is None:
        raise DomainError("Укажите клиента, сделку или обращение.", field="client")
    if client is None and lead is not None and lead.client_id:
        client = lead.client
    return client, deal, lead


def _check_owner(manager: User | None, *, field: str = "responsible") -> User:
    if manager is None:
        raise DomainError("Укажите менеджера.", field=field)
    if not manager.is_active:
        raise DomainError(f"{manager.full_name} не работает.", field=field)
    return manager


def _default_deal(client: Client | None):
    """Seed 004: an activity belongs to the active deal when there is one, else to the client."""
    if client is None:
        return None

    return active_deal_of(client)


PLAN_FORBIDDEN = "Планировать дела по клиенту может тот, кто ведёт его дело."


@transaction.atomic
def activity_plan(
    *,
    by: User,
    kind: str,
    planned_at: datetime,
    responsible: User | None = None,
    client: Client | None = None,
    deal=None,
    lead=None,
    subject: str = "",
    direction: str = Activity.Direction.OUTBOUND,
) -> Activity:
    """Plan a call, letter, message… on a client `by` may open (meetings go through meeting_book)."""
    return _plan(
        by=by,
        kind=kind,
        planned_at=planned_at,
        responsible=responsible,
        client=client,
        deal=deal,
        lead=lead,
        subject=subject,
        direction=direction,
        access_checked=False,
    )


def _plan(
    *,
    by: User,
    kind: str,
    planned_at: datetime,
    responsible: User | None,
    client: Client | None,
    deal,
    lead,
    subject: str,
    direction: str,
    access_checked: bool,
) -> Activity:
    """`access_checked`: the caller has already decided `by` may act here (closing an
    activity they are responsible for with the next step; a head's reanimation)."""
    if kind in Activity.CALENDAR_KINDS:
        raise DomainError("Встречу и консультацию записывают в календарь менеджера.", field="kind")
    if kind not in Kind.values:
        raise DomainError("Выберите вид дела.", field="kind")
    _check_horizon(planned_at, field="planned_at")
    client, deal, lead = _check_subject(client=client, deal=deal, lead=lead)
    if not access_checked and client is not None and not access.can_plan_activity_for(by, client):
        raise DomainError(PLAN_FORBIDDEN, code="forbidden")
    deal = deal or _default_deal(client)
    responsible = _check_owner(
        responsible or (deal.manager if deal else None) or (client.manager if client else None) or by
    )
    if direction == Activity.Direction.OUTBOUND and planned_at < timezone.now() - timedelta(minutes=5):
        raise DomainError("Исходящее дело планируют на будущее время.", field="planned_at")
    activity = Activity.objects.create(
        kind=kind,
        direction=direction,
        subject=subject.strip()[:300],
        client=client,
        deal=deal,
        lead=lead,
        responsible=responsible,
        branch_id=responsible.branch_id or (client.branch_id if client else None),
        planned_at=planned_at,
        booked_by=by,
    )
    stale.mark(stale.ACTIVITY, planned_at)
    prefix = "Входящее" if direction == Activity.Direction.INBOUND else "Запланировано"
    _timeline(activity, f"{prefix}: {_describe(activity)}, {responsible.short_name}", by)
    if responsible.pk != by.pk:
        notify(users=[responsible], text=f"Новое дело: {_describe(activity)}", url=activity_url(activity), skip=by)
    if client is not None and client.status == Client.Status.ABANDONED:
        _back_to_work(client, by)
    return activity


def _back_to_work(client: Client, by: User | None) -> None:
    """A planned activity brings an abandoned client back to work; the change is audited like any other."""
    was = Client.Status.ABANDONED
    if Client.objects.filter(pk=client.pk, status=was).update(
        status=Client.Status.ACTIVE, status_changed_at=timezone.now()
    ):
        client.status = Client.Status.ACTIVE
        audit_record(
            actor=by, action=Action.UPDATE, target=client, changes={"status": [was.value, Client.Status.ACTIVE.value]}
        )


@transaction.atomic
def activity_complete(*, activity: Activity, by: User, result: str, next_plan: dict | None = None) -> Activity:
    """Done in one step with a result; the next activity may be planned in the same step."""
    activity = Activity.objects.select_for_update(of=("self",)).select_related("client", "deal").get(pk=activity.pk)
    if activity.status != Activity.Status.PLANNED:
        raise DomainError(f"Дело уже {activity.get_status_display().lower()}.", code="state")
    if by.pk != activity.responsible_id and not access.can_manage_branch(by, activity.branch_id):
        raise DomainError("Закрыть дело может его ответственный или руководитель.", code="forbidden")
    result = (result or "").strip()
    if not result:
        raise DomainError("Напишите результат дела.", field="result")
    activity.status = Activity.Status.DONE
    activity.result = result
    activity.done_at = timezone.now()
    activity.save(update_fields=["status", "result", "done_at"])
    stale.mark(stale.ACTIVITY, activity.planned_at)
    if activity.lead_id:
        # A call made or a consultation held on a request is its answer (the first one counts).
        lead_record_response(lead_id=activity.lead_id, at=activity.done_at)
    _timeline(activity, f"{_describe(activity)} — выполнено: {result}", by)
    if next_plan:
        kind = next_plan["kind"]
        common = {"by": by, "client": activity.client, "deal": activity.deal, "lead": activity.lead}
        if kind in BOOKABLE:
            meeting_book(
                manager=activity.responsible,
                kind=kind,
                starts_at=next_plan["planned_at"],
                ends_at=next_plan.get("ends_at")
                or next_plan["planned_at"] + timedelta(minutes=ActivitySettings.load().slot_minutes),
                subject=next_plan.get("subject", ""),
                **common,
            )
        else:
            # The next step on the same subject: `by` closed this activity, so may plan it.
            _plan(
                kind=kind,
                planned_at=next_plan["planned_at"],
                responsible=activity.responsible,
                subject=next_plan.get("subject", ""),
                direction=Activity.Direction.OUTBOUND,
                access_checked=True,
                **common,
            )
    audit_record(actor=by, action=AuditEntry.Action.UPDATE, target=activity, changes={"status": activity.status})
    return activity


def lead_activities_to_client(*, lead, client: Client, deal, by: User | None) -> int:
    """On a lead's conversion (crm/relink.py): its «дела» — the consultation the call-centre booked —
    belong to the new client and deal, so the deal is not «без дела» and a result recorded later
    reaches the client's history; the planned ones open the client's timeline too."""
    rows = list(Activity.objects.filter(lead=lead).select_related("responsible").order_by("planned_at", "pk"))
    Activity.objects.filter(lead=lead, client__isnull=True).update(client=client)
    Activity.objects.filter(lead=lead, deal__isnull=True).update(deal=deal)
    for activity in rows:
        activity.client, activity.deal = client, activity.deal or deal
        if activity.status == Activity.Status.PLANNED:
            text = f"Записан(а) по обращению: {_describe(activity)}, {activity.responsible.short_name}"
            _timeline(activity, text, by)
    return len(rows)


# --- the calendar -----------------------------------------------------------------


# How far ahead «дела» and meetings may be planned, and how far back an inbound one may be recorded:
# a date past these is a typo (9999-12-31, 0001-01-01), not a plan.
PLAN_AHEAD = timedelta(days=366)
RECORD_BACK = timedelta(days=366)


def _check_horizon(when: datetime, *, field: str) -> None:
    now = timezone.now()
    if when > now + PLAN_AHEAD:
        raise DomainError("Планировать можно не дальше чем на год вперёд.", field=field)
    if when < now - RECORD_BACK:
        raise DomainError("Дата дела — не раньше чем год назад.", field=field)


def _check_slot(manager: User, starts_at: datetime, ends_at: datetime, *, exclude_pk=None) -> None:
    _check_horizon(starts_at, field="starts_at")
    if ends_at <= starts_at:
        raise DomainError("Конец встречи должен быть позже начала.", field="ends_at")
    if starts_at < timezone.now():
        raise DomainError("Нельзя записать на прошедшее время.", field="starts_at")
    if ends_at - starts_at > timedelta(hours=8):
        raise DomainError("Встреча не может длиться дольше 8 часов.", field="ends_at")
    local_start, local_end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    hours = working_hours(manager, local_start.date())
    if hours is None:
        raise DomainError(f"{local_start:%d.%m.%Y} у менеджера {manager.short_name} выходной.", field="starts_at")
    if local_start.time() < hours[0] or local_end.time() > hours[1] or local_end.date() != local_start.date():
        raise DomainError(
            f"{manager.short_name} работает с {hours[0]:%H:%M} до {hours[1]:%H:%M}: выберите время в эти часы.",
            field="starts_at",
        )
    clash = (
        Activity.objects.filter(
            responsible=manager,
            status=Activity.Status.PLANNED,
            ends_at__isnull=False,
            planned_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .exclude(pk=exclude_pk)
        .first()
    )
    if clash is not None:
        raise _overlap(manager, clash)


def _overlap(manager: User, clash: Activity | None = None) -> DomainError:
    if clash is None:
        return DomainError(f"{manager.short_name}: это время уже занято.", field="starts_at", code="overlap")
    start, end = timezone.localtime(clash.planned_at), timezone.localtime(clash.ends_at)
    return DomainError(
        f"{manager.short_name}: это время уже занято — {clash.get_kind_display().lower()} "
        f"{start:%d.%m.%Y %H:%M}–{end:%H:%M}.",
        field="starts_at",
        code="overlap",
    )


def meeting_book(
    *,
    by: User,
    manager: User | None,
    starts_at: datetime,
    ends_at: datetime,
    kind: str = Kind.MEETING,
    client: Client | None = None,
    deal=None,
    lead=None,
    location: str = "",
    subject: str = "",
) -> Activity:
    """Book a meeting or remote consultation into a manager's free time; an overlap is refused.

    The manager's row is locked first so bookings for one manager queue up
    and the loser gets a clear message; on PostgreSQL the exclusion
    constraint is the last word should anything slip past the check.
    """
    if kind not in (*BOOKABLE, Kind.BUSY):
        raise DomainError("Записать можно встречу или дистанционную консультацию.", field="kind")
    manager = _check_owner(manager, field="manager")
    if not access.has_calendar(manager):
        raise DomainError("Записывать можно к менеджеру или РОП филиала.", field="manager")
    if not access.can_book_for(by, manager):
        raise DomainError("Вы не можете записывать к этому менеджеру.", code="forbidden")
    if kind != Kind.BUSY:
        client, deal, lead = _check_subject(client=client, deal=deal, lead=lead)
        deal = deal or _default_deal(client)
    place = Activity.Place.REMOTE if kind == Kind.REMOTE else Activity.Place.OFFICE
    if kind == Kind.REMOTE and not location.strip():
        raise DomainError("Для дистанционной консультации укажите ссылку или телефон.", field="location")
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=manager.pk).first()
            _check_slot(manager, starts_at, ends_at)
            activity = Activity.objects.create(
                kind=kind,
                direction=Activity.Direction.OUTBOUND,
                subject=subject.strip()[:300],
                client=client,
                deal=deal,
                lead=lead,
                responsible=manager,
                branch_id=manager.branch_id,
                planned_at=starts_at,
                ends_at=ends_at,
                place=place if kind != Kind.BUSY else "",
                location=location.strip() or (f"Офис, {manager.branch.name}" if kind == Kind.MEETING else ""),
                booked_by=by,
            )
            stale.mark(stale.ACTIVITY, starts_at)
            _calendar_changed(activity, "записано")
            if kind != Kind.BUSY:
                _timeline(activity, f"Записан(а): {_describe(activity)}, менеджер {manager.short_name}", by)
                audit_record(actor=by, action=Action.CREATE, target=activity, changes={"manager": str(manager)})
                notify(
                    users=[manager],
                    text=f"{by.short_name} записал(а) к вам: {_describe(activity)} — {activity.who}",
                    url=activity_url(activity),
                    skip=by,
                )
    except IntegrityError:
        raise _overlap(manager) from None
    return activity


@transaction.atomic
def meeting_reschedule(*, activity: Activity, by: User, starts_at: datetime, ends_at: datetime) -> Activity:
    activity = Activity.objects.select_for_update(of=("self",)).select_related("responsible").get(pk=activity.pk)
    if activity.kind not in Activity.CALENDAR_KINDS or activity.status != Activity.Status.PLANNED:
        raise DomainError("Перенести можно только запланированную встречу.", code="state")
    if activity.external_uid:
        raise DomainError("Это время занято во внешнем календаре: измените его там.", code="state")
    if not access.can_book_for(by, activity.responsible):
        raise DomainError("Вы не можете переносить встречи этого менеджера.", code="forbidden")
    User.objects.select_for_update().filter(pk=activity.responsible_id).first()
    _check_slot(activity.responsible, starts_at, ends_at, exclude_pk=activity.pk)
    old = _describe(activity)
    was = activity.planned_at
    activity.planned_at, activity.ends_at = starts_at, ends_at
    try:
        with transaction.atomic():
            activity.save(update_fields=["planned_at", "ends_at"])
    except IntegrityError:
        raise _overlap(activity.responsible) from None
    stale.mark(stale.ACTIVITY, was, starts_at)
    _calendar_changed(activity, "перенесено")
    _timeline(activity, f"Перенесено: {old} → {timezone.localtime(starts_at):%d.%m.%Y %H:%M}", by)
    notify(
        users=[activity.responsible],
        text=f"Встреча перенесена: {old} → {_describe(activity)}",
        url=activity_url(activity),
        skip=by,
    )
    audit_record(
        actor=by,
        action=AuditEntry.Action.UPDATE,
        target=activity,
        changes={"planned_at": activity.planned_at.isoformat()},
    )
    return activity


@transaction.atomic
def meeting_cancel(*, activity: Activity, by: User, reason: str = "") -> Activity:
    activity = Activity.objects.select_for_update(of=("self",)).select_related("responsible").get(pk=activity.pk)
    if activity.status != Activity.Status.PLANNED:
        raise DomainError("Дело уже закрыто.", code="state")
    if activity.external_uid:
        raise DomainError("Это время занято во внешнем календаре: удалите событие там.", code="state")
    if not access.can_book_for(by, activity.responsible) and by.pk != activity.responsible_id:
        raise DomainError("Вы не можете отменять встречи этого менеджера.", code="forbidden")
    activity.status = Activity.Status.CANCELLED
    activity.result = (reason or "").strip() or "Отменено"
    activity.done_at = timezone.now()
    activity.save(update_fields=["status", "result", "done_at"])
    stale.mark(stale.ACTIVITY, activity.planned_at)
    _calendar_changed(activity, "отменено")
    _timeline(activity, f"Отменено: {_describe(activity)}. {activity.result}", by)
    notify(users=[activity.responsible], text=f"Отменено: {_describe(activity)}", url=activity_url(activity), skip=by)
    audit_record(actor=by, action=AuditEntry.Action.UPDATE, target=activity, changes={"status": activity.status})
    return activity


@dataclass(frozen=True)
class BusyBlock:
    """Busy time from an outside calendar: [start, end) and the event's UID."""

    start: datetime
    end: datetime
    uid: str


def _subtract(start: datetime, end: datetime, taken: list[tuple[datetime, datetime]]):
    """[start, end) minus the taken intervals (sorted): the pieces that are still free of CRM entries."""
    pieces, cursor = [], start
    for lo, hi in taken:
        if hi <= cursor or lo >= end:
            continue
        if lo > cursor:
            pieces.append((cursor, lo))
        cursor = max(cursor, hi)
    if cursor < end:
        pieces.append((cursor, end))
    return pieces


@transaction.atomic
def external_busy_replace(*, user: User, blocks: list[BusyBlock], since: datetime, until: datetime) -> int:
    """Replace the user's busy time read back from their outside calendar within [since, until).

    One transaction, so the grid never sees the calendar half-read. Busy time
    is cut around the CRM's own planned entries (the time is taken anyway, and
    on PostgreSQL the no-overlap constraint would refuse the row); the user's
    row is locked first, as bookings do, so a booking cannot slip in between.
    No audit entry: this is a copy of someone else's data, refreshed every minute.
    """
    User.objects.select_for_update().filter(pk=user.pk).first()
    Activity.objects.filter(responsible=user, kind=Kind.BUSY).exclude(external_uid="").filter(
        planned_at__lt=until  # the past too: an old copy has nothing left to say
    ).delete()
    taken = list(
        Activity.objects.filter(
            responsible=user, status=Activity.Status.PLANNED, ends_at__gt=since, planned_at__lt=until
        )
        .exclude(ends_at__isnull=True)
        .order_by("planned_at")
        .values_list("planned_at", "ends_at")
    )
    merged: list[list] = []
    for b in sorted(blocks, key=lambda b: b.start):
        start, end = max(b.start, since), min(b.end, until)
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, b.uid])
    rows = [
        Activity(
            kind=Kind.BUSY,
            subject="Занято (внешний календарь)",
            responsible=user,
            branch_id=user.branch_id,
            planned_at=lo,
            ends_at=hi,
            external_uid=uid[:255] or "external",
        )
        for start, end, uid in merged
        for lo, hi in _subtract(start, end, taken)
    ]
    Activity.objects.bulk_create(rows)
    return len(rows)


# --- abandoned clients, the pool, lost for good ------------------------------------------


def _require_head(by: User, client: Client) -> None:
    if not access.can_manage_branch(by, client.branch_id):
        raise DomainError("Это решение принимает РОП филиала или директор.", code="forbidden")


def _newest_deal_stage(client: Client) -> str:
    """The stage the client is lost at (the heads' losses by stage): their newest deal's, '' with none."""
    return Deal.objects.filter(client=client).order_by("-id").values_list("stage", flat=True).first() or ""


def _cancel_planned(client: Client, result: str) -> None:
    """The client's planned «дела» are cancelled; their days' sums are marked stale."""
    # The rows read are the rows changed (by id), so no day escapes its mark.
    planned = dict(
        Activity.objects.filter(client=client, status=Activity.Status.PLANNED).values_list("id", "planned_at")
    )
    stale.mark(stale.ACTIVITY, *planned.values())
    Activity.objects.filter(id__in=list(planned), status=Activity.Status.PLANNED).update(
        status=Activity.Status.CANCELLED, result=result, done_at=timezone.now()
    )


@transaction.atomic
def client_to_pool(*, client: Client, by: User) -> Client:
    """An abandoned client is taken off the manager and put in the pool («отстойник»)."""
    _require_head(by, client)
    client = Client.objects.select_for_update().get(pk=client.pk)
    if client.status == Client.Status.LOST:
        raise DomainError("Клиент потерян окончательно.", code="state")
    old = client.manager
    client.status, client.manager, client.status_changed_at = Client.Status.POOL, None, timezone.now()
    client.loss_stage = _newest_deal_stage(client)
    client.save(update_fields=["status", "manager", "status_changed_at", "loss_stage"])
    _cancel_planned(client, "Клиент перенесён в отстойник")
    timeline_add(
        client=client,
        kind=TimelineEntry.Kind.ASSIGNMENT,
        text=f"Перенесён в отстойник (был у {old.short_name if old else '—'})",
        actor=by,
    )
    audit_record(actor=by, action=Action.UPDATE, target=client, changes={"status": "pool"})
    return client


@transaction.atomic
def client_reanimate(
    *,
    client: Client,
    by: User | None,
    manager: User,
    planned_at: datetime,
    subject: str = "Реанимация: напомнить о себе",
) -> Activity:
    """Give the client to a manager with a planned call: back to work."""
    if by is not None:
        _require_head(by, client)
    client = Client.objects.select_for_update().get(pk=client.pk)
    if client.status == Client.Status.LOST:
        raise DomainError("Клиент потерян окончательно и не реанимируется.", code="state")
    _check_owner(manager, field="manager")
    if not access.may_own_clients(manager) or manager.branch_id != client.branch_id:
        raise DomainError("Выберите менеджера филиала клиента.", field="manager")
    client.status, client.manager, client.status_changed_at = Client.Status.ACTIVE, manager, timezone.now()
    client.save(update_fields=["status", "manager", "status_changed_at"])
    timeline_add(
        client=client,
        kind=TimelineEntry.Kind.ASSIGNMENT,
        text=f"На реанимацию: {manager.short_name}",
        actor=by,
    )
    activity = _plan(
        by=by or manager,
        kind=Kind.CALL,
        planned_at=planned_at,
        responsible=manager,
        client=client,
        deal=None,
        lead=None,
        subject=subject,
        direction=Activity.Direction.OUTBOUND,
        access_checked=True,
    )
    notify(
        users=[manager],
        text=f"Клиент на реанимацию: {client.display_name}",
        url=reverse("clients:client_detail", args=[client.pk]),
        skip=by,
    )
    audit_record(actor=by, action=Action.UPDATE, target=client, changes={"status": "active", "manager": str(manager)})
    return activity


@transaction.atomic
def client_mark_lost(*, client: Client, by: User, reason: str) -> Client:
    """«Потерян окончательно»: only a head or the director; such a client never returns to reanimation."""
    if not access.may_mark_lost(by, client.branch_id):
        raise DomainError("«Потерян окончательно» решает РОП или директор.", code="forbidden")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Укажите причину.", field="reason")
    client = Client.objects.select_for_update().get(pk=client.pk)
    client.status, client.lost_reason, client.status_changed_at = Client.Status.LOST, reason[:500], timezone.now()
    client.loss_stage = _newest_deal_stage(client)
    client.save(update_fields=["status", "lost_reason", "status_changed_at", "loss_stage"])
    _cancel_planned(client, "Клиент потерян окончательно")
    timeline_add(client=client, kind=TimelineEntry.Kind.CHANGE, text=f"Потерян окончательно: {reason}", actor=by)
    audit_record(actor=by, action=Action.UPDATE, target=client, changes={"status": "lost", "reason": reason})
    return client


def clients_mark_abandoned(*, now: datetime | None = None) -> int:
    """Beat: active clients left with no planned activity past the grace period become abandoned."""

    now = now or timezone.now()
    marked = 0
    for client in abandoned_candidates(now=now)[:1000]:
        with transaction.atomic():
            if Client.objects.filter(pk=client.pk, status=Client.Status.ACTIVE).update(
                status=Client.Status.ABANDONED, status_changed_at=now, loss_stage=_newest_deal_stage(client)
            ):
                timeline_add(client=client, kind=TimelineEntry.Kind.CHANGE, text="Заброшен: нет запланированных дел")
                marked += 1
    return marked


def pool_hand_out(*, today: date | None = None) -> int:
    """Beat: by each branch head's rule, hand pool clients to the branch's managers with a call planned."""
    today = today or timezone.localdate()
    handed = 0
    for rule in PoolRule.objects.filter(is_active=True).select_related("branch"):
        if rule.last_run_on and rule.last_run_on + timedelta(days=rule.every_days) > today:
            continue
        handed += _hand_out_branch(rule.pk, today)
    return handed


@transaction.atomic
def _hand_out_branch(rule_id: int, today: date) -> int:
    rule = PoolRule.objects.select_for_update().select_related("branch").get(pk=rule_id)
    if rule.last_run_on and rule.last_run_on + timedelta(days=rule.every_days) > today:
        return 0  # another run got here first
    managers = list(User.objects.filter(branch=rule.branch, role=Role.MANAGER, is_active=True).order_by("id"))
    pool = list(
        Client.objects.filter(branch=rule.branch, status=Client.Status.POOL)
        .order_by("id")
        .select_for_update()[: rule.per_manager * len(managers)]
    )
    call_day = add_working_days(today, 1)
    call_at = _aware(call_day, time(10, 0))
    for i, client in enumerate(pool):
        client_reanimate(client=client, by=None, manager=managers[i % len(managers)], planned_at=call_at)
    rule.last_run_on = today
    rule.save(update_fields=["last_run_on"])
    return len(pool)


@transaction.atomic
def pool_rule_set(*, by: User, branch: Branch, per_manager: int, every_days: int, is_active: bool = True) -> PoolRule:
    if not access.can_manage_branch(by, branch.pk):
        raise DomainError("Правило раздачи задаёт РОП филиала или директор.", code="forbidden")
    if not 1 <= per_manager <= 50:
        raise DomainError("От 1 до 50 клиентов на менеджера.", field="per_manager")
    if not 1 <= every_days <= 90:
        raise DomainError("Раздавать можно раз в 1–90 дней.", field="every_days")
    rule, _ = PoolRule.objects.update_or_create(
        branch=branch,
        defaults={"per_manager": per_manager, "every_days": every_days, "is_active": is_active, "set_by": by},
    )
    audit_record(
        actor=by, action=Action.UPDATE, target=rule, changes={"per_manager": per_manager, "every_days": every_days}
    )
    return rule
