"""Notifications: always inside the CRM, by e-mail too where configured (EMAIL_ENABLED).

The e-mail copy goes through the outbox: a row per message written with the
notification, sent by a worker after the commit and retried with backoff, so
a slow or absent mail server never holds a page and never loses a message.
"""

import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from crm import outbox
from crm.models import Notification, User


def notify(*, users, text: str, url: str = "", skip: User | None = None) -> list[Notification]:
    """Tell each active user in `users` (once, never `skip`: the person who acted)."""
    seen, rows = set(), []
    for user in users:
        if user is None or not user.is_active or user.pk in seen or (skip is not None and user.pk == skip.pk):
            continue
        seen.add(user.pk)
        rows.append(Notification(user=user, text=text[:500], url=url))
    created = Notification.objects.bulk_create(rows)
    if settings.EMAIL_ENABLED:
        for n in created:
            if n.user.email:
                outbox.enqueue(EMAIL_KIND, key=n.pk, reason="уведомление")
    return created


def notification_email_send(*, notification_id: int) -> str:
    """Send the e-mail copy of one notification unless it went already; safe to run twice."""
    n = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).select_related("user").first()
    if n is None or not n.user.email:
        return "nothing"
    link = f"{settings.SITE_URL.rstrip('/')}{n.url}" if n.url else settings.SITE_URL
    try:
        send_mail(
            subject=f"CRM: {n.text[:80]}",
            message=f"{n.text}\n\n{link}",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[n.user.email],
        )
    except smtplib.SMTPRecipientsRefused as exc:
        raise outbox.PermanentError(f"Почтовый сервер отказался принять адрес {n.user.email}: {exc}") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise outbox.TransientError(f"Почтовый сервер недоступен: {exc}") from exc
    Notification.objects.filter(pk=n.pk).update(emailed_at=timezone.now())
    return "sent"


def _send_from_outbox(key: str, jobs) -> str:
    return notification_email_send(notification_id=int(key))


EMAIL_KIND = "mail.notification"
outbox.register(
    outbox.Handler(
        kind=EMAIL_KIND,
        label="Письмо-уведомление",
        run=_send_from_outbox,
        enabled=lambda: settings.EMAIL_ENABLED,
        converges=False,
    )
)


def notification_open(*, notification: Notification) -> Notification:
    """Mark one notification read as its owner opens it (reading twice changes nothing)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notifications_mark_read(*, user: User, ids=None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
