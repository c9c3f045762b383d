"""The deal card's «Документы» block: ask for a document, watch it get ready, download it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from crm.errors import DomainError
from deals.selectors import deal_get_for_user
from integrations.documents import cards, services


def _section(request, deal, *, error: str = "", status: int = 200):
    context = {"deal": deal, **cards.section(request.user, deal), "documents_error": error}
    return render(request, "integrations/_documents_section.html", context, status=status)


@login_required
def documents_section_view(request, pk: int):
    """The block alone: the card polls it while a document is being made."""
    return _section(request, deal_get_for_user(request.user, pk))


def _safe_next(value: str) -> str | None:
    return value if value.startswith("/") and not value.startswith("//") else None


@login_required
@require_POST
def document_request_view(request, pk: int):
    deal = deal_get_for_user(request.user, pk)
    try:
        document = services.document_request(
            deal=deal,
            by=request.user,
            kind=request.POST.get("kind", ""),
            amount=request.POST.get("amount") or None,
            purpose=request.POST.get("purpose", ""),
        )
    except DomainError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied(exc.message) from None
        if request.htmx:
            return _section(request, deal, error=exc.message, status=400)
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"{document.get_kind_display()} № {document.number} готовится: "
            "через несколько секунд он появится в блоке «Документы».",
        )
        if request.htmx:
            return _section(request, deal)
    back = _safe_next(request.POST.get("next", ""))
    return redirect(back or reverse("deals:detail", args=[deal.pk]) + "#documents")
