"""Demo pipeline: clients and deals in every stage of both pipelines, payments
with an overdue instalment, and leads in each state. Idempotent: a client that
already exists (by name, for its manager) is skipped.

The services stamp every deal, move and lead with "now", so a demo loaded in one go
would have walked every deal through all its stages in the same second: every time
in stage zero, every figure in one day of the heads' funnel. After the services have
done their work (counters, tasks, audit, timeline), each new deal's story is moved
back over the last three months, to days fixed by its place in CLIENTS (see `_story`),
so the dashboards show a real spread and the tests can count the numbers by hand.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from clients.models import Client, TimelineEntry
from clients.services import client_create, document_add
from crm.models import User
from crm.pipelines import CLOSED
from deals.models import Deal, DealStageChange
from deals.services import deal_create, deal_move_to_stage, payment_record, schedule_set
from leads.models import Lead, NonTargetContact
from leads.services import lead_create, lead_mark_non_target
from web.demo.incoming import scan

# (manager, last, first, patronymic, phone, line, stage, source)
CLIENTS = [
    ("manager.msk", "Белов", "Андрей", "Викторович", "+7 916 201-00-01", "db", "db_in_work", "call"),
    ("manager.msk", "Громова", "Светлана", "Игоревна", "+7 916 201-00-02", "db", "db_prep_court", "site"),
    ("manager.msk", "Данилов", "Роман", "Сергеевич", "+7 916 201-00-03", "db", "db_in_court", "referral"),
    ("manager.msk", "Ершова", "Наталья", "Павловна", "+7 916 201-00-04", "db", "db_archive", "call"),
    ("manager.msk", "Жуков", "Олег", "Александрович", "+7 916 201-00-05", "db", "db_terminated", "site"),
    ("manager.msk", "Зимина", "Ольга", "Петровна", "+7 916 201-00-06", "du", "du_in_work", "referral"),
    ("manager2.msk", "Ильин", "Максим", "Юрьевич", "+7 916 202-00-01", "db", "db_in_work", "call"),
    ("manager2.msk", "Карпова", "Елена", "Викторовна", "+7 916 202-00-02", "du", "du_contracted", "site"),
    ("manager2.msk", "Лазарев", "Игорь", "Николаевич", "+7 916 202-00-03", "du", "du_done", "partner"),
    ("manager2.msk", "Макарова", "Инна", "Олеговна", "+7 916 202-00-04", "du", "du_terminated", "call"),
    ("manager.spb", "Никитин", "Павел", "Андреевич", "+7 921 301-00-01", "db", "db_in_work", "walk_in"),
    ("manager.spb", "Осипова", "Дарья", "Сергеевна", "+7 921 301-00-02", "db", "db_in_court", "site"),
    ("manager.spb", "Павлов", "Артём", "Игоревич", "+7 921 301-00-03", "du", "du_contracted", "call"),
]

PATH = {
    "db": ["db_in_work", "db_prep_court", "db_in_court", "db_archive"],
    "du": ["du_in_work", "du_contracted", "du_done"],
}


# How long each stage lasts in the demo, in days (deal number n adds a little, see `_story`).
IN_WORK_DAYS = 10  # + n % 5: the first call to the signed contract
PREP_DAYS = 30  # + n: the contract to the filing with the arbitration court (ДБ)
COURT_DAYS = 25  # the filing to the court's decision (ДБ)
SERVICE_DAYS = 40  # the contract to the finished service (ДУ)
TERMINATION_DAYS = 20  # the contract to its termination


def _story(n: int, line: str, target: str) -> list[tuple[str, date]]:
    """The days deal number `n` entered each of its stages, the first one first.

    A deal still in its first stage was opened 5 + 3n days ago; one that moved on, 95 − 3n days
    ago (so every contract is older than the demo's first instalment, 45 days ago); then each stage
    lasts its span above."""
    today = timezone.localdate()
    path = PATH[line]
    if target == path[0]:
        return [(target, today - timedelta(days=5 + 3 * n))]
    opened = today - timedelta(days=95 - 3 * n)
    contract = opened + timedelta(days=IN_WORK_DAYS + n % 5)
    story = [(path[0], opened), (path[1], contract)]
    if target.endswith("terminated"):
        return [*story, (target, contract + timedelta(days=TERMINATION_DAYS))]
    if line == "db" and path.index(target) >= 2:
        filing = contract + timedelta(days=PREP_DAYS + n)
        story.append((path[2], filing))
        if target == path[3]:
            story.append((path[3], filing + timedelta(days=COURT_DAYS)))
    elif line == "du" and target == path[2]:
        story.append((path[2], contract + timedelta(days=SERVICE_DAYS)))
    return story


def _stage_data(stage: str, n: int, day: date) -> dict:
    """What entering `stage` on `day` brings: the contract, the filing and the outcome are dated that day."""
    if stage in ("db_prep_court", "du_contracted"):
        return {
            "contract_number": f"{'ДБ' if stage.startswith('db') else 'ДУ'}-{100 + n}/2026",
            "contract_date": day,
            "fee": Decimal("150000") if stage.startswith("db") else Decimal("40000"),
        }
    if stage == "db_in_court":
        return {"court": "Арбитражный суд г. Москвы", "case_number": f"А40-{200000 + n}/2026", "filing_date": day}
    if stage == "db_archive":
        return {"outcome_written_off": True, "outcome_date": day}
    if stage == "du_done":
        return {"outcome_date": day}
    return {"termination_reason": "Клиент отказался от услуг"}


def _at(day: date, n: int) -> datetime:
    # Within the working day, a deal's moves all at one hour: whole days in every stage.
    return timezone.make_aware(datetime.combine(day, time(9 + n % 9, 15)))


def _backdate(deal: Deal, story: list[tuple[str, date]], n: int) -> None:
    """Move the deal's story (the deal, its stage history, its timeline) to the days of `story`."""
    moments = [_at(day, n) for _, day in story]
    changes = list(DealStageChange.objects.filter(deal=deal).order_by("id"))
    entered = None
    for change, at in zip(changes, moments, strict=True):
        change.at, change.from_entered_at = at, entered
        change.seconds_in_from = int((at - entered).total_seconds()) if entered else None
        entered = at
    DealStageChange.objects.bulk_update(changes, ["at", "from_entered_at", "seconds_in_from"])
    closed = moments[-1] if story[-1][0] in CLOSED else None
    Deal.objects.filter(pk=deal.pk).update(created_at=moments[0], stage_changed_at=moments[-1], closed_at=closed)
    TimelineEntry.objects.filter(deal=deal, kind=TimelineEntry.Kind.CREATED).update(at=moments[0])
    for (stage, _), at in zip(story[1:], moments[1:], strict=True):
        TimelineEntry.objects.filter(deal=deal, kind=TimelineEntry.Kind.STAGE, data__to=stage).update(at=at)


@transaction.atomic
def seed_pipeline() -> list[str]:
    created = []
    users = {u.username: u for u in User.objects.filter(username__in={row[0] for row in CLIENTS} | {"callcenter"})}
    today = timezone.localdate()
    for n, (login, last, first, patronymic, phone, line, stage, source) in enumerate(CLIENTS):
        manager = users.get(login)
        if manager is None or Client.objects.filter(last_name=last, first_name=first, manager__isnull=False).exists():
            continue
        client = client_create(
            by=manager,
            branch=manager.branch,
            manager=manager,
            last_name=last,
            first_name=first,
            patronymic=patronymic,
            phones=[phone],
            region=manager.branch.city,
            passport=f"45{n:02d} 1{n:05d}",
            consent_at=timezone.now(),
            consent_channel="в офисе",
            consent_document="Согласие на обработку ПДн (бумага)",
        )
        deal = deal_create(
            by=manager,
            client=client,
            service_line=line,
            manager=manager,
            title="" if line == "db" else "Взыскание задолженности по договору",
            source=source,
        )
        story = _story(n, line, stage)
        for next_stage, day in story[1:]:
            if next_stage == "db_prep_court":
                # The firm's rule (web/demo/incoming.py): no «Подготовка к АС» without the signed contract.
                document_add(
                    client=client, by=manager, upload=scan(f"Договор {n} подписанный.pdf"), kind="contract_signed"
                )
            deal_move_to_stage(deal=deal, stage=next_stage, by=manager, data=_stage_data(next_stage, n, day))
        # The card itself keeps today's date: the abandonment sweep (web/demo/activities.py) reads
        # clients' age, and older cards whose deals are closed would all turn «заброшен».
        _backdate(deal, story, n)
        created.append(f"{line.upper()}: {client.display_name} ({stage})")
        if stage in ("db_prep_court", "du_contracted", "db_in_court"):
            deal.refresh_from_db()
            third = (deal.fee / 3).quantize(Decimal("1"))
            schedule_set(
                deal=deal,
                by=manager,
                items=[
                    (today - timedelta(days=45), third),
                    (today - timedelta(days=15), third),
                    (today + timedelta(days=15), deal.fee - 2 * third),
                ],
            )
            payment_record(deal=deal, by=manager, paid_on=today - timedelta(days=44), amount=third, method="transfer")
    call_centre = users.get("callcenter")
    if call_centre and not Lead.objects.exists():
        victor, _ = lead_create(
            by=call_centre,
            source="call",
            phone="+7 916 300-00-01",
            name="Виктор",
            message="Долги по трём кредитам, около 900 тыс.",
            service_line="db",
        )
        alina, _ = lead_create(
            by=call_centre,
            source="site",
            phone="+7 916 300-00-02",
            name="Алина",
            message="Нужна консультация по разделу имущества",
            service_line="du",
            assigned_to=users.get("manager.msk"),
        )
        spam, _ = lead_create(
            by=call_centre,
            source="call",
            phone="+7 916 300-00-03",
            name="Реклама",
            assigned_to=users.get("manager.msk"),
        )
        lead_mark_non_target(lead=spam, by=users["manager.msk"], reason="Предлагают рекламу, не клиент")
        again, _ = lead_create(by=call_centre, source="call", phone="+7 916 300-00-03", name="Реклама снова")
        # The requests, too, came in over the last weeks (see the module's note); the one that was
        # answered, twenty minutes after it came.
        for lead, days_ago in ((spam, 16), (alina, 9), (again, 6), (victor, 2)):
            came = timezone.make_aware(datetime.combine(today - timedelta(days=days_ago), time(11, 30)))
            Lead.objects.filter(pk=lead.pk).update(created_at=came)
            Lead.objects.filter(pk=lead.pk, first_response_at__isnull=False).update(
                first_response_at=came + timedelta(minutes=20), response_seconds=20 * 60.0
            )
            if lead is spam:
                NonTargetContact.objects.filter(value=spam.phone_norm).update(marked_at=came + timedelta(minutes=20))
        created.append("лиды: новый, в работе, нецелевой, у офис-менеджера")
    return created
