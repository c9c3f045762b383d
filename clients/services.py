"""Writes for clients: create, edit, contact data, personal data, the timeline."""

import re
from datetime import date

from django.db import transaction
from django.urls import reverse

from clients.models import Client, ClientDocument, ClientPhone, ContactPerson, TimelineEntry
from clients.selectors import client_visible_to
from crm import outbox
from crm.errors import DomainError
from crm.models import AuditEntry, Branch, User
from crm.notifications import notify
from crm.phones import normalize_email, normalize_phone
from crm.services import audit_record
from crm.validators import clean_inn, clean_ogrn, clean_passport, clean_snils, mask

PERSONAL_FIELDS = ("passport", "snils", "inn", "ogrn")
CARD_FIELDS = (
    "kind",
    "last_name",
    "first_name",
    "patronymic",
    "company_name",
    "email",
    "birth_date",
    "address",
    "region",
    "consent_at",
    "consent_channel",
    "consent_document",
)
_CLEANERS = {"passport": clean_passport, "snils": clean_snils, "inn": clean_inn, "ogrn": clean_ogrn}
MENTION = re.compile(r"@([\w.\-]+)")


def _display_name(client: Client) -> str:
    if client.kind == Client.Kind.COMPANY:
        return client.company_name.strip()
    return " ".join(p for p in (client.last_name, client.first_name, client.patronymic) if p).strip()


def _refresh_search_key(client: Client, phones: list[str]) -> None:
    client.display_name = _display_name(client)
    client.search_key = " ".join([client.display_name.casefold(), *phones, normalize_email(client.email)]).strip()
    client.email_norm = normalize_email(client.email)


def _check_card(client: Client) -> None:
    if client.kind == Client.Kind.PERSON:
        if not client.last_name.strip():
            raise DomainError("Укажите фамилию клиента.", field="last_name")
        if not client.first_name.strip():
            raise DomainError("Укажите имя клиента.", field="first_name")
    elif not client.company_name.strip():
        raise DomainError("Укажите название организации.", field="company_name")
    if client.birth_date and client.birth_date > date.today():
        raise DomainError("Дата рождения не может быть в будущем.", field="birth_date")


def _clean_phones(phones) -> list[tuple[str, str]]:
    cleaned, seen = [], set()
    for raw in phones or ():
        raw = (raw or "").strip()
        if not raw:
            continue
        norm = normalize_phone(raw)
        if not norm:
            raise DomainError(f"«{raw}» не похоже на номер телефона.", field="phones")
        if norm not in seen:
            seen.add(norm)
            cleaned.append((raw, norm))
    return cleaned


def _save_phones(client: Client, cleaned: list[tuple[str, str]]) -> None:
    ClientPhone.objects.bulk_create(
        [
            ClientPhone(client=client, number=raw, number_norm=norm, is_primary=i == 0)
            for i, (raw, norm) in enumerate(cleaned)
        ]
    )


def _masked_changes(changes: dict) -> dict:
    # The audit log records that personal data changed, never the data itself.
    return {
        k: ([mask(str(v[0] or "")), mask(str(v[1] or ""))] if k in PERSONAL_FIELDS else v) for k, v in changes.items()
    }


def timeline_add(
    *, client: Client, kind: str, text: str, actor: User | None = None, deal=None, data: dict | None = None
) -> TimelineEntry:
    """Append one line to the client's history."""
    return TimelineEntry.objects.create(client=client, deal=deal, kind=kind, text=text, actor=actor, data=data or {})


@transaction.atomic
def client_create(
    *,
    by: User | None,
    branch: Branch,
    manager: User | None = None,
    phones=(),
    kind: str = Client.Kind.PERSON,
    **fields,
) -> Client:
    """Open a client card: validated, with phones normalised for dedupe."""
    unknown = set(fields) - set(CARD_FIELDS) - set(PERSONAL_FIELDS)
    if unknown:
        raise DomainError(f"Неизвестные поля: {', '.join(sorted(unknown))}.")
    for name, cleaner in _CLEANERS.items():
        if name in fields:
            fields[name] = cleaner(fields[name])
    client = Client(kind=kind, branch=branch, manager=manager, created_by=by, **fields)
    _check_card(client)
    cleaned = _clean_phones(phones)
    if not cleaned and not client.email:
        raise DomainError("Нужен хотя бы один телефон или e-mail.", field="phones")
    _refresh_search_key(client, [n for _, n in cleaned])
    client.save()
    _save_phones(client, cleaned)
    timeline_add(client=client, kind=TimelineEntry.Kind.CREATED, text="Карточка клиента создана", actor=by)
    audit_record(
        actor=by, action=AuditEntry.Action.CREATE, target=client, changes={"display_name": client.display_name}
    )
    return client


@transaction.atomic
def client_update(*, client: Client, by: User, data: dict, phones=None) -> Client:
    """Edit the card; personal data changes are audited masked."""
    client = Client.objects.select_for_update().get(pk=client.pk)
    changes = {}
    for field, value in data.items():
        if field not in CARD_FIELDS and field not in PERSONAL_FIELDS:
            raise DomainError(f"Поле «{field}» нельзя менять здесь.", field=field)
        if field in _CLEANERS:
            value = _CLEANERS[field](value)
        old = getattr(client, field)
        if old != value:
            changes[field] = [
                old.isoformat() if hasattr(old, "isoformat") else old,
                value.isoformat() if hasattr(value, "isoformat") else value,
            ]
            setattr(client, field, value)
    _check_card(client)
    if phones is not None:
        cleaned = _clean_phones(phones)
        if not cleaned and not client.email:
            raise DomainError("Нужен хотя бы один телефон или e-mail.", field="phones")
        old_numbers = list(client.phones.order_by("-is_primary", "id").values_list("number_norm", flat=True))
        if [n for _, n in cleaned] != old_numbers:
            client.phones.all().delete()
            _save_phones(client, cleaned)
            changes["phones"] = [old_numbers, [n for _, n in cleaned]]
    if not changes:
        return client
    numbers = list(client.phones.values_list("number_norm", flat=True))
    old_name = client.display_name
    _refresh_search_key(client, numbers)
    client.save()
    # Deals keep a copy of the client's search key (one index scan for the deal list's name search).
    client.deals.exclude(search_key=client.search_key).update(search_key=client.search_key)
    masked = _masked_changes(changes)
    audit_record(actor=by, action=AuditEntry.Action.UPDATE, target=client, changes=masked)
    text = "Изменены данные: " + ", ".join(sorted(changes))
    if client.display_name != old_name:
        text = f"Клиент переименован: «{old_name}» → «{client.display_name}». " + text
    timeline_add(client=client, kind=TimelineEntry.Kind.CHANGE, text=text, actor=by, data={"fields": sorted(changes)})
    if client.display_name != old_name:
        outbox.publish("client.changed", key=client.pk, reason="переименование")
    return client


MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


@transaction.atomic
def document_add(*, client: Client, by: User, upload, kind: str = "other"):
    """Attach a document to the client; the Disk mirror uploads it into the client's folder."""
    if upload.size > MAX_DOCUMENT_BYTES:
        raise DomainError("Файл больше 50 МБ.", field="file")
    if kind not in ClientDocument.Kind.values:
        raise DomainError("Выберите вид документа.", field="kind")
    name = upload.name.rsplit("/", 1)[-1][:200]
    document = ClientDocument.objects.create(
        client=client, kind=kind, file=upload, name=name, size=upload.size, uploaded_by=by
    )
    timeline_add(
        client=client,
        kind=TimelineEntry.Kind.DOCUMENT,
        text=f"Документ: {name} ({document.get_kind_display().lower()})",
        actor=by,
        data={"document": document.pk},
    )
    audit_record(actor=by, action=AuditEntry.Action.CREATE, target=document)
    outbox.publish("client.changed", key=client.pk, reason="документ")
    return document


@transaction.atomic
def contact_person_add(
    *, client: Client, by: User, full_name: str, position: str = "", phone: str = "", email: str = ""
) -> ContactPerson:
    if client.kind != Client.Kind.COMPANY:
        raise DomainError("Контактные лица бывают только у организаций.")
    if not full_name.strip():
        raise DomainError("Укажите ФИО контактного лица.", field="full_name")
    person = ContactPerson.objects.create(
        client=client, full_name=full_name.strip(), position=position, phone=phone, email=email
    )
    timeline_add(client=client, kind=TimelineEntry.Kind.CHANGE, text=f"Добавлено контактное лицо: {person}", actor=by)
    audit_record(actor=by, action=AuditEntry.Action.CREATE, target=person)
    return person


def personal_data_reveal(*, client: Client, by: User, field: str, ip: str | None = None) -> str:
    """Give the full value of one personal-data field, and log that `by` saw it."""
    if field not in PERSONAL_FIELDS:
        raise DomainError("Это поле не относится к персональным данным.", field=field)
    audit_record(actor=by, action=AuditEntry.Action.VIEW_PERSONAL_DATA, target=client, changes={"field": field}, ip=ip)
    return getattr(client, field)


@transaction.atomic
def comment_add(*, client: Client, by: User, text: str, deal=None) -> TimelineEntry:
    """A comment on the client's timeline; @login mentions notify those colleagues."""
    text = (text or "").strip()
    if not text:
        raise DomainError("Комментарий пуст.", field="text")
    entry = timeline_add(client=client, deal=deal, kind=TimelineEntry.Kind.COMMENT, text=text, actor=by)
    logins = set(MENTION.findall(text))
    if logins:
        # Only colleagues who may open this client are told of it: the
        # notification itself names the client. Mentions are few, so a
        # check per person is cheap.
        mentioned = [
            u
            for u in User.objects.filter(username__in=logins, is_active=True).exclude(pk=by.pk)
            if client_visible_to(u, client.pk)
        ]
        entry.mentions.set(mentioned)
        notify(
            users=mentioned,
            text=f"{by.short_name} упомянул(а) вас: {client.display_name}",
            url=reverse("clients:client_detail", args=[client.pk]),
            skip=by,
        )
    audit_record(actor=by, action=AuditEntry.Action.CREATE, target=entry)
    return entry
