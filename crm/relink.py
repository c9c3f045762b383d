"""What higher apps do when a lower app re-homes a record (a lead becomes a client and a deal).

A lead's conversion lives in `leads`, but the meetings booked for the lead are
«дела» of `activities`, an app above it that `leads` never imports. Like the
card sections (crm/cards.py), each app registers in its AppConfig.ready() what
it does on an event, and the service that owns the event runs them all inside
its own transaction.
"""

from collections import defaultdict
from collections.abc import Callable

# event -> functions (**kwargs) -> None
_STEPS: dict[str, list[Callable]] = defaultdict(list)


def contribute(event: str, step: Callable) -> None:
    if step not in _STEPS[event]:
        _STEPS[event].append(step)


def run(event: str, **kwargs) -> None:
    """Every registered step of `event`, in registration order (call inside the owning transaction)."""
    for step in _STEPS[event]:
        step(**kwargs)
