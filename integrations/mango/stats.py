"""The nightly catch-up: yesterday's calls as Mango counted them (stats/request, stats/result), and
every call whose events were lost filled in here, once.

An outbox job of kind STATS_KIND (key = the ISO day) walks the steps, one per run: ask Mango for the
report and keep its key; poll until the report is ready (Mango answers 204 meanwhile), the worker
coming back after a short pause; then add the calls missing here. Running it again adds nothing.
"""

import logging
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from crm import outbox
from crm.models import User
from integrations.mango import api, services
from integrations.models import MangoCall, MangoStatsRequest

logger = logging.getLogger(__name__)

STATS_KIND = "mango.stats"
POLL_AGAIN_IN = 10  # seconds: Mango builds a day's report in a few
# The columns asked for, in this order; the CSV's columns come back in the same one.
FIELDS = (
    "records",
    "start",
    "finish",
    "answer",
    "from_extension",
    "from_number",
    "to_extension",
    "to_number",
    "disconnect_reason",
    "line_number",
    "location",
    "entry_id",
)


def _day_bounds(day: date) -> tuple[int, int]:
    """The local day as Mango's unix seconds, first and last second included."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return int(start.timestamp()), int((start + timedelta(days=1)).timestamp()) - 1


def stats_catch_up(day: date) -> str:
    """One step of the catch-up for `day`: raises outbox.Busy until Mango's report is ready, then
    adds the calls it holds that are missing here. Returns the outcome in words for the outbox."""
    request, _ = MangoStatsRequest.objects.get_or_create(day=day)
    if not request.key:
        date_from, date_to = _day_bounds(day)
        answer = api.post("stats/request", {"date_from": date_from, "date_to": date_to, "fields": ",".join(FIELDS)})
        key = _json(answer).get("key")
        if not key:
            raise outbox.PermanentError("Mango не вернула ключ отчёта (stats/request)")
        request.key, request.requested_at = str(key)[:100], timezone.now()
        request.save(update_fields=["key", "requested_at"])
        raise outbox.Busy(retry_in=POLL_AGAIN_IN)
    try:
        response = api.post("stats/result", {"key": request.key})
    except outbox.PermanentError:
        # A key Mango no longer knows (expired, lost): the admin's «Повторить» starts with a fresh one.
        MangoStatsRequest.objects.filter(pk=request.pk).update(key="")
        raise
    if response.status_code == 204:
        raise outbox.Busy(retry_in=POLL_AGAIN_IN)
    rows = parse_csv(response.content.decode("utf-8", "replace"))
    added = _add_missing(rows)
    MangoStatsRequest.objects.filter(pk=request.pk).update(
        rows=len(rows), added=F("added") + added, done_at=timezone.now()
    )
    return f"{len(rows)} в отчёте, добавлено {added}"


def _json(response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def parse_csv(text: str) -> list[dict]:
    """stats/result's body: a call per line (CRLF or LF), the FIELDS `;` apart, records as [id1,id2]."""
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cells = line.split(";")
        if len(cells) != len(FIELDS):
            logger.warning("mango stats: a line with %s columns instead of %s skipped", len(cells), len(FIELDS))
            continue
        row = {name: cell.strip() for name, cell in zip(FIELDS, cells, strict=True)}
        records = row["records"].strip("[]")
        row["records"] = [r.strip() for r in records.split(",") if r.strip()]
        rows.append(row)
    return rows


def _seconds(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def _at(value: str) -> datetime | None:
    seconds = _seconds(value)
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds > 0 else None


def _direction(row: dict) -> str:
    if row["from_extension"] and not row["to_extension"]:
        return MangoCall.Direction.OUTBOUND
    if row["from_number"] and not row["from_extension"]:
        return MangoCall.Direction.INBOUND
    return MangoCall.Direction.INTERNAL


def _add_missing(rows: list[dict]) -> int:
    """Make a MangoCall for each row whose entry_id is not known here; returns how many were made."""
    entries = {r["entry_id"] for r in rows if r["entry_id"]}
    known = set(MangoCall.objects.filter(entry_id__in=entries).values_list("entry_id", flat=True))
    missing = [r for r in rows if r["entry_id"] and r["entry_id"] not in known]
    if not missing:
        return 0
    extensions = {r[side] for r in missing for side in ("from_extension", "to_extension") if r[side]}
    staff = {u.mango_extension: u for u in User.objects.filter(mango_extension__in=extensions, is_active=True)}
    added = 0
    for row in missing:
        added += _call_create(row, staff)
    return added


@transaction.atomic
def _call_create(row: dict, staff: dict[str, User]) -> bool:
    """The call of one report row, and its «Звонок» logged as an event-assembled one would be; both or
    neither, so a failure here is retried whole. False when events made the call meanwhile."""
    direction = _direction(row)
    answer, finish = _seconds(row["answer"]), _seconds(row["finish"])
    answered = answer > 0
    outbound = direction == MangoCall.Direction.OUTBOUND
    ours = row["from_extension"] if outbound or direction == MangoCall.Direction.INTERNAL else row["to_extension"]
    outside = row["to_number"] if outbound else row["from_number"]
    call, created = MangoCall.objects.get_or_create(
        entry_id=row["entry_id"][:100],
        defaults={
            "direction": direction,
            "from_number": row["from_number"][:50],
            "from_extension": row["from_extension"][:20],
            "to_number": row["to_number"][:100],
            "to_extension": row["to_extension"][:20],
            "line_number": row["line_number"][:50],
            "state": "Disconnected",
            "appeared_at": _at(row["start"]),
            "connected_at": _at(row["answer"]),
            "ended_at": _at(row["finish"]),
            "answered": answered,
            "talk_seconds": max(0, finish - answer) if answered else 0,
            "disconnect_reason": _seconds(row["disconnect_reason"]) or None,
            "staff": staff.get(ours),
            "client": services.client_by_number(outside) if direction != MangoCall.Direction.INTERNAL else None,
            "from_stats": True,
        },
    )
    if not created:
        return False
    services.call_log_missing(call)  # on the card and in «Мои дела», as an assembled call would be
    return True
