"""The calendar mirror's handler in the outbox: it follows «activity.changed» (activities never import us)."""

from django.conf import settings

from crm import outbox
from integrations.caldav import services, tasks  # noqa: F401 — tasks: the beat job, registered in every worker


def _enabled() -> bool:
    return settings.CALDAV_ENABLED


def _queue() -> str:
    return settings.CALDAV_QUEUE


def _sync_activity(key: str, jobs) -> str:
    return services.activity_sync(activity_id=int(key))


def _sync_hearing(key: str, jobs) -> str:
    return services.hearing_sync(hearing_id=int(key))


def register() -> None:
    outbox.register(
        outbox.Handler(
            kind=services.KIND,
            label="Встреча в Яндекс.Календаре",
            run=_sync_activity,
            events=("activity.changed",),
            enabled=_enabled,
            queue=_queue,
        )
    )
    outbox.register(
        outbox.Handler(
            kind=services.HEARING_KIND,
            label="Заседание в Яндекс.Календаре юриста",
            run=_sync_hearing,
            events=("hearing.changed",),
            enabled=_enabled,
            queue=_queue,
        )
    )
