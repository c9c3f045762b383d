"""Reading documents made from templates, as the user may see them."""

from django.http import Http404

from crm import access
from crm.pipelines import ServiceLine
from deals.selectors import deals_visible_to
from integrations.models import DocumentTemplate, GeneratedDocument

CARD_LIMIT = 20


def documents_visible_to(user):
    """A made document is seen by whoever may open its deal."""
    return GeneratedDocument.objects.filter(deal__in=deals_visible_to(user))


def document_get_for_user(user, pk) -> GeneratedDocument:
    try:
        return documents_visible_to(user).select_related("docx", "pdf", "deal").get(pk=pk)
    except (GeneratedDocument.DoesNotExist, ValueError, TypeError):
        raise Http404("Документ не найден") from None


def documents_of_deal(deal) -> list[GeneratedDocument]:
    """The card's list, newest first; the caller has already opened the deal."""
    return list(
        GeneratedDocument.objects.filter(deal=deal)
        .select_related("docx", "pdf", "requested_by")
        .order_by("-id")[:CARD_LIMIT]
    )


def kinds_for(user, deal) -> list[tuple[str, str]]:
    """The documents the card offers this user for this deal."""
    kinds = []
    for value, label in GeneratedDocument.Kind.choices:
        if value == GeneratedDocument.Kind.CREDITOR_LIST and deal.service_line != ServiceLine.DB:
            continue
        if access.may_make_document(user, value):
            kinds.append((value, label))
    return kinds


def templates_in_use() -> dict[str, DocumentTemplate | None]:
    """For the template admin: the template each kind is made from now (the newest active version), or None."""
    rows = {}
    for row in DocumentTemplate.objects.filter(is_active=True).order_by("kind", "-version"):
        rows.setdefault(row.kind, row)
    return {kind: rows.get(kind) for kind in DocumentTemplate.Kind.values}
