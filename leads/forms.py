from django import forms

from crm.forms_util import BootstrapMixin
from crm.pipelines import ServiceLine
from deals.models import Deal


class LeadIntakeForm(BootstrapMixin, forms.Form):
    phone = forms.CharField(
        label="Телефон",
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autofocus": True, "placeholder": "+7 900 000-00-00"}),
    )
    name = forms.CharField(label="Как обращаться", max_length=300, required=False)
    email = forms.EmailField(label="E-mail", required=False)
    source = forms.ChoiceField(label="Источник", choices=Deal.Source.choices, initial=Deal.Source.CALL)
    service_line = forms.ChoiceField(
        label="Направление", required=False, choices=[("", "Пока не ясно"), *ServiceLine.choices]
    )
    branch = forms.TypedChoiceField(label="Филиал", required=False, coerce=int, empty_value=None)
    assigned_to = forms.TypedChoiceField(label="Менеджер", required=False, coerce=int, empty_value=None)
    message = forms.CharField(label="Суть обращения", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, branches=(), managers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].choices = [("", "—"), *((b.pk, b.name) for b in branches)]
        self.fields["assigned_to"].choices = [
            ("", "Распределит РОП"),
            *((m.pk, f"{m.full_name} ({m.branch.name})") for m in managers),
        ]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("phone") and not cleaned.get("email"):
            self.add_error("phone", "Нужен телефон или e-mail, чтобы связаться с клиентом.")
        return cleaned


class NonTargetForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label="Почему нецелевой", max_length=300)


class CloseForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label="Почему закрыто без сделки", max_length=300)


class AssignForm(forms.Form):
    manager = forms.TypedChoiceField(label="Менеджер", coerce=int)

    def __init__(self, *args, managers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].choices = [(m.pk, f"{m.full_name} ({m.branch.name})") for m in managers]


class ConvertForm(BootstrapMixin, forms.Form):
    service_line = forms.ChoiceField(label="Направление", choices=ServiceLine.choices)
    title = forms.CharField(
        label="Услуга", max_length=200, required=False, help_text="Для ДУ: что делаем, например «Взыскание долга»"
    )
    existing_client = forms.BooleanField(label="Это существующий клиент", required=False)
    kind = forms.ChoiceField(
        label="Клиент",
        choices=[("person", "Физическое лицо"), ("company", "Организация")],
        initial="person",
        required=False,
    )
    company_name = forms.CharField(label="Название организации", max_length=255, required=False)
    last_name = forms.CharField(label="Фамилия", max_length=100, required=False)
    first_name = forms.CharField(label="Имя", max_length=100, required=False)
    patronymic = forms.CharField(label="Отчество", max_length=100, required=False)
    manager = forms.TypedChoiceField(label="Менеджер", coerce=int)

    def __init__(self, *args, managers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].choices = [(m.pk, m.full_name) for m in managers]


class MergeForm(BootstrapMixin, forms.Form):
    """Which duplicate, and which of the two stays (the survivor gets everything of the other)."""

    other = forms.IntegerField(label="Дубликат (номер)", min_value=1)
    keep = forms.ChoiceField(
        label="Что оставить",
        choices=[
            ("this", "Оставить эту запись, дубликат влить в неё"),
            ("other", "Оставить дубликат, эту влить в него"),
        ],
        initial="this",
        widget=forms.RadioSelect,
    )
