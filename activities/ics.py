"""A manager's calendar as iCalendar (RFC 5545), for Outlook, phones and Yandex.Calendar imports."""

from datetime import UTC, datetime, timedelta

from django.conf import settings

from activities.models import Activity
from crm.models import User


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets are folded with a leading space (RFC 5545 3.1)."""
    out, current = [], ""
    for char in line:
        if len((current + char).encode()) > 74:
            out.append(current)
            current = " " + char
        else:
            current += char
    out.append(current)
    return out


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(owner: User, entries: list[Activity]) -> str:
    host = settings.SITE_URL.split("//")[-1].split("/")[0] or "crm"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//CRM//Calendar//RU",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(owner.full_name)}",
    ]
    stamp = _utc(datetime.now(UTC))
    for a in entries:
        end = a.ends_at or a.planned_at + timedelta(minutes=15)
        # A feed for scheduling: who and what only where the viewer may open the entry; never its result.
        shown = getattr(a, "details_visible", False)
        summary = a.get_kind_display() + (f": {a.who}" if shown and a.who else "")
        description = a.subject if shown else ""
        lines += [
            "BEGIN:VEVENT",
            f"UID:activity-{a.pk}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(a.planned_at)}",
            f"DTEND:{_utc(end)}",
            f"SUMMARY:{_escape(summary)}",
        ]
        if description.strip():
            lines.append(f"DESCRIPTION:{_escape(description.strip())}")
        if shown and a.location:
            lines.append(f"LOCATION:{_escape(a.location)}")
        lines.append("STATUS:CONFIRMED" if a.status == Activity.Status.PLANNED else "STATUS:TENTATIVE")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(part for line in lines for part in _fold(line)) + "\r\n"
