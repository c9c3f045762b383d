"""Writes for deals: create, move along the pipeline, reassign, case data, payments.

Every function runs in one transaction, keeps the per-stage counters, and
writes the client's timeline and the audit log.
"""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, ClientDocument, ClientPhone, TimelineEntry
from clients.selectors import clients_visible_to
from clients.services import client_create, document_add, timeline_add
from crm import access, outbox, relink, stale
from crm.errors import DomainError
from crm.models import AuditEntry, User
from crm.money import rub
from crm.notifications import notify
from crm.phones import normalize_phone
from crm.pipelines import (
    CLOSED,
    CONTRACTED,
    FIRST_STAGE,
    REQUIRED_FIELDS,
    TERMINATED,
    ServiceLine,
    Stage,
    allowed_targets,
    line_of,
)
from crm.roles import Role
from crm.services import audit_record
from crm.validators import clean_case_number, clean_inn, mask
from crm.workdays import add_working_days
from deals import validators as bounds
from deals.models import (
    Creditor,
    Deal,
    DealStageChange,
    DealStageCount,
    Hearing,
    IncomingDocument,
    IncomingSeries,
    Instalment,
    Payment,
    StageAutomation,
    StageDocumentRule,
)
from deals.selectors import deals_visible_to
from tasks.services import check_deadline as check_task_deadline
from tasks.services import default_deadline as task_default_deadline
from tasks.services import task_create

Action = AuditEntry.Action

# Field labels for messages: «Укажите: номер договора, дату договора».
FIELD_LABELS = {
    "contract_number": "номер договора",
    "contract_date": "дату договора",
    "fee": "стоимость услуг",
    "court": "арбитражный суд",
    "case_number": "номер дела",
    "filing_date": "дату подачи заявления",
    "outcome_written_off": "итог (списаны ли долги)",
    "outcome_date": "дату завершения",
    "termination_reason": "причину расторжения",
}
STAGE_FIELDS = tuple(FIELD_LABELS)
CASE_FIELDS = (
    "title",
    "court",
    "case_number",
    "filing_date",
    "judge",
    "financial_manager",
    "deposit_paid",
    "total_debt",
    "property_notes",
)
# Court work, which lawyers do too (access.may_do_court_work): taking a ДБ deal into court
# and to the archive, case data, creditors, hearings. Contracts and money stay with sales.
COURT_STAGES = frozenset({Stage.DB_IN_COURT, Stage.DB_ARCHIVE})
# Entering these ends a stage of the firm's work (the filing prepared, the case through court,
# the ДУ service rendered): an act of services is due for it.
COMPLETES_WORK = frozenset({Stage.DB_IN_COURT, Stage.DB_ARCHIVE, Stage.DU_DONE})


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _bump_counter(*, manager_id: int, branch_id: int, stage: str, delta: int, fee: Decimal | None = None) -> None:
    # Make sure the row exists, then change it in the database: F() keeps two
    # concurrent moves from losing each other's update. The deal's fee goes in
    # and out of the column's sum with the deal itself (`delta` is ±1).
    DealStageCount.objects.bulk_create(
        [DealStageCount(manager_id=manager_id, branch_id=branch_id, stage=stage, count=0)], ignore_conflicts=True
    )
    DealStageCount.objects.filter(manager_id=manager_id, branch_id=branch_id, stage=stage).update(
        count=F("count") + delta, fee_total=F("fee_total") + (fee or Decimal("0")) * delta
    )


def _record_stage_change(deal: Deal, *, from_stage: str, entered_from_at, at) -> None:
    """The stage history row the heads' funnel reads (see DealStageChange)."""
    DealStageChange.objects.create(
        deal=deal,
        service_line=deal.service_line,
        from_stage=from_stage,
        to_stage=deal.stage,
        at=at,
        from_entered_at=entered_from_at,
        seconds_in_from=int((at - entered_from_at).total_seconds()) if entered_from_at else None,
        source=deal.source,
        manager_id=deal.manager_id,
        branch_id=deal.branch_id,
        fee=deal.fee,
        termination_reason=deal.termination_reason if deal.stage in TERMINATED.values() else "",
    )


def _check_can_work(by: User, deal: Deal, *, target: str | None = None, court_work: bool = False) -> None:
    if not deals_visible_to(by).filter(pk=deal.pk).exists():
        raise DomainError("Нет доступа к этой сделке.", code="forbidden")
    if (court_work or target in COURT_STAGES) and access.may_do_court_work(by):
        return
    if not access.can_work_records(by):
        raise DomainError("Ваша роль не позволяет менять сделки.", code="forbidden")


def _assignee_for(rule: str, deal: Deal) -> User:
    if rule == StageAutomation.Assignee.MANAGER:
        return deal.manager
    role = Role.HEAD_OF_SALES if rule == StageAutomation.Assignee.HEAD else Role.LAWYER
    person = User.objects.filter(branch_id=deal.branch_id, role=role, is_active=True).order_by("id").first()
    return person or deal.manager


def _run_stage_automation(deal: Deal, stage: str) -> list:
    """Create the tasks configured for entering `stage` (admin: «Автозадачи стадий»)."""
    rules = list(StageAutomation.objects.filter(stage=stage, is_active=True))
    if not rules:
        return []

    created = []
    today = timezone.localdate()
    for rule in rules:
        created.append(
            task_create(
                author=None,
                responsible=_assignee_for(rule.assignee, deal),
                title=rule.title,
                body=rule.body,
                deadline=add_working_days(today, min(3, max(1, rule.deadline_working_days))),
                client=deal.client,
                deal=deal,
            )
        )
    return created


def _check_manager(manager: User, *, field: str = "manager") -> None:
    if not access.may_own_clients(manager):
        raise DomainError("Сделку можно поручить только действующему менеджеру или РОП.", field=field)
    if manager.branch_id is None:
        raise DomainError("У менеджера не указан филиал.", field=field)


@transaction.atomic
def deal_create(
    *,
    by: User | None,
    client: Client,
    service_line: str,
    manager: User,
    title: str = "",
    source: str = Deal.Source.CALL,
) -> Deal:
    """Open a deal for a client at the first stage of its pipeline."""
    if service_line not in ServiceLine.values:
        raise DomainError("Выберите направление: ДБ или ДУ.", field="service_line")
    _check_manager(manager)
    stage = FIRST_STAGE[service_line]
    # One instant for both: the history's opening row and the first move's `from_entered_at` must agree.
    now = timezone.now()
    deal = Deal.objects.create(
        client=client,
        service_line=service_line,
        stage=stage,
        manager=manager,
        branch_id=manager.branch_id,
        title=title or ("Банкротство физического лица" if service_line == ServiceLine.DB else ""),
        source=source,
        search_key=client.search_key,
        created_at=now,
        stage_changed_at=now,
    )
    # One client, one responsible manager: the client follows its newest deal.
    if client.manager_id != manager.pk or client.branch_id != manager.branch_id:
        Client.objects.filter(pk=client.pk).update(manager=manager, branch_id=manager.branch_id)
        client.manager, client.branch_id = manager, manager.branch_id
    _bump_counter(manager_id=manager.pk, branch_id=manager.branch_id, stage=stage, delta=1)
    _record_stage_change(deal, from_stage="", entered_from_at=None, at=deal.created_at)
    timeline_add(
        client=client,
        deal=deal,
        kind=TimelineEntry.Kind.CREATED,
        actor=by,
        text=f"Сделка {ServiceLine(service_line).label}: «{Stage(stage).label}», менеджер {manager.short_name}",
    )
    audit_record(actor=by, action=Action.CREATE, target=deal, changes={"stage": stage, "manager": str(manager)})
    _run_stage_automation(deal, stage)
    outbox.publish("client.changed", key=client.pk, reason="новая сделка")
    return deal


@transaction.atomic
def deal_open(
    *,
    by: User,
    service_line: str,
    manager: User,
    client: Client | None = None,
    new_client: dict | None = None,
) -> Deal:
    """«+ сделка» on the board: a deal for a client `by` may see, or for a new client (name and phone).

    Refuses a manager `by` may not give cases to, a client out of `by`'s sight, and a new client
    whose phone is already on a card (that client is to be picked, not doubled); changes nothing then.
    """
    if not access.may_open_case_for(by, manager):
        raise DomainError("Этому менеджеру вы не можете поручить сделку.", field="manager", code="forbidden")
    if client is not None:
        if not clients_visible_to(by).filter(pk=client.pk).exists():
            raise DomainError("Клиент не найден.", field="client", code="forbidden")
    else:
        fields = dict(new_client or {})
        phone = normalize_phone(fields.get("phone", ""))
        if not phone:
            raise DomainError("Укажите телефон клиента.", field="phone")
        if ClientPhone.objects.filter(number_norm=phone).exists():
            raise DomainError(
                "Клиент с этим телефоном уже есть в CRM: найдите его в поиске (или попросите РОП передать его вам).",
                field="phone",
            )
        client = client_create(
            by=by,
            branch=manager.branch,
            manager=manager,
            phones=[fields["phone"]],
            last_name=fields.get("last_name", ""),
            first_name=fields.get("first_name", ""),
            patronymic=fields.get("patronymic", ""),
        )
    return deal_create(by=by, client=client, service_line=service_line, manager=manager)


def _clean_stage_data(deal: Deal, stage: str, data: dict) -> dict:
    """Merge the fields brought with the move, check the target stage's requirements."""
    unknown = set(data) - set(STAGE_FIELDS) - set(CASE_FIELDS)
    if unknown:
        raise DomainError(f"Неизвестные поля: {', '.join(sorted(unknown))}.")
    cleaned = {k: v for k, v in data.items() if v not in (None, "")}
    if "case_number" in cleaned:
        cleaned["case_number"] = clean_case_number(cleaned["case_number"])
    missing = [f for f in REQUIRED_FIELDS.get(stage, ()) if cleaned.get(f, getattr(deal, f)) in (None, "")]
    if missing:
        labels = ", ".join(FIELD_LABELS[f] for f in missing)
        raise DomainError(f"Для стадии «{Stage(stage).label}» укажите: {labels}.", field=missing[0], code="required")
    _check_bounds(deal, cleaned)
    return cleaned


def _check_bounds(deal: Deal, values: dict) -> None:
    """The dates and sums being set, within deals.validators' bounds, against the contract as it will stand."""
    contract_date = values.get("contract_date") or deal.contract_date
    if values.get("fee") is not None:
        bounds.check_fee(values["fee"])
    if values.get("contract_date"):
        bounds.check_contract_date(values["contract_date"])
    if values.get("filing_date"):
        bounds.check_filing_date(values["filing_date"], contract_date=contract_date)
    elif values.get("contract_date") and deal.filing_date and deal.filing_date < contract_date:
        # Only a new contract date is held against the stored filing: old rows that
        # disagree must not block unrelated edits.
        raise DomainError("Заявление не может быть подано раньше договора.", field="filing_date")
    if values.get("outcome_date"):
        bounds.check_outcome_date(values["outcome_date"], contract_date=contract_date)
    if values.get("total_debt") is not None:
        bounds.check_total_debt(values["total_debt"])


def _masked_debts(changes: dict) -> dict:
    """Debts are personal data: the audit log keeps that they changed, masked like a passport."""
    return {k: [mask(str(v or "")) for v in pair] if k == "total_debt" else pair for k, pair in changes.items()}


def _check_stage_documents(deal: Deal, stage: str) -> None:
    """The documents the firm requires before `stage` (admin: «Документы для стадий»), on the client's card."""
    kinds = list(
        StageDocumentRule.objects.filter(stage=stage, is_active=True)
        .order_by("id")
        .values_list("document_kind", flat=True)
    )
    if not kinds:
        return
    present = set(
        ClientDocument.objects.filter(client_id=deal.client_id, kind__in=kinds).values_list("kind", flat=True)
    )
    for kind in kinds:
        if kind not in present:
            raise DomainError(
                f"Для стадии «{Stage(stage).label}» нужен документ «{ClientDocument.Kind(kind).label}»: "
                "прикрепите его в карточке клиента.",
                field="stage",
                code="documents",
            )


@transaction.atomic
def deal_move_to_stage(*, deal: Deal, stage: str, by: User, data: dict | None = None) -> Deal:
    """Move a deal to the next stage (or to termination), with the fields that stage requires.

    Refuses skipping stages, moving backwards and missing fields, changing nothing.
    """
    deal = Deal.objects.select_for_update().select_related("client", "manager").get(pk=deal.pk)
    _check_can_work(by, deal, target=stage)
    if stage not in Stage.values or line_of(stage) != deal.service_line:
        raise DomainError("Такой стадии нет в воронке этой сделки.", field="stage")
    if stage == deal.stage:
        raise DomainError(f"Сделка уже на стадии «{Stage(stage).label}».", field="stage")
    targets = allowed_targets(deal.stage)
    if stage not in targets:
        allowed = ", ".join(f"«{Stage(t).label}»" for t in targets) or "никуда (сделка закрыта)"
        raise DomainError(
            f"Из стадии «{Stage(deal.stage).label}» можно перейти только в {allowed}.", field="stage", code="order"
        )
    cleaned = _clean_stage_data(deal, stage, data or {})
    _check_stage_documents(deal, stage)
    before = {f: _plain(getattr(deal, f)) for f in cleaned}
    old_fee, was_signed = deal.fee, deal.contract_date is not None
    for field, value in cleaned.items():
        setattr(deal, field, value)
    old_stage, entered_old_at, now = deal.stage, deal.stage_changed_at, timezone.now()
    deal.stage, deal.stage_changed_at = stage, now
    deal.closed_at = now if stage in CLOSED else None
    deal.save()
    _record_stage_change(deal, from_stage=old_stage, entered_from_at=entered_old_at, at=now)
    if deal.contract_date is not None and not was_signed:
        # Apps above mark what the contract means to them (the request the deal came from: crm/relink.py).
        relink.run("deal.contract_signed", deal=deal)
    _bump_counter(manager_id=deal.manager_id, branch_id=deal.branch_id, stage=old_stage, delta=-1, fee=old_fee)
    _bump_counter(manager_id=deal.manager_id, branch_id=deal.branch_id, stage=stage, delta=1, fee=deal.fee)
    changes = {"stage": [old_stage, stage], **{f: [before[f], _plain(v)] for f, v in cleaned.items()}}
    timeline_add(
        client=deal.client,
        deal=deal,
        kind=TimelineEntry.Kind.STAGE,
        actor=by,
        text=f"Стадия: «{Stage(old_stage).label}» → «{Stage(stage).label}»",
        data={"from": old_stage, "to": stage},
    )
    audit_record(actor=by, action=Action.UPDATE, target=deal, changes=changes)
    _run_stage_automation(deal, stage)
    outbox.publish("client.changed", key=deal.client_id, reason="смена стадии")
    if stage in COMPLETES_WORK:
        # The work of the stage left is done: the documents make its act of services (integrations).
        outbox.publish(
            "deal.stage_completed", key=deal.pk, reason=Stage(old_stage).label, payload={"completed": old_stage}
        )
    return deal


@transaction.atomic
def deal_reassign(*, deal: Deal, manager: User, by: User) -> Deal:
    """Hand a deal (and its client) to another manager: heads within their branch, the director anywhere."""
    deal = Deal.objects.select_for_update().select_related("client", "manager").get(pk=deal.pk)
    if not access.can_manage_branch(by, deal.branch_id):
        raise DomainError("Передавать сделки может РОП филиала или директор.", code="forbidden")
    _check_manager(manager)
    if not access.can_manage_branch(by, manager.branch_id):
        raise DomainError("РОП может передать сделку только менеджеру своего филиала.", field="manager")
    if manager.pk == deal.manager_id:
        raise DomainError("Сделка уже у этого менеджера.", field="manager")
    old = deal.manager
    _bump_counter(manager_id=old.pk, branch_id=deal.branch_id, stage=deal.stage, delta=-1, fee=deal.fee)
    deal.manager, deal.branch_id = manager, manager.branch_id
    deal.save(update_fields=["manager", "branch"])
    _bump_counter(manager_id=manager.pk, branch_id=manager.branch_id, stage=deal.stage, delta=1, fee=deal.fee)
    Client.objects.filter(pk=deal.client_id).update(manager=manager, branch_id=manager.branch_id)
    # The schedule follows the deal: overdue instalments are the new manager's to collect.
    schedule = Instalment.objects.filter(deal=deal)
    stale.mark(stale.INSTALMENT, *schedule.values_list("due_date", flat=True))
    schedule.update(manager=manager, branch_id=manager.branch_id)
    timeline_add(
        client=deal.client,
        deal=deal,
        kind=TimelineEntry.Kind.ASSIGNMENT,
        actor=by,
        text=f"Передано: {old.short_name} → {manager.short_name}",
        data={"from": old.pk, "to": manager.pk},
    )
    audit_record(actor=by, action=Action.UPDATE, target=deal, changes={"manager": [str(old), str(manager)]})
    notify(
        users=[manager],
        text=f"Вам передана сделка {deal.get_service_line_display()[:2]}: {deal.client.display_name}",
        url=reverse("deals:detail", args=[deal.pk]),
        skip=by,
    )
    outbox.publish("client.changed", key=deal.client_id, reason="передача менеджеру")
    outbox.publish("payments.changed", key=old.pk)
    outbox.publish("payments.changed", key=manager.pk)
    return deal


@transaction.atomic
def deal_update_case(*, deal: Deal, by: User, data: dict) -> Deal:
    """Edit case data: court, case number, judge, financial manager, debts, property."""
    deal = Deal.objects.select_for_update().select_related("client").get(pk=deal.pk)
    _check_can_work(by, deal, court_work=True)
    unknown = set(data) - set(CASE_FIELDS)
    if unknown:
        raise DomainError(f"Поле «{sorted(unknown)[0]}» нельзя менять здесь.", field=sorted(unknown)[0])
    if data.get("case_number"):
        data = {**data, "case_number": clean_case_number(data["case_number"])}
    _check_bounds(deal, data)
    changes = {}
    for field, value in data.items():
        if getattr(deal, field) != value:
            changes[field] = [_plain(getattr(deal, field)), _plain(value)]
            setattr(deal, field, value)
    if not changes:
        return deal
    deal.save()
    audit_record(actor=by, action=Action.UPDATE, target=deal, changes=_masked_debts(changes))
    timeline_add(
        client=deal.client,
        deal=deal,
        kind=TimelineEntry.Kind.CHANGE,
        actor=by,
        text="Изменены данные дела: " + ", ".join(sorted(changes)),
    )
    return deal


@transaction.atomic
def creditor_add(
    *, deal: Deal, by: User, name: str, amount: Decimal, kind: str = Creditor.Kind.BANK, inn: str = ""
) -> Creditor:
    _check_can_work(by, deal, court_work=True)
    if deal.service_line != ServiceLine.DB:
        raise DomainError("Кредиторы ведутся только по делам о банкротстве.")
    if not name.strip():
        raise DomainError("Укажите кредитора.", field="name")
    bounds.check_creditor_amount(amount)
    creditor = Creditor.objects.create(deal=deal, name=name.strip(), amount=amount, kind=kind, inn=clean_inn(inn))
    Deal.objects.filter(pk=deal.pk).update(
        total_debt=Creditor.objects.filter(deal=deal).aggregate(s=Sum("amount"))["s"]
    )
    audit_record(
        actor=by,
        action=Action.CREATE,
        target=creditor,
        changes={"deal": deal.pk, "amount": mask(str(amount)), "inn": mask(creditor.inn)},
    )
    return creditor


def deal_debts_reveal(*, deal: Deal, by: User, ip: str | None = None) -> None:
    """Log that `by` saw the deal's debts in clear: the total, each creditor's amount and ИНН.

    The caller has fetched `deal` through the selector, so `by` may see it."""
    audit_record(actor=by, action=Action.VIEW_PERSONAL_DATA, target=deal, changes={"field": "debts"}, ip=ip)


@transaction.atomic
def hearing_add(*, deal: Deal, by: User, date, result: str = "", next_date=None) -> Hearing:
    _check_can_work(by, deal, court_work=True)
    bounds.check_hearing_date(date)
    if next_date:
        bounds.check_hearing_date(next_date, field="next_date")
    if next_date and next_date <= date:
        raise DomainError("Следующее заседание должно быть позже этого.", field="next_date")
    hearing = Hearing.objects.create(deal=deal, date=date, result=result, next_date=next_date)
    timeline_add(
        client=deal.client,
        deal=deal,
        kind=TimelineEntry.Kind.CHANGE,
        actor=by,
        text=f"Заседание {timezone.localtime(date):%d.%m.%Y %H:%M}" + (f": {result}" if result else ""),
    )
    audit_record(actor=by, action=AuditEntry.Action.CREATE, target=hearing)
    outbox.publish("hearing.changed", key=hearing.pk, reason="заседание")  # lawyers' calendars follow
    return hearing


# --- payments -----------------------------------------------------------------------


def _dashboard_copies(deal: Deal) -> dict:
    """The deal's fields a payment or an instalment carries for the dashboards (no join to the deals)."""
    return {
        "branch_id": deal.branch_id,
        "manager_id": deal.manager_id,
        "source": deal.source,
        "service_line": deal.service_line,
    }


def _reallocate(deal: Deal) -> None:
    """Spread everything paid over the schedule, oldest instalment first.

    Recomputed from the payments each time, so the schedule can never drift
    from the money actually received.
    """
    paid = Payment.objects.filter(deal=deal).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    instalments = list(Instalment.objects.select_for_update().filter(deal=deal).order_by("due_date", "id"))
    changed = []
    for item in instalments:
        share = min(item.amount, paid)
        paid -= share
        if item.paid_amount != share:
            item.paid_amount = share
            changed.append(item)
    stale.mark(stale.INSTALMENT, *(item.due_date for item in changed))
    Instalment.objects.bulk_update(changed, ["paid_amount"])


@transaction.atomic
def schedule_set(*, deal: Deal, by: User, items: list[tuple[date, Decimal]]) -> list[Instalment]:
    """Replace the fee's instalment schedule; the instalments must add up to the fee."""
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    _check_can_work(by, deal)
    if deal.fee is None:
        raise DomainError("Сначала укажите стоимость услуг по договору.", field="fee")
    if not items:
        raise DomainError("В графике нет ни одного платежа.", field="items")
    for due, amount in items:
        bounds.check_instalment(due, amount, contract_date=deal.contract_date)
    total = sum((amount for _, amount in items), Decimal("0"))
    if total != deal.fee:
        raise DomainError(f"Сумма графика {rub(total)} не равна стоимости услуг {rub(deal.fee)}.", field="items")
    old = Instalment.objects.filter(deal=deal)
    stale.mark(stale.INSTALMENT, *old.values_list("due_date", flat=True), *(due for due, _ in items))
    old.delete()
    created = Instalment.objects.bulk_create(
        [Instalment(deal=deal, due_date=due, amount=amount, **_dashboard_copies(deal)) for due, amount in sorted(items)]
    )
    _reallocate(deal)
    audit_record(
        actor=by,
        action=Action.UPDATE,
        target=deal,
        changes={"schedule": [[d.isoformat(), str(a)] for d, a in sorted(items)]},
    )
    return created


@transaction.atomic
def payment_record(*, deal: Deal, by: User, paid_on: date, amount: Decimal, method: str, comment: str = "") -> Payment:
    """Record money received from the client."""
    deal = Deal.objects.select_for_update().select_related("client").get(pk=deal.pk)
    _check_can_work(by, deal)
    bounds.check_payment_amount(amount)
    bounds.check_payment_date(paid_on, deal=deal)
    if method not in Payment.Method.values:
        raise DomainError("Выберите способ оплаты.", field="method")
    if deal.stage not in CONTRACTED and deal.stage not in (Stage.DB_TERMINATED, Stage.DU_TERMINATED):
        raise DomainError("Платёж можно внести только по заключённому договору.", field="deal")
    payment = Payment.objects.create(
        deal=deal,
        paid_on=paid_on,
        amount=amount,
        method=method,
        comment=comment.strip(),
        recorded_by=by,
        **_dashboard_copies(deal),
    )
    _reallocate(deal)
    timeline_add(
        client=deal.client,
        deal=deal,
        kind=TimelineEntry.Kind.PAYMENT,
        actor=by,
        text=f"Платёж {rub(amount)} от {paid_on:%d.%m.%Y} ({payment.get_method_display().lower()})",
        data={"payment": payment.pk},
    )
    audit_record(
        actor=by,
        action=Action.CREATE,
        target=payment,
        changes={"deal": deal.pk, "amount": str(amount), "paid_on": paid_on.isoformat()},
    )
    outbox.publish("payments.changed", key=deal.manager_id)
    return payment


@transaction.atomic
def deal_import(*, client: Client, service_line: str, stage: str, manager: User, source_note: str) -> Deal:
    """A deal found in today's Disk tree: placed straight at the stage its folder shows.

    The stage's fields (contract, case) are not on the Disk, so they stay
    empty to be filled in; no stage automation runs for the past.
    """
    if stage not in Stage.values or line_of(stage) != service_line:
        raise DomainError("Такой стадии нет в воронке.", field="stage")
    now = timezone.now()
    deal = Deal.objects.create(
        client=client,
        service_line=service_line,
        stage=stage,
        manager=manager,
        branch_id=manager.branch_id,
        title="Банкротство физического лица" if service_line == ServiceLine.DB else "",
        source=Deal.Source.OTHER,
        created_at=now,
        stage_changed_at=now,
        closed_at=now if stage in CLOSED else None,
        search_key=client.search_key,
    )
    _bump_counter(manager_id=manager.pk, branch_id=manager.branch_id, stage=stage, delta=1)
    # It entered the CRM at that stage: the funnel counts it there, not in the stages before.
    _record_stage_change(deal, from_stage="", entered_from_at=None, at=deal.created_at)
    timeline_add(
        client=client,
        deal=deal,
        kind=TimelineEntry.Kind.CREATED,
        text=f"Импортировано с Яндекс.Диска: {source_note} → «{Stage(stage).label}»",
    )
    audit_record(actor=None, action=Action.IMPORT, target=deal, changes={"stage": stage, "from": source_note})
    return deal


# --- incoming documents -------------------------------------------------------------------

MAX_SENDER_LENGTH = 300


def incoming_number(year: int, seq: int) -> str:
    """«ВХ-2026-0042»: the register's number as it is written on the paper."""
    return f"ВХ-{year}-{seq:04d}"


def _take_incoming_seq(year: int) -> int:
    """The next number of `year`'s register. The series row is locked until the registration commits,
    so two clerks at once get two numbers; the counter only goes up, so a number is never given twice."""
    IncomingSeries.objects.bulk_create([IncomingSeries(year=year, next_number=1)], ignore_conflicts=True)
    series = IncomingSeries.objects.select_for_update().get(year=year)
    IncomingSeries.objects.filter(pk=series.pk).update(next_number=F("next_number") + 1)
    return series.next_number


def _check_incoming(*, deal: Deal, received_on, sender: str, kind: str, upload, reply_deadline, responsible) -> None:
    if kind not in IncomingDocument.Kind.values:
        raise DomainError("Выберите вид документа.", field="kind")
    if not sender:
        raise DomainError("Укажите отправителя.", field="sender")
    if len(sender) > MAX_SENDER_LENGTH:
        raise DomainError(f"Отправитель — не длиннее {MAX_SENDER_LENGTH} символов.", field="sender")
    if received_on is None:
        raise DomainError("Укажите дату получения.", field="received_on")
    if received_on > timezone.localdate():
        raise DomainError("Дата получения не может быть в будущем.", field="received_on")
    if received_on.year < 2000:
        raise DomainError("Проверьте дату получения.", field="received_on")
    if upload is None:
        raise DomainError("Прикрепите скан документа.", field="file")
    if reply_deadline is not None and reply_deadline < received_on:
        raise DomainError("Срок ответа не может быть раньше даты получения.", field="reply_deadline")
    if responsible is not None and not deals_visible_to(responsible).filter(pk=deal.pk).exists():
        raise DomainError(
            f"{responsible.short_name} не может открыть эту сделку: выберите другого ответственного.",
            field="responsible",
        )


def _reply_task(*, incoming: IncomingDocument, by: User, deal: Deal):
    """The task to answer the paper by its deadline. A court's or a creditor's term is the real deadline,
    so one beyond the rulebook's 3 working days carries that as its reason."""
    reason = ""
    if incoming.reply_deadline > task_default_deadline():
        reason = f"Срок ответа по входящему № {incoming.number}"
    body = f"{incoming.get_kind_display()} от {incoming.received_on:%d.%m.%Y}, отправитель: {incoming.sender}."
    if incoming.summary:
        body += f"\n\n{incoming.summary}"
    try:
        return task_create(
            author=by,
            responsible=incoming.responsible,
            title=f"Ответить на входящий № {incoming.number}: {incoming.sender}",
            body=body,
            deadline=incoming.reply_deadline,
            deadline_reason=reason,
            client=deal.client,
            deal=deal,
        )
    except DomainError as exc:
        # The task's rules speak of the task's fields; the form has the paper's.
        raise DomainError(exc.message, field="responsible" if exc.field == "responsible" else "reply_deadline") from exc


@transaction.atomic
def incoming_register(
    *,
    deal: Deal,
    by: User,
    received_on: date,
    sender: str,
    kind: str,
    upload,
    summary: str = "",
    reply_deadline: date | None = None,
    responsible: User | None = None,
) -> IncomingDocument:
    """Register a paper that came in on a deal: the year's next number, its scan among the client's
    documents, and with a reply deadline a task for the responsible (the deal's manager by default).

    Refuses a deal `by` may not work on, a date ahead, a deadline before the paper came, a responsible
    who may not open the deal; changes nothing then.
    """
    deal = Deal.objects.select_related("client", "manager").get(pk=deal.pk)
    _check_can_work(by, deal, court_work=True)
    sender = (sender or "").strip()
    if reply_deadline is not None and responsible is None:
        responsible = deal.manager
    _check_incoming(
        deal=deal,
        received_on=received_on,
        sender=sender,
        kind=kind,
        upload=upload,
        reply_deadline=reply_deadline,
        responsible=responsible,
    )
    if reply_deadline is not None:
        # Before the file is stored: a refused deadline must leave no file behind.
        try:
            check_task_deadline(reply_deadline, "срок ответа")
        except DomainError as exc:
            raise DomainError(exc.message, field="reply_deadline") from exc
    year = timezone.localdate().year
    seq = _take_incoming_seq(year)
    number = incoming_number(year, seq)
    scan = document_add(client=deal.client, by=by, upload=upload, kind=ClientDocument.Kind.SCAN)
    incoming = IncomingDocument(
        deal=deal,
        client_id=deal.client_id,
        number=number,
        year=year,
        seq=seq,
        received_on=received_on,
        sender=sender,
        kind=kind,
        summary=(summary or "").strip(),
        file=scan,
        reply_deadline=reply_deadline,
        responsible=responsible,
        registered_by=by,
    )
    if reply_deadline is not None:
        incoming.task = _reply_task(incoming=incoming, by=by, deal=deal)
    incoming.save()
    deadline_text = f", ответить до {reply_deadline:%d.%m.%Y} ({responsible.short_name})" if reply_deadline else ""
    timeline_add(
        client=deal.client,
        deal=deal,
        kind=TimelineEntry.Kind.DOCUMENT,
        actor=by,
        text=f"Входящий № {number} от {received_on:%d.%m.%Y}: {incoming.get_kind_display()}, {sender}{deadline_text}",
        data={"incoming": incoming.pk, "document": scan.pk},
    )
    audit_record(
        actor=by,
        action=Action.CREATE,
        target=incoming,
        changes={
            "deal": deal.pk,
            "number": number,
            "kind": kind,
            "received_on": received_on.isoformat(),
            "reply_deadline": reply_deadline.isoformat() if reply_deadline else None,
            "responsible": responsible.pk if responsible else None,
        },
    )
    return incoming
