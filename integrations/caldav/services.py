"""The Yandex.Calendar mirror: connections, CRM entries written into the owner's calendar, busy time read back.

CRM → calendar: each entry is one event at a URL we chose (`<calendar>/<uid>.ics`),
remembered with its ETag in `CalendarEvent`; updates and deletes go to that URL
with `If-Match`, so nothing is ever searched by UID (Yandex ignores UID filters).
Calendar → CRM: a time-range REPORT over the coming weeks, recurrences expanded
here, stored as the owner's «Занято» through the activities service.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import caldav
import icalendar
import recurring_ical_events
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from activities.models import Activity
from activities.services import BusyBlock, activity_url, external_busy_replace
from crm import access
from crm.models import AuditEntry, User
from crm.outbox import PermanentError, TransientError
from crm.secrets import SecretKeyMissing, SecretUnreadable, Vault
from crm.services import audit_record
from deals.models import Hearing
from integrations.caldav import client as dav
from integrations.models import CalendarConnection, CalendarEvent

logger = logging.getLogger(__name__)

KIND = "caldav.activity"
MOSCOW = ZoneInfo("Europe/Moscow")
UID_PREFIX = "crm-activity-"
# A calendar far in the past or future is not busy time anyone books around.
FAR_PAST = datetime(2000, 1, 1, tzinfo=MOSCOW)


_VAULT = Vault("CALDAV_SECRET_KEY", "Не задан ключ шифрования CALDAV_SECRET_KEY: подключение календаря невозможно.")


def encrypt(password: str) -> str:
    return _VAULT.encrypt(password)


def decrypt(token: str) -> str:
    try:
        return _VAULT.decrypt(token)
    except SecretUnreadable:
        raise PermanentError(
            "Пароль календаря не расшифровывается: ключ CALDAV_SECRET_KEY сменился, подключите заново."
        ) from None


# --- connecting -------------------------------------------------------------------------


@dataclass
class Check:
    ok: bool
    reason: str = ""
    field_name: str = "non_field_errors"
    calendar_url: str = ""
    names: list[str] = field(default_factory=list)


def _display_name(cal) -> str:
    try:
        return cal.get_display_name() or ""
    except Exception:  # a calendar without a name is not the one asked for
        return ""


def check(*, url: str, username: str, password: str, calendar: str) -> Check:
    """Log in, list the account's calendars, find the one named; say in Russian what is wrong."""
    problem = dav.url_problem(url)
    if problem:
        return Check(False, problem, "url")
    try:
        client = dav.make_client(url=url, username=username, password=password)
        cals = client.principal().calendars()
        names = {_display_name(c): str(c.url) for c in cals}
    except dav.AuthorizationError:
        return Check(
            False,
            "Сервер не принял логин или пароль. Нужен пароль приложения для календаря "
            "(id.yandex.ru → Безопасность → Пароли приложений → «Календарь CalDAV»), а не пароль от почты.",
            "password",
        )
    except dav.RateLimitError:
        return Check(False, "Сервер календаря просит подождать (слишком много запросов). Попробуйте через минуту.")
    except dav.TRANSPORT_ERRORS as exc:
        logger.info("caldav check: %s unreachable: %s", url, type(exc).__name__)
        return Check(
            False,
            "Сервер календаря недоступен или отвечает слишком медленно. Проверьте адрес и попробуйте позже.",
            "url",
        )
    except Exception as exc:  # a server that is not CalDAV answers with anything at all
        logger.info("caldav check: %s refused: %s", url, type(exc).__name__)
        return Check(False, "По этому адресу не отвечает сервер календарей CalDAV. Проверьте адрес.", "url")
    found = sorted(n for n in names if n)
    if calendar not in names:
        listed = ", ".join(f"«{n}»" for n in found) or "ни одного"
        return Check(
            False,
            f"Календарь «{calendar}» не найден. Календари этой учётной записи: {listed}.",
            "calendar",
            names=found,
        )
    return Check(True, calendar_url=names[calendar], names=found)


def connection_get(user: User) -> CalendarConnection | None:
    return CalendarConnection.objects.filter(user=user).first()


def connection_save(
    *, user: User, url: str, username: str, password: str, calendar: str
) -> tuple[CalendarConnection | None, Check]:
    """Connect (or reconnect) the user's calendar: saved only when the check works."""
    if not settings.CALDAV_ENABLED:
        return None, Check(False, "Связь с Яндекс.Календарём выключена (CALDAV_ENABLED).")
    try:
        secret = encrypt(password)
    except SecretKeyMissing as exc:
        return None, Check(False, str(exc))
    except UnicodeEncodeError:  # a lone surrogate from JSON: no password can hold it
        return None, Check(False, "В пароле недопустимые символы.", "password")
    result = check(url=url, username=username, password=password, calendar=calendar)
    if not result.ok:
        return None, result
    with transaction.atomic():
        conn, created = CalendarConnection.objects.update_or_create(
            user=user,
            defaults={
                "url": url,
                "username": username,
                "password_encrypted": secret,
                "calendar": calendar,
                "calendar_url": result.calendar_url,
                "state": CalendarConnection.State.OK,
                "last_check_at": timezone.now(),
                "last_error": "",
            },
        )
        audit_record(
            actor=user,
            action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
            target=conn,
            changes={"url": url, "username": username, "calendar": calendar},  # never the password
        )
    return conn, result


def connection_check(*, connection: CalendarConnection) -> Check:
    """«Проверить подключение» with the stored password."""
    try:
        password = decrypt(connection.password_encrypted)
    except (PermanentError, SecretKeyMissing) as exc:
        result = Check(False, str(exc))
    else:
        result = check(
            url=connection.url, username=connection.username, password=password, calendar=connection.calendar
        )
    connection.state = CalendarConnection.State.OK if result.ok else CalendarConnection.State.FAILED
    connection.last_error = result.reason[:500]
    connection.last_check_at = timezone.now()
    if result.ok:
        connection.calendar_url = result.calendar_url
    connection.save(update_fields=["state", "last_error", "last_check_at", "calendar_url"])
    return result


@transaction.atomic
def connection_delete(*, user: User) -> bool:
    """Disconnect: the CRM forgets the password, the mirrored events and the busy time read back.
    The events already in the calendar stay there (the person's calendar is theirs)."""
    conn = connection_get(user)
    if conn is None:
        return False
    audit_record(actor=user, action=AuditEntry.Action.DELETE, target=conn, changes={"calendar": conn.calendar})
    CalendarEvent.objects.filter(user=user).delete()
    external_busy_replace(user=user, blocks=[], since=FAR_PAST, until=timezone.now() + timedelta(days=3650))
    conn.delete()
    return True


def _session(conn: CalendarConnection) -> caldav.DAVClient:
    return dav.make_client(url=conn.url, username=conn.username, password=decrypt(conn.password_encrypted))


# --- CRM → calendar -----------------------------------------------------------------------


def _site_host() -> str:
    """The CRM's host name: the right half of every UID it writes, so they are unique across sites."""
    return settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "crm"


def _href_for(conn: CalendarConnection, uid: str) -> str:
    return conn.calendar_url.rstrip("/") + "/" + uid.replace("@", "-at-") + ".ics"


def _event_ics(*, uid: str, start, end, summary: str, lines: list[str], location: str, link: str) -> str:
    """One VEVENT in Moscow time with its VTIMEZONE: the shape every mirrored entry shares."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//CRM//caldav mirror//RU")
    cal.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", start.astimezone(MOSCOW))
    event.add("dtend", end.astimezone(MOSCOW))
    event.add("summary", summary)
    event.add("description", "\n".join(lines))
    if location:
        event.add("location", location)
    event.add("url", link)
    event.add("sequence", int(timezone.now().timestamp()))
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical().decode()


def uid_for(activity_id: int) -> str:
    return f"{UID_PREFIX}{activity_id}@{_site_host()}"


def _phone(activity: Activity) -> str:
    if activity.client_id:
        phones = sorted(activity.client.phones.all(), key=lambda p: (not p.is_primary, p.pk))
        return phones[0].number if phones else ""
    if activity.lead_id:
        return activity.lead.phone
    return ""


def event_ics(activity: Activity) -> str:
    """The event as the manager should see it: who, phone, what, where, who booked, a link.
    Never passport, СНИЛС, ИНН or debt figures: only the fields named here go out."""
    who = activity.who
    kind = activity.get_kind_display()
    summary = f"{kind}: {who}" if who else (activity.subject or kind)
    lines = [f"Вид: {kind}"]
    if who:
        lines.append(f"Клиент: {who}")
    phone = _phone(activity)
    if phone:
        lines.append(f"Телефон: {phone}")
    if activity.subject:
        lines.append(f"О чём: {activity.subject}")
    if activity.location:
        lines.append(
            ("Ссылка или телефон: " if activity.place == Activity.Place.REMOTE else "Место: ") + activity.location
        )
    if activity.booked_by_id:
        lines.append(f"Записал(а): {activity.booked_by.full_name}")
    link = settings.SITE_URL.rstrip("/") + activity_url(activity)
    lines.append(f"Карточка в CRM: {link}")
    return _event_ics(
        uid=uid_for(activity.pk),
        start=activity.planned_at,
        end=activity.ends_at or activity.planned_at + timedelta(hours=1),
        summary=summary,
        lines=lines,
        location=activity.location,
        link=link,
    )


def _raise_for(status: int, what: str) -> None:
    if status == 429 or status >= 500:
        raise TransientError(f"CalDAV {what}: ответ {status}")
    if status in (401, 403):
        raise PermanentError(
            f"CalDAV {what}: сервер не принял логин или пароль ({status}). Проверьте подключение календаря."
        )
    if status >= 400:
        raise PermanentError(f"CalDAV {what}: ответ {status}")


def _etag_of(client, href: str) -> str:
    r = client.request(href, "GET")
    if r.status == 404:
        return ""
    _raise_for(r.status, "чтение события")
    return r.headers.get("ETag", "")


def _put(client, href: str, body: str, etag: str | None) -> str:
    """PUT the event; etag None means create (If-None-Match: *). A 412 re-reads and reapplies once."""
    headers = {"Content-Type": "text/calendar; charset=utf-8"}
    for _ in range(2):
        if etag:
            headers.pop("If-None-Match", None)
            headers["If-Match"] = etag
        else:
            headers.pop("If-Match", None)
            headers["If-None-Match"] = "*"
        r = client.put(href, body, headers)
        if r.status in (200, 201, 204):
            return r.headers.get("ETag", "") or _etag_of(client, href)
        if r.status == 412:
            # Changed (or already created by our earlier try) on the server: take its ETag, write ours.
            etag = _etag_of(client, href)
            continue
        if r.status == 404 and etag:
            etag = None  # deleted there by hand: the CRM's entry still stands, so put it back
            continue
        _raise_for(r.status, "запись события")
    raise TransientError("CalDAV: событие меняется на сервере одновременно с нами")


def _delete(client, row: CalendarEvent) -> None:
    etag = row.etag
    for _ in range(2):
        r = client.delete(row.href, {"If-Match": etag} if etag else {})
        if r.status in (200, 204, 404, 410):
            return
        if r.status == 412:
            etag = _etag_of(client, row.href)
            if not etag:
                return
            continue
        _raise_for(r.status, "удаление события")
    raise TransientError("CalDAV: событие меняется на сервере одновременно с нами")


def _transport(fn):
    try:
        return fn()
    except dav.RateLimitError as exc:
        raise TransientError(f"CalDAV: 429/503, ждём ({exc.retry_after})", backoff=exc.retry_after_seconds) from None
    except dav.AuthorizationError:
        raise PermanentError("CalDAV: сервер не принял логин или пароль. Проверьте подключение календаря.") from None
    except dav.TRANSPORT_ERRORS as exc:
        raise TransientError(f"CalDAV: сервер недоступен ({type(exc).__name__})") from None
    except ValueError as exc:  # the URL is no longer allowed
        raise PermanentError(f"CalDAV: {exc}") from None


def activity_sync(*, activity_id: int) -> str:
    """Bring the owner's calendar in line with the entry as it is now: create, update or delete.

    Idempotent: runs with the present state, so a repeat or a late retry writes the same event.
    """
    entry = f"activity:{activity_id}"
    activity = (
        Activity.objects.filter(pk=activity_id)
        .select_related("client", "lead", "booked_by", "responsible")
        .prefetch_related("client__phones")
        .first()
    )
    row = CalendarEvent.objects.filter(entry=entry).first()
    wanted = (
        activity is not None
        and activity.status != Activity.Status.CANCELLED
        and activity.kind in Activity.CALENDAR_KINDS
        and not activity.external_uid
        and activity.ends_at is not None
    )
    owner_id = activity.responsible_id if wanted else None
    if row is not None and row.user_id != owner_id:
        old = connection_get(row.user)
        if old is not None:
            _transport(lambda: _delete(_session(old), row))
        row.delete()
        row = None
    if not wanted:
        return "deleted" if row is None else "nothing"
    conn = CalendarConnection.objects.filter(user_id=owner_id).exclude(calendar_url="").first()
    if conn is None:
        return "no-calendar"
    client = _session(conn)
    uid = uid_for(activity.pk)
    href = row.href if row else _href_for(conn, uid)
    body = event_ics(activity)
    try:
        etag = _transport(lambda: _put(client, href, body, row.etag or "" if row else None))
    except PermanentError as exc:
        CalendarConnection.objects.filter(pk=conn.pk).update(
            state=CalendarConnection.State.FAILED, last_error=str(exc)[:500]
        )
        raise
    CalendarEvent.objects.update_or_create(
        entry=entry, defaults={"user_id": owner_id, "uid": uid, "href": href, "etag": etag, "synced_at": timezone.now()}
    )
    return "updated" if row else "created"


# --- calendar → CRM -----------------------------------------------------------------------


def _as_moscow(value, *, end: bool = False) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(MOSCOW) if value.tzinfo else value.replace(tzinfo=MOSCOW)
    # An all-day event (a date): the whole day, midnight to midnight in Moscow.
    return datetime.combine(value, time(0), tzinfo=MOSCOW)


def busy_blocks(ical_texts: list[str], since: datetime, until: datetime) -> list[BusyBlock]:
    """Busy time in the calendar objects: recurrences expanded, transparent and CRM's own events skipped."""
    blocks = []
    for text in ical_texts:
        try:
            cal = icalendar.Calendar.from_ical(text)
            occurrences = recurring_ical_events.of(cal).between(since, until)
        except Exception as exc:  # one broken event must not hide the rest of the calendar
            logger.warning("caldav readback: unreadable event skipped: %s", type(exc).__name__)
            continue
        for ev in occurrences:
            uid = str(ev.get("UID", ""))
            if uid.startswith(UID_PREFIX) or str(ev.get("TRANSP", "")).upper() == "TRANSPARENT":
                continue
            start = ev.get("DTSTART")
            if start is None:
                continue
            start = start.dt
            end = ev.get("DTEND")
            if end is not None:
                end = end.dt
            elif isinstance(start, datetime):
                end = start + (ev.get("DURATION").dt if ev.get("DURATION") else timedelta(0))
            else:
                end = start + timedelta(days=1)
            lo, hi = _as_moscow(start), _as_moscow(end)
            if not isinstance(start, datetime) and isinstance(end, date):
                hi = datetime.combine(end, time(0), tzinfo=MOSCOW)
            if hi > lo:
                blocks.append(BusyBlock(lo, hi, uid))
    return blocks


def readback(*, connection: CalendarConnection, now: datetime | None = None) -> int:
    """Read the coming weeks of one calendar and replace the owner's busy time with what is there."""
    now = now or timezone.now()
    since = datetime.combine(timezone.localtime(now, MOSCOW).date(), time(0), tzinfo=MOSCOW)
    until = since + timedelta(days=settings.CALDAV_READBACK_DAYS)
    try:

        def fetch():
            cal = caldav.Calendar(client=_session(connection), url=connection.calendar_url)
            return [obj.data for obj in cal.search(start=since, end=until, event=True, expand=False)]

        texts = _transport(fetch)
    except (TransientError, PermanentError) as exc:
        CalendarConnection.objects.filter(pk=connection.pk).update(last_error=str(exc)[:500])
        raise
    count = external_busy_replace(
        user=connection.user, blocks=busy_blocks(texts, since, until), since=since, until=until
    )
    CalendarConnection.objects.filter(pk=connection.pk).update(last_readback_at=timezone.now(), last_error="")
    return count


def readback_all() -> dict:
    """Beat: every working connection in turn; one calendar's trouble never stops the others."""
    if not settings.CALDAV_ENABLED:
        return {"enabled": False}
    done = failed = 0
    for conn in (
        CalendarConnection.objects.filter(state=CalendarConnection.State.OK)
        .exclude(calendar_url="")
        .select_related("user")
    ):
        try:
            readback(connection=conn)
            done += 1
        except (TransientError, PermanentError) as exc:
            failed += 1
            logger.warning("caldav readback for user %s: %s", conn.user_id, exc)
    return {"read": done, "failed": failed}


# --- court hearings into lawyers' calendars ----------------------------------------------------

HEARING_KIND = "caldav.hearing"
HEARING_LENGTH = timedelta(hours=2)


def hearing_uid(hearing_id: int) -> str:
    return f"crm-hearing-{hearing_id}@{_site_host()}"


def hearing_ics(hearing: Hearing) -> str:
    """The hearing as a lawyer needs it: client, case number, court, a link to the deal — no debt figures."""
    deal = hearing.deal
    link = settings.SITE_URL.rstrip("/") + reverse("deals:detail", args=[deal.pk])
    lines = [f"Клиент: {deal.client.display_name}"]
    if deal.case_number:
        lines.append(f"Дело: {deal.case_number}")
    if deal.court:
        lines.append(f"Суд: {deal.court}")
    if hearing.result:
        lines.append(f"Итог: {hearing.result}")
    lines.append(f"Сделка в CRM: {link}")
    return _event_ics(
        uid=hearing_uid(hearing.pk),
        start=hearing.date,
        end=hearing.date + HEARING_LENGTH,
        summary=f"Заседание: {deal.client.display_name}" + (f", {deal.case_number}" if deal.case_number else ""),
        lines=lines,
        location=deal.court,
        link=link,
    )


def hearing_sync(*, hearing_id: int) -> str:
    """Put the hearing into the calendar of every lawyer of the deal's branch who connected one
    (and take it out of calendars it should no longer be in). Idempotent like `activity_sync`."""
    hearing = Hearing.objects.filter(pk=hearing_id).select_related("deal__client").first()
    prefix = f"hearing:{hearing_id}:"
    rows = {row.user_id: row for row in CalendarEvent.objects.filter(entry__startswith=prefix)}
    keepers = (
        set(User.objects.filter(access.court_calendar_keepers_q(hearing.deal.branch_id)).values_list("pk", flat=True))
        if hearing is not None
        else set()
    )
    connections = {
        c.user_id: c
        for c in CalendarConnection.objects.filter(user_id__in=keepers | set(rows)).exclude(calendar_url="")
    }
    outcome = "nothing"
    for user_id, row in rows.items():
        if user_id not in keepers:
            conn = connections.get(user_id)
            if conn is not None:
                _transport(lambda conn=conn, row=row: _delete(_session(conn), row))
            row.delete()
            outcome = "deleted"
    if hearing is None:
        return outcome
    body, uid = hearing_ics(hearing), hearing_uid(hearing.pk)
    for user_id in sorted(keepers):
        conn = connections.get(user_id)
        if conn is None:
            continue
        row = rows.get(user_id)
        href = row.href if row else _href_for(conn, uid)
        client = _session(conn)
        etag = _transport(
            lambda client=client, href=href, row=row: _put(client, href, body, row.etag or "" if row else None)
        )
        CalendarEvent.objects.update_or_create(
            entry=f"{prefix}{user_id}",
            defaults={"user_id": user_id, "uid": uid, "href": href, "etag": etag, "synced_at": timezone.now()},
        )
        outcome = "updated" if row else "created"
    return outcome
