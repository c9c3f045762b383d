"""Writes for leads: intake, routing, non-target marking, conversion, assignment.

Intake stores the lead in a transaction of its own before anything else:
if routing or matching fails afterwards, the request is still there, new
and unassigned, in the heads' queue.
"""

import hashlib
import json
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from clients.models import Client, ClientPhone, TimelineEntry
from clients.services import client_create, timeline_add
from crm import access
from crm.errors import DomainError
from crm.models import AuditEntry, Branch, User
from crm.phones import normalize_email, normalize_phone
from crm.roles import Role
from crm.services import audit_record
from deals.models import Deal
from deals.services import deal_create
from leads.models import Lead, NonTargetContact

log = logging.getLogger(__name__)
Action = AuditEntry.Action
# A head gives leads within the branch, a manager takes them only on themselves.
_NOT_YOURS_TO_ASSIGN = "Этому менеджеру вы не можете поручить лид."


def _clean_contact(phone: str, email: str) -> tuple[str, str]:
    phone_norm = normalize_phone(phone) if phone and phone.strip() else ""
    if phone and phone.strip() and not phone_norm:
        raise DomainError(f"«{phone.strip()}» не похоже на номер телефона.", field="phone")
    email_norm = normalize_email(email)
    if not phone_norm and not email_norm:
        raise DomainError("Нужен телефон или e-mail, чтобы связаться с клиентом.", field="phone")
    return phone_norm, email_norm


def _office_manager_for(branch_id) -> User | None:
    qs = User.objects.filter(role=Role.OFFICE_MANAGER, is_active=True).order_by("id")
    return (qs.filter(branch_id=branch_id).first() if branch_id else None) or qs.first()


def _request_fingerprint(**intake) -> str:
    """What a request asked for, as the key's first use is compared with its reuse."""
    canonical = json.dumps(intake, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _same_request(lead: Lead, fingerprint: str, intake: dict) -> bool:
    if lead.idempotency_fingerprint:
        return lead.idempotency_fingerprint == fingerprint
    # Stored before fingerprints were kept: compare what routing never changes.
    stored = {f: getattr(lead, f) for f in ("source", "name", "phone_norm", "email_norm", "message", "service_line")}
    return stored == {f: intake[f] for f in stored}


def _replay(*, by: User | None, key: str, fingerprint: str, intake: dict) -> Lead | None:
    """The lead this caller already sent with this key, or None; the key reused for another request is refused."""
    lead = Lead.objects.filter(created_by=by, idempotency_key=key).first()
    if lead is not None and not _same_request(lead, fingerprint, intake):
        raise DomainError(
            f"Ключ Idempotency-Key «{key}» уже использован для другого обращения. "
            "Для нового обращения пришлите новый ключ.",
            code="idempotency_key_reused",
        )
    return lead


def non_target_match(*, phone_norm: str, email_norm: str) -> NonTargetContact | None:
    values = [(NonTargetContact.Kind.PHONE, phone_norm), (NonTargetContact.Kind.EMAIL, email_norm)]
    for kind, value in values:
        if value:
            found = NonTargetContact.objects.filter(kind=kind, value=value, lifted_at__isnull=True).first()
            if found:
                return found
    return None


def lead_create(
    *,
    by: User | None,
    source: str,
    phone: str = "",
    email: str = "",
    name: str = "",
    message: str = "",
    service_line: str = "",
    branch: Branch | None = None,
    assigned_to: User | None = None,
    idempotency_key: str | None = None,
) -> tuple[Lead, bool]:
    """Take in a request: store it, then route it. Returns (lead, created).

    An idempotency key is the caller's own (`by`; None is the intake with no
    caller): the same caller, key and request give back the first lead
    (created=False); the same key with another request is refused.
    """
    if by is not None and not access.may_take_leads(by):
        raise DomainError("Принимать обращения может колл-центр, офис-менеджер, менеджер или РОП.", code="forbidden")
    if source not in Deal.Source.values:
        raise DomainError("Неизвестный источник обращения.", field="source")
    phone_norm, email_norm = _clean_contact(phone, email)
    if assigned_to is not None and not access.may_own_clients(assigned_to):
        raise DomainError("Лид можно поручить только действующему менеджеру.", field="assigned_to")
    if assigned_to is not None and by is not None and not access.may_assign_lead_to(by, assigned_to):
        raise DomainError(_NOT_YOURS_TO_ASSIGN, field="assigned_to", code="forbidden")
    idempotency_key = idempotency_key or None
    intake = {
        "source": source,
        "name": name.strip(),
        "phone_norm": phone_norm,
        "email_norm": email_norm,
        "message": message.strip(),
        "service_line": service_line,
        "branch": branch.pk if branch else None,
        "assigned_to": assigned_to.pk if assigned_to else None,
    }
    fingerprint = _request_fingerprint(**intake) if idempotency_key else ""
    if idempotency_key:
        existing = _replay(by=by, key=idempotency_key, fingerprint=fingerprint, intake=intake)
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            lead = Lead.objects.create(
                source=source,
                name=name.strip(),
                phone=phone.strip(),
                phone_norm=phone_norm,
                email=email.strip(),
                email_norm=email_norm,
                message=message.strip(),
                service_line=service_line,
                branch=branch,
                created_by=by,
                idempotency_key=idempotency_key,
                idempotency_fingerprint=fingerprint,
            )
    except IntegrityError:
        # Two requests of this caller with one key raced; the other stored it first.
        existing = (
            _replay(by=by, key=idempotency_key, fingerprint=fingerprint, intake=intake) if idempotency_key else None
        )
        if existing is None:
            raise
        return existing, False
    try:
        lead = lead_route(lead=lead, assigned_to=assigned_to, by=by)
    except Exception:
        # The lead is safe; a head sees it unassigned and routes it by hand.
        log.exception("lead %s stored but not routed", lead.pk)
    audit_record(actor=by, action=AuditEntry.Action.CREATE, target=lead)
    return lead, True


@transaction.atomic
def lead_route(*, lead: Lead, assigned_to: User | None, by: User | None) -> Lead:
    """Send a stored lead where it belongs: the office queue for non-target
    contacts, else the chosen manager (or the branch heads' queue)."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    marked = non_target_match(phone_norm=lead.phone_norm, email_norm=lead.email_norm)
    if marked:
        office = _office_manager_for(lead.branch_id)
        lead.routed_to_office = True
        lead.assigned_to = office
        lead.non_target_reason = f"Контакт отмечен нецелевым: {marked.reason}"
    else:
        lead.assigned_to = assigned_to
        if assigned_to and lead.branch_id is None:
            lead.branch_id = assigned_to.branch_id
    if lead.phone_norm:
        match = ClientPhone.objects.filter(number_norm=lead.phone_norm).order_by("client_id").first()
        lead.client_id = match.client_id if match else None
    if lead.assigned_to_id:
        lead.status = Lead.Status.IN_WORK
    lead.save()
    audit_record(
        actor=by,
        action=Action.CREATE,
        target=lead,
        changes={
            "source": lead.source,
            "routed_to_office": lead.routed_to_office,
            "assigned_to": str(lead.assigned_to or ""),
        },
    )
    if lead.client_id:
        timeline_add(
            client=lead.client,
            kind=TimelineEntry.Kind.LEAD,
            actor=by,
            text=f"Новое обращение ({lead.get_source_display()}): {lead.message[:200] or 'без текста'}",
        )
    return lead


@transaction.atomic
def lead_assign(*, lead: Lead, manager: User, by: User) -> Lead:
    """A head (or the director, or the call-centre at intake) gives a lead to a manager."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.routed_to_office:
        raise DomainError("Обращение от нецелевого контакта: сначала снимите отметку «нецелевой».")
    if lead.status in (Lead.Status.CONVERTED, Lead.Status.NON_TARGET):
        raise DomainError("Лид уже закрыт.")
    if not access.may_own_clients(manager):
        raise DomainError("Лид можно поручить только действующему менеджеру.", field="manager")
    if not access.may_assign_leads(by):
        raise DomainError("Поручать лиды может РОП филиала, директор или колл-центр.", code="forbidden")
    if not access.may_assign_lead_to(by, manager):
        raise DomainError(_NOT_YOURS_TO_ASSIGN, field="manager", code="forbidden")
    old = lead.assigned_to
    lead.assigned_to, lead.branch_id, lead.status = manager, manager.branch_id, Lead.Status.IN_WORK
    lead.save(update_fields=["assigned_to", "branch", "status"])
    audit_record(actor=by, action=Action.UPDATE, target=lead, changes={"assigned_to": [str(old or ""), str(manager)]})
    return lead


@transaction.atomic
def lead_mark_non_target(*, lead: Lead, by: User, reason: str) -> Lead:
    """Close the lead as non-target and put its phone and e-mail on the routing list."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Укажите, почему обращение нецелевое.", field="reason")
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status == Lead.Status.CONVERTED:
        raise DomainError("По лиду уже создана сделка.")
    lead.status, lead.non_target_reason = Lead.Status.NON_TARGET, reason
    lead.save(update_fields=["status", "non_target_reason"])
    for kind, value in ((NonTargetContact.Kind.PHONE, lead.phone_norm), (NonTargetContact.Kind.EMAIL, lead.email_norm)):
        if value and not NonTargetContact.objects.filter(kind=kind, value=value, lifted_at__isnull=True).exists():
            NonTargetContact.objects.create(kind=kind, value=value, reason=reason, marked_by=by)
    audit_record(actor=by, action=Action.UPDATE, target=lead, changes={"status": "non_target", "reason": reason})
    return lead


@transaction.atomic
def non_target_lift(*, contact: NonTargetContact, by: User) -> NonTargetContact:
    """Take a contact off the non-target list: its next requests reach sales again."""
    if not access.may_keep_non_target_queue(by):
        raise DomainError("Снять отметку может офис-менеджер, РОП или директор.", code="forbidden")
    contact = NonTargetContact.objects.select_for_update().get(pk=contact.pk)
    if contact.lifted_at:
        raise DomainError("Отметка уже снята.")
    contact.lifted_at, contact.lifted_by = timezone.now(), by
    contact.save(update_fields=["lifted_at", "lifted_by"])
    audit_record(actor=by, action=Action.UPDATE, target=contact, changes={"lifted": True})
    return contact


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    by: User,
    service_line: str,
    manager: User,
    client: Client | None = None,
    client_data: dict | None = None,
    title: str = "",
) -> Deal:
    """Turn a lead into a client (new or existing) and a deal in ДБ or ДУ."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status == Lead.Status.CONVERTED:
        raise DomainError("По этому лиду сделка уже создана.")
    if lead.status == Lead.Status.NON_TARGET or lead.routed_to_office:
        raise DomainError("Нецелевое обращение нельзя превратить в сделку: сначала снимите отметку.")
    if not access.can_work_records(by):
        raise DomainError("Сделку по обращению создаёт менеджер, РОП или директор.", code="forbidden")
    if not access.may_open_case_for(by, manager):
        raise DomainError("Менеджер создаёт сделку на себя; РОП — на менеджера своего филиала.", field="manager")
    if client is None:
        data = dict(client_data or {})
        phones = data.pop("phones", None) or ([lead.phone] if lead.phone else [])
        data.setdefault("email", lead.email)
        client = client_create(by=by, branch=manager.branch, manager=manager, phones=phones, **data)
    deal = deal_create(
        by=by, client=client, service_line=service_line, manager=manager, title=title, source=lead.source
    )
    lead.status, lead.client, lead.deal = Lead.Status.CONVERTED, client, deal
    lead.save(update_fields=["status", "client", "deal"])
    audit_record(actor=by, action=Action.UPDATE, target=lead, changes={"status": "converted", "deal": deal.pk})
    return deal
