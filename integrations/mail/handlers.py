"""Mail's outbox handlers: reading a mailbox and sending a letter, both on workers."""

from django.conf import settings

from crm import outbox
from integrations.mail import services, tasks  # noqa: F401 — tasks: the beat job, known to every worker


def _poll(key: str, jobs) -> str:
    return services.poll(int(key))


def _send(key: str, jobs) -> str:
    return services.letter_send(int(key))


def _copy(key: str, jobs) -> str:
    return services.sent_copy(int(key))


def register() -> None:
    outbox.register(
        outbox.Handler(
            kind=services.SEND_KIND,
            label="Отправка письма",
            run=_send,
            queue=lambda: settings.MAIL_QUEUE,
            converges=False,  # each letter is its own job: a later success is not an earlier one's
        )
    )
    outbox.register(
        outbox.Handler(
            kind=services.COPY_KIND,
            label="Копия письма в «Отправленные»",
            run=_copy,
            queue=lambda: settings.MAIL_QUEUE,
        )
    )
    outbox.register(
        outbox.Handler(
            kind=services.POLL_KIND,
            label="Проверка почты",
            run=_poll,
            queue=lambda: settings.MAIL_QUEUE,
        )
    )
