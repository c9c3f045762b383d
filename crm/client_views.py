from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from crm import client_selectors, client_services
from crm.errors import DomainError
from crm.forms_util import BootstrapMixin
from crm.http import client_ip
from crm.validators import mask
from deals.pipelines import ServiceLine
from deals.selectors import deals_visible_to

PD_LABELS = {"passport": "Паспорт", "snils": "СНИЛС", "inn": "ИНН", "ogrn": "ОГРН"}


class CommentForm(BootstrapMixin, forms.Form):
    text = forms.CharField(
        label="Комментарий", widget=forms.Textarea(attrs={"rows": 2, "placeholder": "@логин — упомянуть коллегу"})
    )


def _card(request, client, comment_form=None, status=200):
    deals = list(deals_visible_to(request.user).filter(client=client).select_related("manager").order_by("-id"))
    personal = [(f, PD_LABELS[f], mask(getattr(client, f))) for f in PD_LABELS if getattr(client, f)]
    return render(
        request,
        "crm/client_detail.html",
        {
            "client": client,
            "deals": deals,
            "personal": personal,
            "timeline": client_selectors.client_timeline(client),
            "comment_form": comment_form or CommentForm(),
            "lines": ServiceLine,
        },
        status=status,
    )


@login_required
def client_detail_view(request, pk: int):
    return _card(request, client_selectors.client_get_for_user(request.user, pk))


@login_required
@require_POST
def client_reveal_view(request, pk: int, field: str):
    """Show one personal-data field in full; every opening is written to the audit log."""
    client = client_selectors.client_get_for_user(request.user, pk)
    try:
        value = client_services.personal_data_reveal(client=client, by=request.user, field=field, ip=client_ip(request))
    except DomainError:
        return render(request, "crm/_pd_value.html", {"value": "—"}, status=400)
    return render(request, "crm/_pd_value.html", {"value": value})


@login_required
@require_POST
def client_comment_view(request, pk: int):
    client = client_selectors.client_get_for_user(request.user, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            client_services.comment_add(client=client, by=request.user, text=form.cleaned_data["text"])
        except DomainError as exc:
            form.add_error("text", exc.message)
        else:
            messages.success(request, "Комментарий добавлен.")
            return redirect("crm:client_detail", pk=pk)
    return _card(request, client, comment_form=form, status=400)
