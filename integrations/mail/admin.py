"""Mailboxes in the admin site: the admin connects shared ones (the site's info@) and names who handles them.

A shared box is saved through `services.mailbox_connect`, so it is checked against IMAP and SMTP like a
personal one; the app password is write-only. Personal boxes are shown read-only: their owners connect,
check and disconnect them in «Моя почта»."""

from django import forms
from django.contrib import admin

from crm.errors import DomainError
from crm.outbox import PermanentError
from integrations.mail import services
from integrations.models import Mailbox

SERVER_FIELDS = ["imap_host", "imap_port", "smtp_host", "smtp_port", "security"]
STATUS_FIELDS = ["state", "last_check_at", "last_polled_at", "last_error"]


class SharedMailboxForm(forms.ModelForm):
    """Connects the box while it is validated: the check's refusal is shown on its field, and nothing is saved.

    `by` (the admin) is set by MailboxAdmin.get_form. The connecting happens here rather than in save_model
    because the admin site can only show an error on the form; nothing can fail after it (no inlines)."""

    by = None
    password = forms.CharField(
        label="Пароль приложения",
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="id.yandex.ru → Безопасность → Пароли приложений → «Почта». Сохранённый пароль не показывается; "
        "оставьте пустым, чтобы не менять его.",
    )

    class Meta:
        model = Mailbox
        fields = ["address", "password", *SERVER_FIELDS, "handlers"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and not cleaned.get("password"):
            self.add_error("password", "Введите пароль приложения.")
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        # Only «who handles» changed: nothing to log in again with.
        if self.instance.pk is not None and not (set(self.changed_data) - {"handlers"}):
            return
        try:
            password = self.cleaned_data["password"] or services.decrypt(self.instance.password_encrypted)
            connected = services.mailbox_connect(
                by=self.by,
                kind=Mailbox.Kind.SHARED,
                username=self.instance.address,
                password=password,
                **{name: self.cleaned_data[name] for name in SERVER_FIELDS},
            )
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
            return
        except PermanentError as exc:  # the stored password no longer decrypts
            self.add_error("password", str(exc))
            return
        # save(commit=False) hands the admin this saved box; save_m2m then sets its handlers.
        self.instance = connected


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["address", "kind", "owner", "state", "last_polled_at", "last_error"]
    list_filter = ["kind", "state"]
    list_select_related = ["owner"]
    search_fields = ["address"]
    filter_horizontal = ["handlers"]
    form = SharedMailboxForm

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["address", "password", *SERVER_FIELDS, "handlers"]
        if obj.kind == Mailbox.Kind.PERSONAL:
            return ["address", "kind", "owner", *SERVER_FIELDS, *STATUS_FIELDS]
        return ["address", "password", *SERVER_FIELDS, "handlers", *STATUS_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.kind == Mailbox.Kind.PERSONAL:
            return self.get_fields(request, obj)
        # Another address is another mailbox: disconnect this one and add that.
        return ["address", *STATUS_FIELDS]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"by": request.user})

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.kind == Mailbox.Kind.PERSONAL:
            return False  # the owner's, in «Моя почта»
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.kind == Mailbox.Kind.PERSONAL:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # Bulk delete would take personal boxes along: shared ones are disconnected one at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        pass  # saved, checked, by services.mailbox_connect while the form was validated

    def delete_model(self, request, obj):
        services.mailbox_disconnect(mailbox=obj)
