"""«Написать письмо» and «Ответить» from the client's card, and «Повторить» for a letter that was not sent.

The page writes the letter and its outbox job at once; a worker sends it through the user's own mailbox,
so the page never waits on Yandex."""

import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clients.selectors import client_get_for_user
from crm.errors import DomainError
from crm.forms_util import BootstrapMixin, add_domain_error
from crm.phones import normalize_email
from integrations.mail import selectors, services
from integrations.models import MailMessage

DOCUMENTS_OFFERED = 50  # the newest; an older one is attached on the card first if it is needed again


class LetterForm(BootstrapMixin, forms.Form):
    to = forms.MultipleChoiceField(label="Кому", required=False, widget=forms.CheckboxSelectMultiple)
    subject = forms.CharField(label="Тема", max_length=500, required=False)
    text = forms.CharField(label="Текст", required=False, widget=forms.Textarea(attrs={"rows": 12}))
    documents = forms.MultipleChoiceField(
        label="Приложить документы", required=False, widget=forms.CheckboxSelectMultiple
    )
    reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, client, addresses: list[str], documents: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        self._documents = {str(d.pk): d for d in documents}
        self.fields["to"].choices = [(a, a) for a in addresses]
        self.fields["documents"].choices = [
            (str(d.pk), f"{d.name} ({d.get_kind_display().lower()}, {filesizeformat(d.size)})") for d in documents
        ]
        for name in ("to", "documents"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def clean_documents(self) -> list:
        return [self._documents[pk] for pk in self.cleaned_data["documents"]]

    def clean_reply_to(self) -> MailMessage | None:
        pk = self.cleaned_data["reply_to"]
        if pk is None:
            return None
        letter = selectors.client_letter(self.client, pk)
        if letter is None:
            raise forms.ValidationError("Ответ возможен только на письмо этого клиента.")
        return letter


def _reply_initial(letter: MailMessage, addresses: list[str]) -> dict:
    """«Re: …», the client's address it came from (or went to), and the letter quoted below."""
    subject = letter.subject.strip()
    if not re.match(r"(?i)^re\s*:", subject):
        subject = f"Re: {subject}" if subject else "Re:"
    if letter.direction == MailMessage.Direction.INBOUND:
        theirs = {normalize_email(letter.from_address)}
    else:
        theirs = {normalize_email(a) for a in letter.to.split(",")}
    when = timezone.localtime(letter.sent_at or letter.received_at)
    who = letter.from_name or letter.from_address
    quoted = "\n".join(f"> {line}" for line in letter.text.splitlines())
    return {
        "subject": subject[:500],
        "to": [a for a in addresses if normalize_email(a) in theirs] or _only(addresses),
        "text": f"\n\n{when:%d.%m.%Y %H:%M}, {who} пишет:\n{quoted}",
        "reply_to": letter.pk,
    }


def _only(addresses: list[str]) -> list[str]:
    """The one address a client has is ticked already; of several, the user chooses."""
    return addresses[:1] if len(addresses) == 1 else []


def _card_url(client_id: int) -> str:
    return reverse("clients:client_detail", args=[client_id]) + "#mail"


@login_required
def compose_view(request, pk: int):
    """GET: the form (with ?reply_to=<letter> prefilled as a reply); POST: the letter is written and queued."""
    if not settings.MAIL_ENABLED:
        raise Http404("Почта в CRM выключена")
    client = client_get_for_user(request.user, pk)
    addresses = selectors.client_addresses(client)
    documents = selectors.client_documents(client, limit=DOCUMENTS_OFFERED)
    options = {"client": client, "addresses": addresses, "documents": documents}
    if request.method == "POST":
        form = LetterForm(request.POST, **options)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.letter_compose(
                    by=request.user,
                    client=client,
                    to=data["to"],
                    subject=data["subject"],
                    text=data["text"],
                    documents=data["documents"],
                    reply_to=data["reply_to"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "Письмо отправляется…")
                return redirect(_card_url(client.pk))
    else:
        initial = {"to": _only(addresses)}
        reply_to = request.GET.get("reply_to", "")
        if reply_to:
            letter = selectors.client_letter(client, int(reply_to)) if reply_to.isdigit() else None
            if letter is None:
                raise Http404("Письмо не найдено")
            initial = _reply_initial(letter, addresses)
        form = LetterForm(initial=initial, **options)
    return render(
        request,
        "integrations/mail_compose.html",
        {
            "client": client,
            "form": form,
            "may_write": selectors.may_write(request.user),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def retry_view(request, pk: int):
    """«Повторить»: the letter waits for a worker again; 404 for a letter whose client the user may not open."""
    if not settings.MAIL_ENABLED:
        raise Http404("Почта в CRM выключена")
    letter = selectors.letter_get_for_user(request.user, pk)
    try:
        services.letter_retry(letter=letter, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Письмо отправляется снова…")
    return redirect(_card_url(letter.client_id))


@login_required
def attachment_view(request, pk: int):
    """A letter's file, for whoever may see the letter; every opening is audited."""
    attachment = selectors.attachment_get_for_user(request.user, pk)
    services.attachment_opened(attachment=attachment, by=request.user)
    source = attachment.document.file if attachment.document_id else attachment.file
    return FileResponse(source.open("rb"), as_attachment=True, filename=attachment.filename)
