"""Mango's outbox handler: a call's stored events are folded into the call on a worker."""

from django.conf import settings

from crm import outbox
from integrations.mango import services


def _assemble(key: str, jobs) -> str:
    call = services.entry_assemble(key)
    if call is not None and call.waiting_for_states:
        raise outbox.Busy(retry_in=30)  # a late state or the summary completes it; else the grace runs out
    return call.state if call else "no events"


def register() -> None:
    outbox.register(
        outbox.Handler(
            kind=services.ENTRY_KIND,
            label="Звонок из Mango",
            run=_assemble,
            queue=lambda: settings.MANGO_QUEUE,
        )
    )
