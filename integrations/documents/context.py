"""The values a template is filled with, named exactly as fields.py lists them."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from crm.models import short_person_name
from crm.money import rub_figures, rub_words
from crm.pipelines import ServiceLine, Stage
from deals.models import Deal
from integrations.models import GeneratedDocument, LegalEntity

MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
LINE_NAMES = {ServiceLine.DB: "Банкротство физических лиц", ServiceLine.DU: "Договор оказания юридических услуг"}


# What the CRM does not know is left as a line to fill in by hand, as on a printed form.
BLANK = "_" * 24


def _or_blank(value: str) -> str:
    return value if value else BLANK


def _d(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def date_words(value: date) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year} г."


def vat_line(entity: LegalEntity, amount: Decimal | None) -> str:
    if entity.vat_mode == LegalEntity.Vat.NONE or amount is None:
        return "Без НДС"
    rate = Decimal(entity.vat_rate)
    vat = (Decimal(amount) * rate / (100 + rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"В т.ч. НДС {rate.normalize():f}% — {rub_figures(vat)}"


def firm(entity: LegalEntity) -> dict:
    return {
        "name": entity.name,
        "short_name": entity.short_name,
        "inn": entity.inn,
        "kpp": entity.kpp,
        "ogrn": entity.ogrn,
        "address": entity.address,
        "signatory": entity.signatory,
        "signatory_short": short_person_name(entity.signatory),
        "signatory_position": entity.signatory_position,
        "signatory_basis": entity.signatory_basis,
        "bank": entity.bank,
        "bik": entity.bik,
        "account": entity.account,
        "corr_account": entity.corr_account,
        "phone": entity.phone,
        "email": entity.email,
    }


def build(document: GeneratedDocument, deal: Deal, *, today: date) -> dict:
    """The full context for `document` of `deal`, from rows fetched by the caller (no queries here
    beyond the deal's prefetched schedule and creditors)."""
    client, manager, entity = deal.client, deal.manager, document.legal_entity
    phones = sorted(client.phones.all(), key=lambda p: (not p.is_primary, p.id))
    fee = document.amount if document.kind == GeneratedDocument.Kind.CONTRACT else deal.fee
    amount = document.amount
    creditors = list(deal.creditors.all())
    instalments = list(deal.instalments.all())
    contract_number = document.number if document.kind == GeneratedDocument.Kind.CONTRACT else deal.contract_number
    contract_date = deal.contract_date or (today if document.kind == GeneratedDocument.Kind.CONTRACT else None)
    service = document.purpose or f"Юридические услуги по договору № {contract_number}"
    return {
        "firm": firm(entity),
        "client": {
            "name": client.display_name,
            "short_name": client.short_name if client.kind == client.Kind.PERSON else client.display_name,
            "birth_date": _or_blank(_d(client.birth_date)),
            "address": _or_blank(client.address),
            "phone": _or_blank(phones[0].number if phones else ""),
            "email": _or_blank(client.email),
            "passport": _or_blank(client.passport),
            "snils": _or_blank(client.snils),
            "inn": _or_blank(client.inn),
        },
        "deal": {
            "line": LINE_NAMES.get(deal.service_line, ""),
            "title": deal.title or LINE_NAMES.get(deal.service_line, ""),
            "stage": Stage(deal.stage).label,
            "contract_number": contract_number,
            "contract_date": _d(contract_date),
            "fee": rub_figures(fee) if fee is not None else "",
            "fee_words": rub_words(fee) if fee is not None else "",
            "court": deal.court,
            "case_number": deal.case_number,
            "total_debt": rub_figures(deal.total_debt) if deal.total_debt is not None else "",
            "financial_manager": deal.financial_manager,
        },
        "manager": {
            "name": manager.full_name,
            "short_name": manager.short_name,
            "phone": manager.phone,
            "email": manager.email,
            "branch": deal.branch.name,
        },
        "document": {
            "number": document.number,
            "date": _d(today),
            "date_words": date_words(today),
            "city": deal.branch.city,
        },
        "payment": {
            "amount": rub_figures(amount) if amount is not None else "",
            "amount_words": rub_words(amount) if amount is not None else "",
            "vat": vat_line(entity, amount),
            "purpose": document.purpose,
        },
        "schedule": [
            {
                "number": n,
                "due_date": _d(i.due_date),
                "amount": rub_figures(i.amount),
                "paid": rub_figures(i.paid_amount),
            }
            for n, i in enumerate(instalments, 1)
        ],
        "creditors": [
            {
                "number": n,
                "name": c.name,
                "inn": c.inn,
                "kind": c.get_kind_display(),
                "amount": rub_figures(c.amount),
            }
            for n, c in enumerate(creditors, 1)
        ],
        "services": [{"number": 1, "name": service, "amount": rub_figures(amount) if amount is not None else ""}],
        "creditors_total": rub_figures(sum((c.amount for c in creditors), start=Decimal(0))),
    }
