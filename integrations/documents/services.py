"""Documents made from templates: asked for on the deal card or by the API, made on a worker.

`document_request` is quick: it checks who asks and what for, takes the number, stores a pending
row and an outbox job, all in one transaction. `document_make` runs on a worker: it fills the
template, converts to PDF and stores both files as the client's documents (so the Disk mirror
places them into the client's folder) in one transaction with the row becoming «готов».
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import jinja2
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Prefetch
from django.urls import reverse
from django.utils import timezone

from clients.models import ClientDocument, TimelineEntry
from clients.services import document_add, timeline_add
from crm import access, outbox
from crm.errors import DomainError
from crm.models import AuditEntry, User
from crm.money import rub
from crm.notifications import notify
from crm.pipelines import ServiceLine, Stage
from crm.services import audit_record
from crm.validators import clean_account, clean_bik, clean_corr_account, clean_inn, clean_kpp, clean_ogrn
from deals.models import Deal, Instalment
from deals.selectors import deals_visible_to
from integrations.documents import context, qr, render, templates
from integrations.models import DocumentSeries, DocumentTemplate, GeneratedDocument, LegalEntity

KIND = "documents.make"  # the outbox job: make one GeneratedDocument (key = its id)
STAGE_ACT_KIND = "documents.stage_act"  # a stage of work completed: ask for its act (key = the deal)
Kind = GeneratedDocument.Kind

# Default numbering when the admin has not set a series for the year.
DEFAULT_PATTERNS = {
    DocumentSeries.Key.CONTRACT_DB: "ДБ-{year}-{n:04}",
    DocumentSeries.Key.CONTRACT_DU: "ДУ-{year}-{n:04}",
    DocumentSeries.Key.INVOICE: "СЧ-{year}-{n:04}",
    DocumentSeries.Key.ACT: "АКТ-{year}-{n:04}",
    DocumentSeries.Key.POWER_OF_ATTORNEY: "ДОВ-{year}-{n:04}",
    DocumentSeries.Key.CREDITOR_LIST: "СК-{year}-{n:04}",
}
CLIENT_DOCUMENT_KIND = {
    Kind.CONTRACT: ClientDocument.Kind.CONTRACT,
    Kind.INVOICE: ClientDocument.Kind.INVOICE,
    Kind.ACT: ClientDocument.Kind.ACT,
    Kind.POWER_OF_ATTORNEY: ClientDocument.Kind.POWER_OF_ATTORNEY,
    Kind.CREDITOR_LIST: ClientDocument.Kind.CREDITOR_LIST,
}
MAX_AMOUNT = Decimal("9999999999.99")


def _series_key(kind: str, deal: Deal) -> str:
    if kind == Kind.CONTRACT:
        return DocumentSeries.Key.CONTRACT_DB if deal.service_line == ServiceLine.DB else DocumentSeries.Key.CONTRACT_DU
    return kind


def template_kind(kind: str, deal: Deal) -> str:
    if kind == Kind.CONTRACT:
        return templates.CONTRACT_TEMPLATE[deal.service_line]
    return kind


def format_number(pattern: str, *, year: int, n: int) -> str:
    try:
        return pattern.format(year=year, n=n)
    except (KeyError, IndexError, ValueError) as exc:
        raise DomainError(
            f"Формат номера «{pattern}» не читается: допустимы {{year}} и {{n}}, например ДБ-{{year}}-{{n:04}}.",
            field="pattern",
        ) from exc


def next_number(key: str, *, year: int) -> str:
    """The series' next number for `year`, taken under a row lock: concurrent requests never share one,
    and a number once given is never given again (a failed document keeps its number)."""
    series = DocumentSeries.objects.select_for_update().filter(key=key, year=year).first()
    if series is None:
        previous = DocumentSeries.objects.filter(key=key, year__lt=year).order_by("-year").first()
        pattern = previous.pattern if previous else DEFAULT_PATTERNS[key]
        DocumentSeries.objects.get_or_create(key=key, year=year, defaults={"pattern": pattern})
        series = DocumentSeries.objects.select_for_update().get(key=key, year=year)
    number = format_number(series.pattern, year=year, n=series.next_number)
    DocumentSeries.objects.filter(pk=series.pk).update(next_number=F("next_number") + 1)
    return number


def default_legal_entity() -> LegalEntity:
    entity = LegalEntity.objects.filter(is_active=True).order_by("-is_default", "id").first()
    if entity is None:
        raise DomainError(
            "Не заполнены реквизиты фирмы: администратор вносит их в разделе «Реквизиты фирмы».", field="legal_entity"
        )
    return entity


@dataclass(frozen=True)
class AmountProposal:
    amount: Decimal | None
    why: str


def proposed_amount(deal: Deal, kind: str, *, today: date | None = None) -> AmountProposal:
    """What the card offers before the manager types anything."""
    today = today or timezone.localdate()
    if kind == Kind.CONTRACT:
        return AmountProposal(deal.fee, "стоимость услуг по договору")
    # From the deal's own rows (prefetched on the card, a query each elsewhere): a handful per deal.
    paid = sum((p.amount for p in deal.payments.all()), start=Decimal(0))
    if kind == Kind.INVOICE:
        unpaid = sorted(
            (i for i in deal.instalments.all() if i.paid_amount < i.amount), key=lambda i: (i.due_date, i.id)
        )
        if unpaid:
            instalment = unpaid[0]
            return AmountProposal(
                instalment.amount - instalment.paid_amount, f"платёж по графику до {instalment.due_date:%d.%m.%Y}"
            )
        if deal.fee is not None and deal.fee > paid:
            return AmountProposal(deal.fee - paid, "остаток по договору")
        return AmountProposal(None, "")
    if kind == Kind.ACT:
        if paid:
            return AmountProposal(paid, "оплачено по договору")
        return AmountProposal(deal.fee, "стоимость услуг по договору")
    return AmountProposal(None, "")


def _clean_amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace("\u00a0", "").replace(" ", "").replace(",", ".")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise DomainError("Сумма — число, например 40000.00.", field="amount") from None
    if amount <= 0 or amount > MAX_AMOUNT:
        raise DomainError("Сумма должна быть больше нуля и меньше 10 млрд ₽.", field="amount")
    return amount


def _purpose(kind: str, number: str, deal: Deal, entity: LegalEntity, amount: Decimal | None, today: date) -> str:
    if kind == Kind.INVOICE:
        contract = f" по договору № {deal.contract_number}" if deal.contract_number else ""
        vat = context.vat_line(entity, amount)
        return f"Оплата по счёту № {number} от {today:%d.%m.%Y} за юридические услуги{contract}. {vat}"
    if kind == Kind.ACT:
        contract = f" по договору № {deal.contract_number}" if deal.contract_number else ""
        return f"Юридические услуги{contract}"
    return ""


@transaction.atomic
def document_request(
    *, deal: Deal, by: User, kind: str, amount=None, purpose: str = "", legal_entity: LegalEntity | None = None
) -> GeneratedDocument:
    """Ask for a document of `kind` for `deal`; a worker makes it. Refuses, changing nothing,
    when the user may not, the kind does not fit the deal, or a needed figure is missing."""
    if not deals_visible_to(by).filter(pk=deal.pk).exists():
        raise DomainError("Нет доступа к этой сделке.", code="forbidden")
    if kind not in Kind.values:
        raise DomainError("Выберите вид документа.", field="kind")
    if not access.may_make_document(by, kind):
        raise DomainError("Ваша роль не позволяет составлять такие документы.", code="forbidden")
    deal = Deal.objects.select_for_update().select_related("client").get(pk=deal.pk)
    if kind == Kind.CREDITOR_LIST and deal.service_line != ServiceLine.DB:
        raise DomainError("Список кредиторов составляется только по делам о банкротстве.", field="kind")
    if legal_entity is None:
        entity = default_legal_entity()
    elif not legal_entity.is_active:
        raise DomainError("Эти реквизиты больше не действуют.", field="legal_entity")
    else:
        entity = legal_entity
    today = timezone.localdate()
    value = _clean_amount(amount)
    if value is None and kind in (Kind.CONTRACT, Kind.INVOICE, Kind.ACT):
        value = proposed_amount(deal, kind, today=today).amount
        if value is None:
            message = {
                Kind.CONTRACT: "Укажите стоимость услуг по договору.",
                Kind.INVOICE: "Укажите сумму счёта: по договору не осталось неоплаченных платежей.",
                Kind.ACT: "Укажите сумму акта.",
            }[kind]
            raise DomainError(message, field="amount")
    purpose = " ".join(purpose.split())[:300]

    previous = GeneratedDocument.objects.filter(deal=deal, kind=kind)
    if kind == Kind.CONTRACT and deal.contract_number:
        number = deal.contract_number
    elif kind == Kind.CONTRACT and (last := previous.order_by("-id").first()) is not None:
        number = last.number  # a redrafted contract keeps its number until it is signed
    else:
        number = next_number(_series_key(kind, deal), year=today.year)
    version = previous.filter(number=number).count() + 1
    document = GeneratedDocument.objects.create(
        deal=deal,
        client=deal.client,
        kind=kind,
        number=number,
        version=version,
        amount=value,
        purpose=purpose or _purpose(kind, number, deal, entity, value, today),
        legal_entity=entity,
        requested_by=by,
    )
    audit_record(actor=by, action=AuditEntry.Action.CREATE, target=document, target_repr=str(document))
    outbox.enqueue(KIND, key=document.pk, reason=document.get_kind_display())
    return document


def stage_act(*, deal_id: int, completed: str, since) -> str:
    """The act of services for a stage of work just completed, asked for on the manager's behalf.

    Its sum is what the client owes for work done and is not yet in an act: at the end of the case
    the whole fee (or what was paid, if more), in between what has been paid. Nothing to put in an
    act — no act. Safe to run twice: an act asked for since the move is not asked for again."""
    deal = Deal.objects.select_related("manager").prefetch_related("payments").filter(pk=deal_id).first()
    if deal is None:
        return "no deal"
    acts = GeneratedDocument.objects.filter(deal=deal, kind=Kind.ACT).exclude(status=GeneratedDocument.Status.FAILED)
    if acts.filter(requested_at__gte=since).exists():
        return "already asked"
    if not deal.manager.is_active or not access.may_make_document(deal.manager, Kind.ACT):
        return "no one to sign it"
    paid = sum((p.amount for p in deal.payments.all()), start=Decimal(0))
    due = max(deal.fee or Decimal(0), paid) if deal.stage in (Stage.DB_ARCHIVE, Stage.DU_DONE) else paid
    amount = due - sum((a.amount or Decimal(0) for a in acts), start=Decimal(0))
    if amount <= 0:
        return "nothing to act"
    contract = f" по договору № {deal.contract_number}" if deal.contract_number else ""
    document_request(
        deal=deal,
        by=deal.manager,
        kind=Kind.ACT,
        amount=amount,
        purpose=f"Юридические услуги{contract}: этап «{Stage(completed).label}»",
    )
    return "act asked"


# --- on the worker ------------------------------------------------------------------------------


class NotMade(Exception):
    """The document cannot be made as asked (a template error): kept as «Ошибка» with the reason."""


def _for_making(document_id: int) -> GeneratedDocument | None:
    return GeneratedDocument.objects.select_related("legal_entity", "requested_by").filter(pk=document_id).first()


def _deal_for(document: GeneratedDocument) -> Deal:
    return (
        Deal.objects.select_related("client", "manager", "branch")
        .prefetch_related(
            "client__phones",
            "creditors",
            Prefetch("instalments", queryset=Instalment.objects.order_by("due_date", "id")),
        )
        .get(pk=document.deal_id)
    )


def file_stem(document: GeneratedDocument) -> str:
    name = f"{document.get_kind_display()} № {document.number}"
    if document.version > 1:
        name += f" (версия {document.version})"
    # No path separators or characters Windows and the Disk refuse.
    return re.sub(r'[\\/:*?"<>|]+', "-", name)


def qr_text(document: GeneratedDocument) -> str:
    entity = document.legal_entity
    return qr.payload(
        name=entity.short_name or entity.name,
        account=entity.account,
        bank=entity.bank,
        bik=entity.bik,
        corr_account=entity.corr_account,
        amount=document.amount,
        purpose=document.purpose,
        inn=entity.inn,
        kpp=entity.kpp,
    )


def document_make(document_id: int) -> str:
    """Make the document's .docx and PDF and store them; safe to run twice (a ready one is left alone).

    LibreOffice trouble raises render.ConversionError (the outbox tries again); a template that does
    not render raises NotMade."""
    document = _for_making(document_id)
    if document is None or document.status == GeneratedDocument.Status.READY:
        return "nothing"
    deal = _deal_for(document)
    chosen = templates.current(template_kind(document.kind, deal))
    today = timezone.localdate(document.requested_at)
    values = context.build(document, deal, today=today)
    images = {"qr": qr.png(qr_text(document)) if document.kind == Kind.INVOICE else b""}
    try:
        docx = render.fill(chosen.data, values, images=images)
    except jinja2.TemplateError as exc:
        where = f"шаблон «{chosen.template}»" if chosen.template else "шаблон по умолчанию"
        raise NotMade(f"{where} не заполняется: {exc}") from exc
    pdf = render.to_pdf(docx)
    stem = file_stem(document)
    kind = CLIENT_DOCUMENT_KIND[document.kind]
    with transaction.atomic():
        locked = GeneratedDocument.objects.select_for_update().get(pk=document.pk)
        if locked.status == GeneratedDocument.Status.READY:
            return "nothing"
        by = document.requested_by
        docx_row = document_add(client=deal.client, by=by, upload=ContentFile(docx, name=f"{stem}.docx"), kind=kind)
        pdf_row = document_add(client=deal.client, by=by, upload=ContentFile(pdf, name=f"{stem}.pdf"), kind=kind)
        locked.docx, locked.pdf = docx_row, pdf_row
        locked.template = chosen.template
        locked.status, locked.error, locked.ready_at = GeneratedDocument.Status.READY, "", timezone.now()
        locked.save(update_fields=["docx", "pdf", "template", "status", "error", "ready_at"])
        amount = f" на {rub(locked.amount)}" if locked.amount is not None else ""
        notify(
            users=[by],
            text=f"{locked.get_kind_display()} № {locked.number}{amount} готов: {deal.client.display_name}",
            url=reverse("deals:detail", args=[deal.pk]) + "#documents",
        )
    return "done"


def document_failed(document_id: int, reason: str) -> None:
    """Give up on a document: the card shows the reason and offers to ask again."""
    with transaction.atomic():
        document = (
            GeneratedDocument.objects.select_for_update()
            .select_related("client", "deal")
            .filter(pk=document_id)
            .first()
        )
        if document is None or document.status == GeneratedDocument.Status.READY:
            return
        document.status, document.error = GeneratedDocument.Status.FAILED, reason[:500]
        document.save(update_fields=["status", "error"])
        timeline_add(
            client=document.client,
            deal=document.deal,
            kind=TimelineEntry.Kind.DOCUMENT,
            text=f"Не удалось составить {document.get_kind_display().lower()} № {document.number}: {reason[:200]}",
            actor=None,
        )


def near_last_attempt(jobs) -> bool:
    return max((job.attempts for job in jobs), default=0) + 1 >= settings.OUTBOX_MAX_ATTEMPTS


@transaction.atomic
def template_upload(*, kind: str, upload, by: User, note: str = "") -> DocumentTemplate:
    """A new version of the kind's template, used from now on; refused (TemplateRefused → DomainError)
    when it names a field the CRM does not fill or does not render."""
    if not access.may_manage_document_templates(by):
        raise DomainError("Шаблоны документов меняет администратор или директор.", code="forbidden")
    if kind not in DocumentTemplate.Kind.values:
        raise DomainError("Выберите вид документа.", field="kind")
    if not upload.name.lower().endswith(".docx"):
        raise DomainError("Нужен файл Word в формате .docx.", field="file")
    data = upload.read()
    try:
        templates.check(data)
    except templates.TemplateRefused as exc:
        raise DomainError(str(exc), field="file") from None
    last = DocumentTemplate.objects.select_for_update().filter(kind=kind).order_by("-version").first()
    row = DocumentTemplate.objects.create(
        kind=kind,
        version=(last.version + 1) if last else 1,
        file=ContentFile(data, name=upload.name.rsplit("/", 1)[-1]),
        note=note[:300],
        uploaded_by=by,
    )
    audit_record(actor=by, action=AuditEntry.Action.CREATE, target=row, target_repr=str(row))
    return row


# --- the admin's settings: requisites and numbering ---------------------------------------------


def legal_entity_clean(entity: LegalEntity) -> None:
    """Normalise and check the requisites in place; DomainError names the wrong field."""
    entity.inn = clean_inn(entity.inn)
    if not entity.inn:
        raise DomainError("Укажите ИНН.", field="inn")
    entity.kpp = clean_kpp(entity.kpp)
    if len(entity.inn) == 10 and not entity.kpp:
        raise DomainError("У организации укажите КПП.", field="kpp")
    entity.ogrn = clean_ogrn(entity.ogrn)
    entity.bik = clean_bik(entity.bik)
    if not entity.bik:
        raise DomainError("Укажите БИК банка.", field="bik")
    entity.account = clean_account(entity.account, bik=entity.bik)
    entity.corr_account = clean_corr_account(entity.corr_account, bik=entity.bik)
    if not entity.account or not entity.corr_account:
        raise DomainError(
            "Укажите расчётный и корреспондентский счета.", field="account" if not entity.account else "corr_account"
        )
    if entity.vat_mode == LegalEntity.Vat.RATE and not (0 < entity.vat_rate < 100):
        raise DomainError("Ставка НДС — от 0 до 100 %.", field="vat_rate")


@transaction.atomic
def legal_entity_save(*, entity: LegalEntity, by: User) -> LegalEntity:
    if not access.may_manage_document_templates(by):
        raise DomainError("Реквизиты фирмы меняет администратор или директор.", code="forbidden")
    legal_entity_clean(entity)
    created = entity.pk is None
    entity.save()
    if entity.is_default:
        # One default: the entity new documents are signed through.
        LegalEntity.objects.exclude(pk=entity.pk).filter(is_default=True).update(is_default=False)
    action = AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE
    audit_record(actor=by, action=action, target=entity, target_repr=str(entity))
    return entity


def series_check(series: DocumentSeries) -> None:
    """A readable format with {n}, a year not yet numbered, and a next number that does not go back."""
    format_number(series.pattern, year=series.year, n=1)
    if "{n" not in series.pattern:
        raise DomainError("В формате нужен порядковый номер {n}.", field="pattern")
    if series.pk:
        current = DocumentSeries.objects.filter(pk=series.pk).values_list("next_number", flat=True).first()
        if current is not None and series.next_number < current:
            raise DomainError(
                f"Номера до {current - 1} уже выданы: следующий не может быть меньше {current}.",
                field="next_number",
            )
    elif DocumentSeries.objects.filter(key=series.key, year=series.year).exists():
        raise DomainError("Эта нумерация на этот год уже есть.", field="year")


@transaction.atomic
def series_save(*, series: DocumentSeries, by: User) -> DocumentSeries:
    """The admin sets a series' format and next number; a number once given is never given again."""
    if not access.may_manage_document_templates(by):
        raise DomainError("Нумерацию меняет администратор или директор.", code="forbidden")
    if series.pk:
        # Checked under the lock the numbering takes, so a number given meanwhile is not given again.
        DocumentSeries.objects.select_for_update().filter(pk=series.pk).first()
    series_check(series)
    created = series.pk is None
    series.save()
    action = AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE
    audit_record(actor=by, action=action, target=series, target_repr=str(series))
    return series
