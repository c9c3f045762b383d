"""Mango's outbox handler: a call's stored events are folded into the call on a worker."""

from datetime import date

from django.conf import settings

from crm import outbox
from integrations.mango import recordings, services, stats, tasks  # noqa: F401 — tasks: the beat job, in every worker


def _assemble(key: str, jobs) -> str:
    call = services.entry_assemble(key)
    if call is not None and call.waiting_for_states:
        raise outbox.Busy(retry_in=30)  # a late state or the summary completes it; else the grace runs out
    return call.state if call else "no events"


def _send_command(key: str, jobs) -> str:
    return services.command_send(key)


def _fetch_recording(key: str, jobs) -> str:
    recording = recordings.recording_fetch(key)
    return "stored" if recording.call_id else "stored without a call"


def _catch_up(key: str, jobs) -> str:
    return stats.stats_catch_up(date.fromisoformat(key))


def register() -> None:
    outbox.register(
        outbox.Handler(
            kind=services.COMMAND_KIND,
            label="Команда в Mango",
            run=_send_command,
            queue=lambda: settings.MANGO_QUEUE,
            # A call asked for is worth a quick second try, never a ring minutes later (command_send gives up).
            backoff=lambda attempts: 2.0,
        )
    )
    outbox.register(
        outbox.Handler(
            kind=services.ENTRY_KIND,
            label="Звонок из Mango",
            run=_assemble,
            queue=lambda: settings.MANGO_QUEUE,
        )
    )
    outbox.register(
        outbox.Handler(
            kind=services.RECORDING_KIND,
            label="Запись разговора из Mango",
            run=_fetch_recording,
            queue=lambda: settings.MANGO_QUEUE,
        )
    )
    outbox.register(
        outbox.Handler(
            kind=stats.STATS_KIND,
            label="Сверка звонков за день",
            run=_catch_up,
            queue=lambda: settings.MANGO_QUEUE,
        )
    )
