"""Sections that apps contribute to another app's card.

The client card shows the client's deals, planned «дела» and Disk folder; the
deal card shows its «дела». Those apps sit above `clients` and `deals`, so the
cards cannot import them: each app registers what it adds (in its
AppConfig.ready()), and a card asks for the context of everyone who did.
"""

from collections import defaultdict
from collections.abc import Callable

# card name -> functions (user, obj) -> dict of template context
_SECTIONS: dict[str, list[Callable]] = defaultdict(list)


def contribute(card: str, section: Callable) -> None:
    if section not in _SECTIONS[card]:
        _SECTIONS[card].append(section)


def sections(card: str, *, user, obj) -> dict:
    """The template context every contributing app adds to `card` for `obj`, as `user` may see it."""
    context: dict = {}
    for section in _SECTIONS[card]:
        context.update(section(user, obj))
    return context
