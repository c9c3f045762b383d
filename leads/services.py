"""Writes for leads: intake, routing, non-target marking, conversion, assignment.

Intake stores the lead in a transaction of its own before anything else:
if routing or matching fails afterwards, the request is still there, new
and unassigned, in the heads' queue.
"""

import hashlib
import json
import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, ClientPhone, TimelineEntry
from clients.services import client_create, timeline_add
from crm import access, outbox, relink, stale
from crm.dbfunctions import SecondsBetween
from crm.errors import DomainError
from crm.models import AuditEntry, Branch, User
from crm.notifications import notify
from crm.phones import format_phone, normalize_email, normalize_phone
from crm.roles import Role
from crm.services import audit_record
from deals.models import Deal
from deals.services import deal_create
from leads.models import Lead, LeadMessage, LeadPhone, NonTargetContact
from tasks.models import Task

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
    """The lead this caller already sent with this key, or None; the key reused for another request is refused.

    A key may have come with a repeat request that continued an open lead: then
    it is kept on that lead's history entry, and the answer is that lead.
    """
    lead = Lead.objects.filter(created_by=by, idempotency_key=key).first()
    same = lead is not None and _same_request(lead, fingerprint, intake)
    if lead is None:
        entry = LeadMessage.objects.filter(created_by=by, idempotency_key=key).select_related("lead").first()
        lead = entry.lead if entry else None
        same = entry is not None and entry.idempotency_fingerprint == fingerprint
    if lead is not None and not same:
        raise DomainError(
            f"Ключ Idempotency-Key «{key}» уже использован для другого обращения. "
            "Для нового обращения пришлите новый ключ.",
            code="idempotency_key_reused",
        )
    return lead


def open_lead_q(*, phone_norm: str = "", email_norm: str = "") -> Q:
    """Open (not converted, not closed as non-target, not merged) leads of this contact: a phone
    matches the lead's own number or any number merged into it; an e-mail only when no phone is given."""
    if phone_norm:
        contact = Q(phone_norm=phone_norm) | Q(other_phones__number_norm=phone_norm)
    elif email_norm:
        contact = Q(email_norm=email_norm)
    else:
        return Q(pk__in=[])
    return contact & Q(status__in=(Lead.Status.NEW, Lead.Status.IN_WORK), merged_into__isnull=True)


def open_lead_of(*, phone_norm: str = "", email_norm: str = "", seen_by: User | None = None) -> Lead | None:
    """The contact's open lead (the oldest, which holds the story), or None.

    `seen_by`: only a lead this user may see (access.leads_q) is continued — the
    answer hands the lead back, so a manager never learns a colleague's lead
    through a phone number; the heads merge such duplicates later.
    """
    qs = Lead.objects.filter(open_lead_q(phone_norm=phone_norm, email_norm=email_norm))
    if seen_by is not None:
        qs = qs.filter(access.leads_q(seen_by))
    return qs.order_by("id").first()


def _continue(*, lead: Lead, by: User | None, intake: dict, key: str | None, fingerprint: str) -> Lead:
    """A repeat request from an open lead's contact: appended to that lead's history, not a second lead."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        LeadMessage.objects.create(
            lead=lead,
            source=intake["source"],
            text=intake["message"],
            created_by=by,
            idempotency_key=key,
            idempotency_fingerprint=fingerprint,
        )
        changed = []
        # What the first call did not leave (a name, an e-mail, the service line) the repeat one fills in.
        for field in ("name", "service_line"):
            if intake[field] and not getattr(lead, field):
                setattr(lead, field, intake[field])
                changed.append(field)
        if intake["email_norm"] and not lead.email_norm:
            lead.email, lead.email_norm = intake["email"], intake["email_norm"]
            changed += ["email", "email_norm"]
        if changed:
            lead.save(update_fields=changed)
            _mark(lead)
        audit_record(
            actor=by,
            action=Action.UPDATE,
            target=lead,
            changes={"repeat_request": intake["source"], "message": intake["message"][:200]},
        )
        if lead.client_id:
            timeline_add(
                client=lead.client,
                kind=TimelineEntry.Kind.LEAD,
                actor=by,
                text=f"Повторное обращение ({Deal.Source(intake['source']).label}): "
                f"{intake['message'][:200] or 'без текста'}",
            )
    if lead.assigned_to_id:
        notify(
            users=[lead.assigned_to],
            text=f"Повторное обращение: {lead}",
            url=reverse("leads:detail", args=[lead.pk]),
            skip=by,
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

    A request from the contact of an open lead continues that lead (its
    history gets the new request) and comes back with created=False.

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
    earlier = open_lead_of(phone_norm=phone_norm, email_norm=email_norm, seen_by=by)
    if earlier is not None:
        try:
            lead = _continue(
                lead=earlier,
                by=by,
                intake={**intake, "email": email.strip()},
                key=idempotency_key,
                fingerprint=fingerprint,
            )
        except IntegrityError:
            # Two requests of this caller with one key raced; the other stored it first.
            lead = None
            if idempotency_key:
                lead = _replay(by=by, key=idempotency_key, fingerprint=fingerprint, intake=intake)
            if lead is None:
                raise
        return lead, False
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
            _mark(lead)
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
    _mark(lead)
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
    _mark(lead)
    audit_record(actor=by, action=Action.UPDATE, target=lead, changes={"assigned_to": [str(old or ""), str(manager)]})
    return lead


def _mark(*leads: Lead) -> None:
    """The dashboards' sums of these requests are stale (crm/stale.py): the days they came in and were closed."""
    stale.mark(stale.LEAD, *(lead.created_at for lead in leads), *(lead.closed_at for lead in leads))


def _answered(lead: Lead) -> list[str]:
    """The first act on a lead is its first response: set it on the locked row once, never move it later.
    Returns the fields to save (none when it was already answered). The caller marks the day stale."""
    if lead.first_response_at is not None:
        return []
    lead.first_response_at = timezone.now()
    lead.response_seconds = (lead.first_response_at - lead.created_at).total_seconds()
    return ["first_response_at", "response_seconds"]


def lead_record_response(*, lead_id: int, at: datetime) -> bool:
    """A «дело» done on the lead (activities call this) answers it, unless something answered it before.
    One conditional UPDATE, so two answers at once keep the earlier-committed one. True when set now."""
    answered = Lead.objects.filter(pk=lead_id, first_response_at__isnull=True).update(
        first_response_at=at, response_seconds=SecondsBetween(Value(at), F("created_at"))
    )
    if answered:
        stale.mark(stale.LEAD, Lead.objects.filter(pk=lead_id).values_list("created_at", flat=True).get())
    return bool(answered)


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
    lead.save(update_fields=["status", "non_target_reason", *_answered(lead)])
    _mark(lead)
    for kind, value in ((NonTargetContact.Kind.PHONE, lead.phone_norm), (NonTargetContact.Kind.EMAIL, lead.email_norm)):
        if value and not NonTargetContact.objects.filter(kind=kind, value=value, lifted_at__isnull=True).exists():
            NonTargetContact.objects.create(kind=kind, value=value, reason=reason, marked_by=by)
    audit_record(actor=by, action=Action.UPDATE, target=lead, changes={"status": "non_target", "reason": reason})
    return lead


@transaction.atomic
def lead_close(*, lead: Lead, by: User, reason: str) -> Lead:
    """Close a request that will not become a deal, saying why (the office manager's queue, a head's branch)."""
    reason = (reason or "").strip()
    if not access.may_close_lead(by, lead):
        raise DomainError("Закрыть это обращение вы не можете.", code="forbidden")
    if not reason:
        raise DomainError("Напишите, почему обращение закрыто без сделки.", field="reason")
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status in (Lead.Status.CONVERTED, Lead.Status.CLOSED):
        raise DomainError(
            "Обращение уже закрыто." if lead.status == Lead.Status.CLOSED else "По лиду уже создана сделка."
        )
    before = lead.status
    lead.status, lead.close_reason, lead.closed_at, lead.closed_by = (
        Lead.Status.CLOSED,
        reason[:300],
        timezone.now(),
        by,
    )
    lead.save(update_fields=["status", "close_reason", "closed_at", "closed_by", *_answered(lead)])
    _mark(lead)
    audit_record(
        actor=by,
        action=Action.UPDATE,
        target=lead,
        changes={"status": [before, lead.status], "close_reason": reason[:300]},
    )
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
        phones = data.pop("phones", None) or lead_phones(lead)
        data.setdefault("email", lead.email)
        client = client_create(by=by, branch=manager.branch, manager=manager, phones=phones, **data)
    deal = deal_create(
        by=by, client=client, service_line=service_line, manager=manager, title=title, source=lead.source
    )
    lead.status, lead.client, lead.deal = Lead.Status.CONVERTED, client, deal
    lead.save(update_fields=["status", "client", "deal", *_answered(lead)])
    _mark(lead)
    _story_to_timeline(lead, client=client, deal=deal)
    # The lead's tasks and «дела» (the consultation the call-centre booked) now belong to the client and the deal.
    Task.objects.filter(lead=lead, client__isnull=True).update(client=client)
    Task.objects.filter(lead=lead, deal__isnull=True).update(deal=deal)
    relink.run("lead.converted", lead=lead, client=client, deal=deal, by=by)
    audit_record(actor=by, action=Action.UPDATE, target=lead, changes={"status": "converted", "deal": deal.pk})
    return deal


def lead_phones(lead: Lead) -> list[str]:
    """The lead's numbers, its own first, formatted: what a client card made from it gets."""
    numbers = [lead.phone_norm] if lead.phone_norm else []
    numbers += [n for n in lead.other_phones.order_by("id").values_list("number_norm", flat=True) if n not in numbers]
    return [format_phone(n) for n in numbers]


def _story_to_timeline(lead: Lead, *, client: Client, deal: Deal) -> None:
    """The lead's story opens the client's history: who took each call and what was asked, at the time it was."""
    taker = lead.created_by.short_name if lead.created_by else "без оператора"
    entries = [
        TimelineEntry(
            client=client,
            deal=deal,
            kind=TimelineEntry.Kind.LEAD,
            actor=lead.created_by,
            at=lead.created_at,
            text=f"Обращение ({lead.get_source_display()}, принял(а): {taker}): {lead.message or 'без текста'}",
            data={"lead": lead.pk},
        )
    ]
    for m in lead.history.select_related("created_by").order_by("at", "id"):
        who = m.created_by.short_name if m.created_by else "без оператора"
        entries.append(
            TimelineEntry(
                client=client,
                deal=deal,
                kind=TimelineEntry.Kind.LEAD,
                actor=m.created_by,
                at=m.at,
                text=f"Повторное обращение ({m.get_source_display()}, принял(а): {who}): {m.text or 'без текста'}",
                data={"lead": lead.pk},
            )
        )
    TimelineEntry.objects.bulk_create(entries)


# --- merging duplicates ------------------------------------------------------------------------

MERGE_FORBIDDEN = "Объединять дубликаты может РОП своего филиала, директор или офис-менеджер."


def _repoint(model, *, other, survivor, skip=()) -> dict[str, int]:
    """Every row of every app that points at `other` now points at `survivor`.

    Asked of the model's reverse relations, so rows of apps above this one
    («дела», Disk records…) follow without this app knowing them. One-to-one
    rows (the Disk folder record) stay with the duplicate: the survivor has its own.
    """
    moved = {}
    for rel in model._meta.related_objects:
        if rel.one_to_one or rel.many_to_many or rel.get_accessor_name() in skip:
            continue
        count = rel.related_model._base_manager.filter(**{rel.field.name: other}).update(**{rel.field.name: survivor})
        if count:
            moved[rel.get_accessor_name()] = count
    return moved


def _check_merge(by: User, survivor, other, *, allowed) -> None:
    if survivor.pk == other.pk:
        raise DomainError("Выберите две разные записи.", field="other")
    if not (allowed(by, survivor) and allowed(by, other)):
        raise DomainError(MERGE_FORBIDDEN, code="forbidden")
    if survivor.merged_into_id or other.merged_into_id:
        raise DomainError("Запись уже объединена с другой.", code="state")


@transaction.atomic
def lead_merge(*, survivor: Lead, other: Lead, by: User) -> Lead:
    """Two leads of one caller become one: `other`'s phones, history, «дела» and tasks move to `survivor`;
    `other` is kept, marked merged into it and no longer listed."""
    locked = {lead.pk: lead for lead in Lead.objects.select_for_update().filter(pk__in=[survivor.pk, other.pk])}
    survivor, other = locked.get(survivor.pk, survivor), locked.get(other.pk, other)
    _check_merge(by, survivor, other, allowed=access.may_merge_lead)
    if Lead.Status.CONVERTED in (survivor.status, other.status):
        raise DomainError("По лиду уже создана сделка: объединяйте клиентов.", code="state")
    have = {survivor.phone_norm, *survivor.other_phones.values_list("number_norm", flat=True)}
    for norm in [other.phone_norm, *other.other_phones.values_list("number_norm", flat=True)]:
        if norm and norm not in have:
            LeadPhone.objects.create(lead=survivor, number=format_phone(norm), number_norm=norm)
            have.add(norm)
    LeadPhone.objects.filter(lead=other).delete()
    # The duplicate's first request becomes a line of the survivor's history, at the time it came.
    LeadMessage.objects.create(
        lead=survivor, source=other.source, text=other.message, at=other.created_at, created_by=other.created_by
    )
    moved = _repoint(Lead, other=other, survivor=survivor, skip={"other_phones"})
    changed = []
    # A survivor not yet answered takes the duplicate's first response: the caller had their answer then.
    for field in ("name", "email", "email_norm", "service_line", "branch_id", "client_id", "first_response_at"):
        if not getattr(survivor, field) and getattr(other, field):
            setattr(survivor, field, getattr(other, field))
            changed.append(field)
    if "first_response_at" in changed:
        survivor.response_seconds = (survivor.first_response_at - survivor.created_at).total_seconds()
        changed.append("response_seconds")
    if changed:
        survivor.save(update_fields=[f.removesuffix("_id") for f in changed])
    other.merged_into = survivor
    other.save(update_fields=["merged_into"])
    _mark(survivor, other)
    audit_record(
        actor=by, action=Action.UPDATE, target=survivor, changes={"merged": other.pk, "moved": moved, "filled": changed}
    )
    audit_record(actor=by, action=Action.UPDATE, target=other, changes={"merged_into": survivor.pk})
    return survivor


@transaction.atomic
def client_merge(*, survivor: Client, other: Client, by: User) -> Client:
    """Two cards of one person become one: phones, history, deals, «дела», tasks, leads and documents of
    `other` move to `survivor`; `other` is kept, marked merged into it and no longer listed."""
    locked = {c.pk: c for c in Client.objects.select_for_update().filter(pk__in=[survivor.pk, other.pk])}
    survivor, other = locked.get(survivor.pk, survivor), locked.get(other.pk, other)
    _check_merge(by, survivor, other, allowed=access.may_merge_client)
    # One number once per card (ClientPhone is unique per client and number): the duplicate's copies go.
    have = set(survivor.phones.values_list("number_norm", flat=True))
    other.phones.filter(number_norm__in=have).delete()
    other.phones.update(client=survivor, is_primary=False)
    # The documents land in the survivor's Disk folder: the mirror uploads what is not there yet.
    other.documents.update(on_disk_at=None)
    moved = _repoint(Client, other=other, survivor=survivor, skip={"phones"})
    changed = []
    for field in ("email", "birth_date", "address", "region", "passport", "snils", "inn", "ogrn", "consent_at"):
        if not getattr(survivor, field) and getattr(other, field):
            setattr(survivor, field, getattr(other, field))
            changed.append(field)
    numbers = list(survivor.phones.values_list("number_norm", flat=True))
    survivor.search_key = " ".join(
        [survivor.display_name.casefold(), *numbers, normalize_email(survivor.email)]
    ).strip()
    survivor.save(update_fields=[*changed, "search_key"])
    survivor.deals.exclude(search_key=survivor.search_key).update(search_key=survivor.search_key)
    other.merged_into = survivor
    other.save(update_fields=["merged_into"])
    timeline_add(
        client=survivor,
        kind=TimelineEntry.Kind.CHANGE,
        actor=by,
        text=f"Объединён с дубликатом «{other.display_name}» (№{other.pk}): его история, сделки и дела — здесь.",
        data={"merged": other.pk},
    )
    audit_record(
        actor=by, action=Action.UPDATE, target=survivor, changes={"merged": other.pk, "moved": moved, "filled": changed}
    )
    audit_record(actor=by, action=Action.UPDATE, target=other, changes={"merged_into": survivor.pk})
    outbox.publish("client.changed", key=survivor.pk, reason="объединение")
    return survivor


def leads_of_signed_deal(*, deal) -> None:
    """The deal made from these requests has its contract (crm/relink.py «deal.contract_signed»): the funnel's
    «обращение → договор» counts them from this flag, with no join to a million deals."""
    signed = dict(Lead.objects.filter(deal=deal, contract_signed=False).values_list("id", "created_at"))
    stale.mark(stale.LEAD, *signed.values())  # the rows read are the rows changed: no day escapes its mark
    Lead.objects.filter(id__in=list(signed)).update(contract_signed=True)
