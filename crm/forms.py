from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from crm import services
from crm.errors import DomainError
from crm.http import client_ip
from crm.models import AuditEntry
from crm.roles import Role


class LoginForm(AuthenticationForm):
    """Django's login form with the firm's throttling and audit."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "inactive": "Учётная запись отключена. Обратитесь к администратору.",
    }

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = services.login_attempt(
                    username=username, password=password, ip=client_ip(self.request), request=self.request
                )
            except DomainError as exc:
                raise ValidationError(exc.message, code=exc.code) from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class StaffFilterForm(forms.Form):
    q = forms.CharField(label="Поиск", required=False, max_length=100)
    role = forms.ChoiceField(label="Роль", required=False, choices=[("", "Все роли"), *Role.choices])
    branch = forms.TypedChoiceField(label="Филиал", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, branches=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].choices = [("", "Все филиалы"), *((b.pk, b.name) for b in branches)]
        for name in ("role", "branch"):
            self.fields[name].widget.attrs.update({"class": "form-select", "aria-label": self.fields[name].label})


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label="Действие", required=False)
    target_type = forms.CharField(label="Объект", required=False, max_length=64)
    date_from = forms.DateField(
        label="С", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label="По", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Все действия"), *AuditEntry.Action.choices]
        self.fields["action"].widget.attrs.update({"class": "form-select", "aria-label": "Действие"})
