"""The «Документы» block the documents add to the deal card (crm/cards.py) and the invoice
button on the auto-task «Выставить счёт»."""

import re

from django.utils import timezone

from crm import access, cards
from deals.selectors import deals_visible_to
from integrations.documents import selectors, services
from integrations.models import GeneratedDocument

# The auto-task a stage creates (admin: «Автозадачи стадий») is recognised by its title.
INVOICE_TASK = re.compile(r"^\s*выставить\s+сч[её]т", re.IGNORECASE)


def section(user, deal) -> dict:
    if not access.offers_documents(user):
        return {}
    documents = selectors.documents_of_deal(deal)
    kinds = selectors.kinds_for(user, deal)
    proposal = None
    if any(k == GeneratedDocument.Kind.INVOICE for k, _ in kinds):
        proposal = services.proposed_amount(deal, GeneratedDocument.Kind.INVOICE)
    return {
        "documents_section": True,
        "documents": documents,
        "document_kinds": kinds,
        "invoice_proposal": proposal,
        "documents_pending": any(d.status == GeneratedDocument.Status.PENDING for d in documents),
    }


def deal_card(user, deal) -> dict:
    return section(user, deal)


def task_card(user, task) -> dict:
    if not task.deal_id or not INVOICE_TASK.match(task.title) or task.status not in task.OPEN:
        return {}
    if not access.may_make_document(user, GeneratedDocument.Kind.INVOICE):
        return {}
    # The task may be seen by an observer who cannot open the deal: then no button.
    deal = deals_visible_to(user).filter(pk=task.deal_id).first()
    if deal is None:
        return {}
    return {
        "invoice_task_deal": deal,
        "invoice_task_proposal": services.proposed_amount(deal, GeneratedDocument.Kind.INVOICE),
        "invoice_task_documents": [
            d for d in selectors.documents_of_deal(deal) if d.kind == GeneratedDocument.Kind.INVOICE
        ][:5],
    }


def move_form_initial(user, deal) -> dict:
    """The contract fields of the move form, from the contract drafted in the CRM for this deal."""
    if deal.contract_number:
        return {}
    drafted = (
        GeneratedDocument.objects.filter(deal=deal, kind=GeneratedDocument.Kind.CONTRACT)
        .exclude(status=GeneratedDocument.Status.FAILED)
        .order_by("-id")
        .first()
    )
    if drafted is None:
        return {}
    return {
        "contract_number": drafted.number,
        "contract_date": timezone.localdate(drafted.requested_at),
        "fee": drafted.amount,
    }


def register() -> None:
    cards.contribute("deal", deal_card)
    cards.contribute("deal_move", move_form_initial)
    cards.contribute("task", task_card)
