"""The generic outbox: how a committed change reaches an outside system, late but surely.

A domain service says what happened (`publish("client.changed", key=…)`) in its
own transaction; every handler an integration registered for that event gets
a row in the same transaction, so the change and the work it implies commit
or vanish together. After the commit a best-effort hint wakes a Celery
worker; a broker that is down costs nothing, because the beat's `redrive`
finds every row that is due. A worker runs the handler for all pending rows
of one (kind, key) under a lease, retries network trouble with backoff and
keeps permanent errors for the admin.

Domain code never imports an integration: it names events. Integrations
register handlers in their AppConfig.ready().
"""

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from crm.celery import app as celery_app
from crm.models import AuditEntry, OutboxJob
from crm.services import audit_record

logger = logging.getLogger(__name__)

DELIVER_TASK = "crm.outbox_deliver"


class TransientError(Exception):
    """Worth another try later (network, 429, 5xx); `backoff` overrides the handler's own pause."""

    def __init__(self, message: str, backoff: float | None = None):
        super().__init__(message)
        self.backoff = backoff


class PermanentError(Exception):
    """Needs a person (a bad token, a full disk, a refused address): kept for the admin's «Повторить»."""


class Busy(Exception):
    """Someone else holds what the handler needs right now; come back in `retry_in` seconds."""

    def __init__(self, retry_in: float = 5):
        super().__init__("занято")
        self.retry_in = retry_in


def default_backoff(attempts: int) -> float:
    """5 s, 10 s, 20 s … up to the ceiling, with jitter so a crowd of retries spreads out."""
    cap = settings.OUTBOX_BACKOFF_MAX_SECONDS
    base = min(cap, settings.OUTBOX_BACKOFF_SECONDS * 2 ** max(0, attempts - 1))
    return round(base * random.uniform(0.8, 1.2), 2)


@dataclass(frozen=True)
class Handler:
    """What an integration does for one kind of job.

    `run(key, jobs)` gets every pending row of the key (oldest first) and brings
    the outside system in line; it returns a short outcome, or raises
    TransientError / PermanentError / Busy. `converges` says a success makes
    older failures of the same key moot (the handler syncs the present state).
    """

    kind: str
    label: str
    run: Callable[[str, list[OutboxJob]], str]
    events: tuple[str, ...] = ()
    enabled: Callable[[], bool] = lambda: True
    queue: Callable[[], str] = lambda: "default"
    backoff: Callable[[int], float] = default_backoff
    converges: bool = True
    lease_seconds: Callable[[], int] = field(default=lambda: settings.OUTBOX_LEASE_SECONDS)


_HANDLERS: dict[str, Handler] = {}


def register(handler: Handler) -> Handler:
    _HANDLERS[handler.kind] = handler
    return handler


def handler_for(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


# --- writing: inside the caller's transaction ---------------------------------------------------


def publish(event: str, *, key, reason: str = "", payload: dict | None = None) -> list[OutboxJob]:
    """Something happened that outside systems may follow: one row per enabled handler of `event`."""
    rows = [
        OutboxJob(kind=h.kind, key=str(key), reason=reason[:100], payload=payload or {})
        for h in _HANDLERS.values()
        if event in h.events and h.enabled()
    ]
    if not rows:
        return []
    created = OutboxJob.objects.bulk_create(rows)
    for job in created:
        _hint_after_commit(job.kind, job.key)
    return created


def enqueue(kind: str, *, key, reason: str = "", payload: dict | None = None) -> OutboxJob:
    """A job of a known kind (the integration itself asks: a reconciliation, a retry, an e-mail)."""
    job = OutboxJob.objects.create(kind=kind, key=str(key), reason=reason[:100], payload=payload or {})
    _hint_after_commit(kind, job.key)
    return job


def _hint_after_commit(kind: str, key: str) -> None:
    transaction.on_commit(lambda: hint(kind, key))


def _hint_later(kind: str, key: str, countdown: float) -> None:
    # In a worker (autocommit) this runs at once; inside a caller's transaction, after it commits.
    transaction.on_commit(lambda: hint(kind, key, countdown=countdown))


def hint(kind: str, key: str, *, countdown: float | None = None) -> bool:
    """Wake a worker for (kind, key). Best effort: a broker outage is logged, never raised,
    because the write it follows has committed and the redrive will deliver it."""
    handler = _HANDLERS.get(kind)
    queue = handler.queue() if handler else "default"
    try:
        celery_app.send_task(
            DELIVER_TASK,
            args=(kind, key),
            queue=queue,
            countdown=countdown,
            # A page waits for this: a couple of quick tries, then the redrive's turn.
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.3, "interval_max": 0.5},
        )
    except Exception as exc:  # kombu raises its own and the socket's errors alike
        logger.warning("outbox: no hint for %s %s (%s); the redrive will deliver it", kind, key, exc)
        return False
    return True


# --- delivering: in a worker -------------------------------------------------------------------


def deliver(kind: str, key: str) -> str:
    """Run the handler for every pending row of (kind, key); safe to call twice or concurrently."""
    handler = _HANDLERS.get(kind)
    if handler is None:
        logger.error("outbox: no handler for %s", kind)
        return "unknown"
    now = timezone.now()
    pending = OutboxJob.objects.filter(kind=kind, key=key, status=OutboxJob.Status.PENDING)
    with transaction.atomic():
        rows = list(pending.select_for_update().order_by("id"))
        if not rows:
            return "nothing"
        if any(r.lease_until and r.lease_until > now for r in rows):
            # Another worker has this key; rows that arrived meanwhile are its next round.
            _hint_later(kind, key, 5)
            return "busy"
        last = rows[-1].pk
        taken = pending.filter(id__lte=last)
        taken.update(lease_until=now + timedelta(seconds=handler.lease_seconds()))
    attempts = max(r.attempts for r in rows) + 1
    try:
        outcome = handler.run(key, rows)
    except Busy as exc:
        taken.update(lease_until=None)
        _hint_later(kind, key, exc.retry_in)
        return "busy"
    except PermanentError as exc:
        taken.update(status=OutboxJob.Status.FAILED, attempts=attempts, last_error=str(exc)[:2000], lease_until=None)
        logger.warning("outbox: %s %s failed for good: %s", kind, key, exc)
        return "failed"
    except Exception as exc:
        if not isinstance(exc, TransientError):
            logger.exception("outbox: %s %s raised", kind, key)
        if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            taken.update(
                status=OutboxJob.Status.FAILED, attempts=attempts, last_error=str(exc)[:2000], lease_until=None
            )
            return "failed"
        delay = (
            exc.backoff if isinstance(exc, TransientError) and exc.backoff is not None else handler.backoff(attempts)
        )
        taken.update(
            attempts=attempts,
            last_error=str(exc)[:2000],
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            lease_until=None,
        )
        _hint_later(kind, key, delay)
        return "retry"
    done_at = timezone.now()
    with transaction.atomic():
        taken.update(status=OutboxJob.Status.DONE, done_at=done_at, last_error="", lease_until=None)
        if handler.converges:
            # The outside system now matches the present state, so older failures of this key are over too.
            OutboxJob.objects.filter(kind=kind, key=key, status=OutboxJob.Status.FAILED).update(
                status=OutboxJob.Status.DONE, done_at=done_at
            )
    return outcome or "done"


def redrive(*, limit: int = 500) -> int:
    """Beat: wake a worker for every (kind, key) that is due — a lost hint, a broker that was down,
    a killed worker whose lease ran out, a backoff that is over."""
    now = timezone.now()
    due = (
        OutboxJob.objects.filter(status=OutboxJob.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .values("kind", "key")
        .annotate(first=Max("id"))
        .order_by("first")[:limit]
    )
    sent = 0
    for row in due:
        sent += hint(row["kind"], row["key"])
    return sent


@transaction.atomic
def retry(*, job: OutboxJob, by) -> OutboxJob:
    """The admin's «Повторить» on a failed job (after fixing a token or freeing space)."""
    OutboxJob.objects.filter(pk=job.pk).update(
        status=OutboxJob.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), lease_until=None
    )
    audit_record(actor=by, action=AuditEntry.Action.UPDATE, target=job, changes={"status": [job.status, "pending"]})
    _hint_after_commit(job.kind, job.key)
    job.refresh_from_db()
    return job
