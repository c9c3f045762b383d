"""Demo pipeline: clients and deals in every stage of both pipelines, payments
with an overdue instalment, and leads in each state. Idempotent: a client that
already exists (by name, for its manager) is skipped."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from clients.models import Client
from clients.services import client_create
from crm.models import User
from deals.models import Deal
from deals.services import deal_create, deal_move_to_stage, payment_record, schedule_set
from leads.models import Lead
from leads.services import lead_create, lead_mark_non_target

# (manager, last, first, patronymic, phone, line, stage)
CLIENTS = [
    ("manager.msk", "Белов", "Андрей", "Викторович", "+7 916 201-00-01", "db", "db_in_work"),
    ("manager.msk", "Громова", "Светлана", "Игоревна", "+7 916 201-00-02", "db", "db_prep_court"),
    ("manager.msk", "Данилов", "Роман", "Сергеевич", "+7 916 201-00-03", "db", "db_in_court"),
    ("manager.msk", "Ершова", "Наталья", "Павловна", "+7 916 201-00-04", "db", "db_archive"),
    ("manager.msk", "Жуков", "Олег", "Александрович", "+7 916 201-00-05", "db", "db_terminated"),
    ("manager.msk", "Зимина", "Ольга", "Петровна", "+7 916 201-00-06", "du", "du_in_work"),
    ("manager2.msk", "Ильин", "Максим", "Юрьевич", "+7 916 202-00-01", "db", "db_in_work"),
    ("manager2.msk", "Карпова", "Елена", "Викторовна", "+7 916 202-00-02", "du", "du_contracted"),
    ("manager2.msk", "Лазарев", "Игорь", "Николаевич", "+7 916 202-00-03", "du", "du_done"),
    ("manager2.msk", "Макарова", "Инна", "Олеговна", "+7 916 202-00-04", "du", "du_terminated"),
    ("manager.spb", "Никитин", "Павел", "Андреевич", "+7 921 301-00-01", "db", "db_in_work"),
    ("manager.spb", "Осипова", "Дарья", "Сергеевна", "+7 921 301-00-02", "db", "db_in_court"),
    ("manager.spb", "Павлов", "Артём", "Игоревич", "+7 921 301-00-03", "du", "du_contracted"),
]

PATH = {
    "db": ["db_in_work", "db_prep_court", "db_in_court", "db_archive"],
    "du": ["du_in_work", "du_contracted", "du_done"],
}


def _stage_data(stage: str, n: int) -> dict:
    today = timezone.localdate()
    if stage in ("db_prep_court", "du_contracted"):
        return {
            "contract_number": f"{'ДБ' if stage.startswith('db') else 'ДУ'}-{100 + n}/2026",
            "contract_date": today - timedelta(days=60),
            "fee": Decimal("150000") if stage.startswith("db") else Decimal("40000"),
        }
    if stage == "db_in_court":
        return {
            "court": "Арбитражный суд г. Москвы",
            "case_number": f"А40-{200000 + n}/2026",
            "filing_date": today - timedelta(days=30),
        }
    if stage == "db_archive":
        return {"outcome_written_off": True, "outcome_date": today - timedelta(days=5)}
    if stage == "du_done":
        return {"outcome_date": today - timedelta(days=3)}
    return {"termination_reason": "Клиент отказался от услуг"}


def _walk_to(deal: Deal, target: str, by: User, n: int) -> None:
    line = deal.service_line
    path = PATH[line]
    stops = [path[1], target] if target.endswith("terminated") else path[1 : path.index(target) + 1]
    for stage in stops:
        deal_move_to_stage(deal=deal, stage=stage, by=by, data=_stage_data(stage, n))


@transaction.atomic
def seed_pipeline() -> list[str]:
    created = []
    users = {u.username: u for u in User.objects.filter(username__in={row[0] for row in CLIENTS} | {"callcenter"})}
    today = timezone.localdate()
    for n, (login, last, first, patronymic, phone, line, stage) in enumerate(CLIENTS):
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
        )
        if stage != PATH[line][0]:
            _walk_to(deal, stage, manager, n)
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
        lead_create(
            by=call_centre,
            source="call",
            phone="+7 916 300-00-01",
            name="Виктор",
            message="Долги по трём кредитам, около 900 тыс.",
            service_line="db",
        )
        lead_create(
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
        lead_create(by=call_centre, source="call", phone="+7 916 300-00-03", name="Реклама снова")
        created.append("лиды: новый, в работе, нецелевой, у офис-менеджера")
    return created
