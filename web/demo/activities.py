"""Demo «дела» and calendars: due today, overdue, inbound, a booked meeting and consultation,
an abandoned client, one in the pool, one lost for good, and the Moscow pool rule.

Idempotent: skipped when activities exist. The overdue call is back-dated by
moving its clock, since the service refuses to plan into the past.
"""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from activities import services as activity_services
from activities.models import Activity
from clients.models import Client
from clients.services import client_create
from crm.models import User
from crm.workdays import add_working_days
from deals.models import Deal


def _at(day, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@transaction.atomic
def seed_activities() -> list[str]:
    if Activity.objects.exists():
        return []
    u = {x.username: x for x in User.objects.filter(is_active=True)}
    if not {"manager.msk", "manager2.msk", "rop.msk", "director", "callcenter"} <= set(u):
        return []
    manager, manager2, head, centre = u["manager.msk"], u["manager2.msk"], u["rop.msk"], u["callcenter"]
    deals = list(Deal.objects.filter(manager=manager).select_related("client").order_by("id"))
    if len(deals) < 3:
        return []
    now = timezone.now()
    next_day = add_working_days(timezone.localdate(), 1)
    later = add_working_days(timezone.localdate(), 3)

    # Due later today, even when the demo is loaded just before midnight.
    due_today = min(now + timedelta(minutes=30), _at(timezone.localdate(), 23, 59))
    activity_services.activity_plan(
        by=manager, kind="call", planned_at=due_today, client=deals[0].client,
        subject="Уточнить список кредиторов",
    )  # fmt: skip
    overdue = activity_services.activity_plan(
        by=manager, kind="call", planned_at=now + timedelta(minutes=5), client=deals[1].client,
        subject="Напомнить о платеже по графику",
    )  # fmt: skip
    Activity.objects.filter(pk=overdue.pk).update(planned_at=now - timedelta(days=1, hours=2))
    activity_services.activity_plan(
        by=manager, kind="email", planned_at=now - timedelta(hours=1), client=deals[2].client,
        direction="inbound", subject="Клиент прислал справку 2-НДФЛ",
    )  # fmt: skip
    activity_services.activity_plan(
        by=manager,
        kind="call",
        planned_at=_at(later, 11),
        client=deals[0].client,
        subject="Звонок по итогам консультации",
    )
    activity_services.meeting_book(
        by=centre, manager=manager, kind="meeting", starts_at=_at(next_day, 11), ends_at=_at(next_day, 12),
        client=deals[0].client, subject="Первичная консультация по банкротству",
    )  # fmt: skip
    activity_services.meeting_book(
        by=centre, manager=manager2, kind="remote", starts_at=_at(next_day, 15), ends_at=_at(next_day, 16),
        client=Deal.objects.filter(manager=manager2).select_related("client").first().client,
        location="Телемост, ссылка в SMS клиенту", subject="Дистанционная консультация",
    )  # fmt: skip
    activity_services.meeting_book(
        by=manager, manager=manager, kind="busy", starts_at=_at(next_day, 14), ends_at=_at(next_day, 15)
    )
    done = activity_services.activity_plan(
        by=manager, kind="call", planned_at=now + timedelta(minutes=1), client=deals[1].client, subject="Первый звонок"
    )
    activity_services.activity_complete(activity=done, by=manager, result="Клиент ждёт расчёт стоимости")

    people = [
        ("Сидоров", "Пётр", "+7 916 400-00-01"),
        ("Тарасова", "Вера", "+7 916 400-00-02"),
        ("Уваров", "Глеб", "+7 916 400-00-03"),
    ]
    made = []
    for last, first, phone in people:
        made.append(
            client_create(
                by=manager, branch=manager.branch, manager=manager, last_name=last, first_name=first, phones=[phone]
            )
        )
    Client.objects.filter(pk__in=[c.pk for c in made]).update(created_at=now - timedelta(days=40))
    activity_services.clients_mark_abandoned()
    activity_services.client_to_pool(client=Client.objects.get(pk=made[1].pk), by=head)
    activity_services.client_mark_lost(
        client=Client.objects.get(pk=made[2].pk), by=u["director"], reason="Уехал из России"
    )
    activity_services.pool_rule_set(by=head, branch=head.branch, per_manager=2, every_days=7)
    return [f"дела: {Activity.objects.count()}, заброшенный, в отстойнике и потерянный клиенты"]
