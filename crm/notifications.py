"""Notifications: always inside the CRM, by e-mail too where configured (EMAIL_ENABLED).

The e-mail copy is sent by a Celery task after the transaction commits, so a
slow mail server never holds a page.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

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
    if settings.EMAIL_ENABLED and created:
        from crm.tasks import send_notification_emails_task

        ids = [n.pk for n in created if n.user.email]
        if ids:
            transaction.on_commit(lambda: send_notification_emails_task.delay(ids))
    return created


def notifications_email(*, ids: list[int]) -> int:
    """Send the e-mail copies not sent yet; safe to run twice."""
    sent = 0
    for n in Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).select_related("user"):
        if not n.user.email:
            continue
        link = f"{settings.SITE_URL.rstrip('/')}{n.url}" if n.url else settings.SITE_URL
        send_mail(
            subject=f"CRM: {n.text[:80]}",
            message=f"{n.text}\n\n{link}",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[n.user.email],
        )
        # Mark one by one: if the next send fails, this one is not repeated.
        Notification.objects.filter(pk=n.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def notifications_mark_read(*, user: User, ids=None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
