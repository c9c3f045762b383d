from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clients import selectors as client_selectors
from clients import services as client_services
from clients.forms import ClientListFilterForm
from clients.models import Client, ClientDocument
from crm import access, cards
from crm import selectors as crm_selectors
from crm.errors import DomainError
from crm.forms_util import BootstrapMixin, add_domain_error
from crm.http import client_ip
from crm.models import AuditEntry
from crm.pipelines import ServiceLine
from crm.services import audit_record
from crm.validators import mask

PD_LABELS = {"passport": "Паспорт", "snils": "СНИЛС", "inn": "ИНН", "ogrn": "ОГРН"}


class CommentForm(BootstrapMixin, forms.Form):
    text = forms.CharField(
        label="Комментарий", widget=forms.Textarea(attrs={"rows": 2, "placeholder": "@логин — упомянуть коллегу"})
    )


class DocumentForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="Вид", choices=[])
    file = forms.FileField(label="Файл")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = ClientDocument.Kind.choices


def _card(request, client, comment_form=None, status=200, document_form=None):
    personal = [(f, PD_LABELS[f], mask(getattr(client, f))) for f in PD_LABELS if getattr(client, f)]
    return render(
        request,
        "clients/client_detail.html",
        {
            "client": client,
            "personal": personal,
            "timeline": client_selectors.client_timeline(client),
            "comment_form": comment_form or CommentForm(),
            "lines": ServiceLine,
            "documents": list(client.documents.select_related("uploaded_by")[:50]),
            "document_form": document_form or DocumentForm(),
            "can_edit": access.may_edit_client(request.user, client),
            # The deals, planned «дела» and Disk folder come from the apps above clients.
            **cards.sections("client", user=request.user, obj=client),
        },
        status=status,
    )


@login_required
def client_list_view(request):
    """All clients the user may open, newest first, with filters; «показать ещё» pages by id."""
    if not access.may_list_clients(request.user):
        raise PermissionDenied("Список клиентов открывают менеджеры, РОП, юристы и директор.")
    branches = crm_selectors.branches_visible_to(request.user) if access.sees_everything(request.user) else []
    managers = client_selectors.client_owner_choices(request.user)
    form = ClientListFilterForm(request.GET or None, branches=branches, managers=managers)
    f = form.cleaned_data if form.is_valid() else {}
    rows, next_before = client_selectors.clients_page(
        request.user,
        branch_id=f.get("branch"),
        manager_id=f.get("manager"),
        status=f.get("status") or "",
        q=f.get("q") or "",
        before=f.get("before"),
    )
    next_query = ""
    if next_before:
        query = request.GET.copy()
        query["before"] = next_before
        next_query = query.urlencode()
    template = "clients/_list_rows.html" if request.htmx and f.get("before") else "clients/list.html"
    return render(request, template, {"form": form, "rows": rows, "next_query": next_query})


@login_required
def client_detail_view(request, pk: int):
    return _card(request, client_selectors.client_get_for_user(request.user, pk))


@login_required
def client_contact_view(request, pk: int):
    """The office manager's view of a pool or abandoned client: contacts and history, no case file."""
    client = client_selectors.client_contact_card_get(request.user, pk)
    return render(
        request,
        "clients/client_contact.html",
        {"client": client, "timeline": client_selectors.client_timeline(client)},
    )


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
            return redirect("clients:client_detail", pk=pk)
    return _card(request, client, comment_form=form, status=400)


class ClientForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="Тип", choices=Client.Kind.choices)
    last_name = forms.CharField(label="Фамилия", max_length=100, required=False)
    first_name = forms.CharField(label="Имя", max_length=100, required=False)
    patronymic = forms.CharField(label="Отчество", max_length=100, required=False)
    company_name = forms.CharField(label="Название организации", max_length=255, required=False)
    phones = forms.CharField(
        label="Телефоны", max_length=300, required=False, help_text="Через запятую; первый — основной"
    )
    email = forms.EmailField(label="E-mail", required=False)
    birth_date = forms.DateField(
        label="Дата рождения", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    address = forms.CharField(label="Адрес", max_length=500, required=False)
    region = forms.CharField(label="Регион", max_length=100, required=False)
    passport = forms.CharField(label="Паспорт (серия и номер)", max_length=100, required=False)
    snils = forms.CharField(label="СНИЛС", max_length=20, required=False)
    inn = forms.CharField(label="ИНН", max_length=12, required=False)
    ogrn = forms.CharField(label="ОГРН", max_length=15, required=False)
    consent_at = forms.DateTimeField(
        label="Согласие на обработку ПДн получено",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    consent_channel = forms.CharField(label="Как получено", max_length=50, required=False)
    consent_document = forms.CharField(label="Документ согласия", max_length=200, required=False)

    def __init__(self, *args, client=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Personal data is never put into the page: the field shows the masked
        # value as a hint, and left empty keeps what is stored.
        for name in client_services.PERSONAL_FIELDS:
            stored = getattr(client, name, "") if client else ""
            if stored:
                self.fields[name].widget.attrs["placeholder"] = f"{mask(stored)} — оставьте пустым, чтобы не менять"


CARD_INITIAL = client_services.CARD_FIELDS


@login_required
def client_edit_view(request, pk: int):
    client = client_selectors.client_get_for_user(request.user, pk)
    if not access.may_edit_client(request.user, client):
        raise PermissionDenied("Карточку клиента меняют менеджер, РОП или директор.")
    initial = {f: getattr(client, f) for f in CARD_INITIAL}
    initial["phones"] = ", ".join(p.number for p in client.phones.all())
    form = ClientForm(request.POST or None, initial=initial, client=client)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = {f: d[f] for f in CARD_INITIAL if d[f] is not None or f in ("birth_date", "consent_at")}
        data.update({f: d[f] for f in client_services.PERSONAL_FIELDS if d[f]})
        phones = [p.strip() for p in d["phones"].split(",") if p.strip()]
        try:
            client_services.client_update(client=client, by=request.user, data=data, phones=phones)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Карточка клиента сохранена.")
            return redirect("clients:client_detail", pk=pk)
    return render(
        request, "clients/client_edit.html", {"client": client, "form": form}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def document_add_view(request, pk: int):
    client = client_selectors.client_get_for_user(request.user, pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            client_services.document_add(
                client=client, by=request.user, upload=form.cleaned_data["file"], kind=form.cleaned_data["kind"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Документ прикреплён; он появится в папке клиента на Диске.")
            return redirect(reverse("clients:client_detail", args=[pk]) + "#documents")
    return _card(request, client, status=400, document_form=form)


@login_required
def document_download_view(request, pk: int, document_id: int):
    from django.http import FileResponse, Http404

    client = client_selectors.client_get_for_user(request.user, pk)
    document = client.documents.filter(pk=document_id).first()
    if document is None:
        raise Http404
    # Client documents are personal data: who opened which is kept.
    audit_record(
        actor=request.user, action=AuditEntry.Action.VIEW_PERSONAL_DATA, target=document, target_repr=document.name
    )
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.name)
