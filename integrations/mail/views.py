"""«Моя почта» in the profile: connect one's own Yandex mailbox (checked first), check it again, disconnect."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from crm import access
from crm.errors import DomainError
from integrations.mail import selectors, services
from integrations.models import Mailbox

# The fields folded under «Дополнительно»: Yandex's defaults suit everyone but a test server.
SERVER_FIELDS = ["imap_host", "imap_port", "smtp_host", "smtp_port", "security"]
YANDEX_DEFAULTS = {**services.YANDEX, "security": Mailbox.Security.SSL}


class MailboxForm(forms.Form):
    username = forms.CharField(label="Адрес почты (он же логин)", max_length=254)
    # Never rendered back: the stored password is not shown again.
    password = forms.CharField(
        label="Пароль приложения", max_length=200, widget=forms.PasswordInput(render_value=False)
    )
    imap_host = forms.CharField(label="IMAP-сервер", max_length=200, initial=services.YANDEX["imap_host"])
    imap_port = forms.IntegerField(
        label="IMAP-порт", min_value=1, max_value=65535, initial=services.YANDEX["imap_port"]
    )
    smtp_host = forms.CharField(label="SMTP-сервер", max_length=200, initial=services.YANDEX["smtp_host"])
    smtp_port = forms.IntegerField(
        label="SMTP-порт", min_value=1, max_value=65535, initial=services.YANDEX["smtp_port"]
    )
    security = forms.ChoiceField(label="Шифрование", choices=Mailbox.Security.choices, initial=Mailbox.Security.SSL)


def _initial(user, mailbox: Mailbox | None) -> dict:
    if mailbox is None:
        return {"username": user.email or ""}
    return {"username": mailbox.address, **{name: getattr(mailbox, name) for name in SERVER_FIELDS}}


def _connect(request, form: MailboxForm) -> bool:
    try:
        services.mailbox_connect(by=request.user, **form.cleaned_data)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return False
    return True


@login_required
def my_mail_view(request):
    if not access.may_connect_mailbox(request.user):
        raise PermissionDenied
    enabled = settings.MAIL_ENABLED
    mailbox = selectors.personal_mailbox(request.user)
    form = MailboxForm(initial=_initial(request.user, mailbox))
    action = request.POST.get("action") if request.method == "POST" else None
    if action and not enabled:
        # As the API's 503: with mail switched off nothing is connected, checked or forgotten here.
        messages.error(request, "Почта в CRM выключена на этом сервере.")
        return redirect("integrations:mail_mine")
    if action == "connect":
        form = MailboxForm(request.POST)
        if form.is_valid() and _connect(request, form):
            messages.success(request, "Почта подключена: новые письма клиентов появятся в CRM.")
            return redirect("integrations:mail_mine")
    elif action == "check" and mailbox is not None:
        reason = services.mailbox_check(mailbox=mailbox)
        if reason:
            messages.error(request, reason)
        else:
            messages.success(request, "Подключение работает.")
        return redirect("integrations:mail_mine")
    elif action == "disconnect" and mailbox is not None:
        services.mailbox_disconnect(mailbox=mailbox)
        messages.success(request, "Почта отключена. Письма, уже попавшие в CRM, остались на карточках.")
        return redirect("integrations:mail_mine")
    server_fields = [form[name] for name in SERVER_FIELDS]
    context = {
        "form": form,
        "mailbox": mailbox,
        "enabled": enabled,
        # Open the fold when something in it needs looking at: an error, or servers other than Yandex's.
        "server_fields_open": any(f.errors or str(f.value()) != str(YANDEX_DEFAULTS[f.name]) for f in server_fields),
    }
    return render(request, "integrations/mail_mine.html", context)
