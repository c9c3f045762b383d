"""Edge validation for deal pages: parse and type the input; the services decide."""

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django import forms

from crm.errors import DomainError
from crm.forms_util import BootstrapMixin, FastSelect, PeriodDateField
from crm.pipelines import REQUIRED_FIELDS, ServiceLine, Stage
from crm.validators import PERIOD_FIRST_DAY, PERIOD_LAST_DAY, as_field_validator
from deals import validators as bounds
from deals.models import Creditor, Deal, IncomingDocument, Payment
from deals.selectors import MASKED_AMOUNT, SORT_LABELS, IncomingDeadline, IncomingFilters, RegisterFilters

DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
YES_NO = [("", "—"), ("yes", "Да, долги списаны"), ("no", "Нет")]


class StageFieldsForm(forms.Form):
    """The fields a move may bring; which are shown depends on the target stage."""

    stage = forms.ChoiceField(choices=Stage.choices, widget=forms.HiddenInput)
    contract_number = forms.CharField(label="Номер договора", max_length=50, required=False)
    contract_date = forms.DateField(
        label="Дата договора", required=False, validators=[as_field_validator(bounds.check_contract_date)], **DATE
    )
    fee = forms.DecimalField(
        label="Стоимость услуг, ₽",
        max_digits=12,
        decimal_places=2,
        required=False,
        validators=[as_field_validator(bounds.check_fee)],
    )
    court = forms.CharField(label="Арбитражный суд", max_length=200, required=False)
    case_number = forms.CharField(
        label="Номер дела",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "А40-123456/2026"}),
    )
    filing_date = forms.DateField(
        label="Дата подачи заявления", required=False, validators=[as_field_validator(bounds.check_filing_date)], **DATE
    )
    outcome_written_off = forms.TypedChoiceField(
        label="Итог", choices=YES_NO, required=False, coerce=lambda v: v == "yes", empty_value=None
    )
    outcome_date = forms.DateField(
        label="Дата завершения", required=False, validators=[as_field_validator(bounds.check_outcome_date)], **DATE
    )
    termination_reason = forms.CharField(
        label="Причина расторжения", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def target_fields(self):
        stage = self.data.get("stage") or self.initial.get("stage")
        return [self[name] for name in REQUIRED_FIELDS.get(stage, ())]

    def stage_data(self) -> dict:
        names = REQUIRED_FIELDS.get(self.cleaned_data["stage"], ())
        return {n: self.cleaned_data[n] for n in names if self.cleaned_data.get(n) not in (None, "")}


class DealListFilterForm(forms.Form):
    q = forms.CharField(label="Поиск", required=False, max_length=100)
    service_line = forms.ChoiceField(
        label="Направление", required=False, choices=[("", "ДБ и ДУ"), *ServiceLine.choices], widget=FastSelect
    )
    stage = forms.ChoiceField(label="Стадия", required=False, widget=FastSelect)
    source = forms.ChoiceField(
        label="Источник", required=False, choices=[("", "Любой источник"), *Deal.Source.choices], widget=FastSelect
    )
    branch = forms.TypedChoiceField(label="Филиал", required=False, coerce=int, empty_value=None, widget=FastSelect)
    manager = forms.TypedChoiceField(label="Менеджер", required=False, coerce=int, empty_value=None, widget=FastSelect)
    created_from = PeriodDateField(label="Создана с")
    created_to = PeriodDateField(label="по")
    sort = forms.ChoiceField(label="Порядок", required=False, choices=list(SORT_LABELS.items()), widget=FastSelect)
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, branches=(), managers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", "Любая стадия")] + [
            # «ДБ · В суде», «ДУ · Договор заключён»: the line in Russian, as the firm says it.
            (s.value, f"{ServiceLine(s.value[:2]).label.split(' — ')[0]} · {s.label}")
            for s in Stage
        ]
        self.fields["branch"].choices = [("", "Все филиалы"), *((b.pk, b.name) for b in branches)]
        self.fields["manager"].choices = [("", "Все менеджеры"), *managers]
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs.update({"class": "form-select form-select-sm", "aria-label": field.label})
            elif name != "cursor":
                field.widget.attrs.update({"class": "form-control form-control-sm", "aria-label": field.label})


class PaymentForm(BootstrapMixin, forms.Form):
    # The bounds that need the deal (not before its contract) are the service's.
    paid_on = forms.DateField(label="Дата", validators=[as_field_validator(bounds.check_payment_date)], **DATE)
    amount = forms.DecimalField(
        label="Сумма, ₽", max_digits=12, decimal_places=2, validators=[as_field_validator(bounds.check_payment_amount)]
    )
    method = forms.ChoiceField(label="Способ", choices=Payment.Method.choices)
    comment = forms.CharField(label="Комментарий", max_length=300, required=False)


class ScheduleForm(BootstrapMixin, forms.Form):
    """One line per instalment: «15.12.2026 40000»."""

    lines = forms.CharField(
        label="График платежей",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "15.12.2026 40000\n15.01.2027 40000"}),
    )

    def clean_lines(self):
        items = []
        for number, line in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.replace("₽", "").split(maxsplit=1)
            try:
                due = datetime.strptime(parts[0], "%d.%m.%Y").date()
                amount = Decimal(parts[1].replace(" ", "").replace(",", "."))
            except (IndexError, ValueError, InvalidOperation):
                raise forms.ValidationError(
                    f"Строка {number}: нужно «дд.мм.гггг сумма», например «15.12.2026 40000»."
                ) from None
            try:
                # The contract date is the service's to check: the form does not know the deal.
                bounds.check_instalment(due, amount)
            except DomainError as exc:
                raise forms.ValidationError(f"Строка {number}: {exc.message}") from None
            items.append((due, amount))
        return items


class CaseForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Deal
        fields = [
            "title",
            "court",
            "case_number",
            "judge",
            "financial_manager",
            "deposit_paid",
            "total_debt",
            "property_notes",
        ]
        widgets = {"property_notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["total_debt"].validators.append(as_field_validator(bounds.check_total_debt))
        # Debts are personal data: the card never carries the figure, not even in an input.
        # The field shows it masked as a hint; left empty it keeps what is stored.
        self.initial["total_debt"] = None
        if self.instance.total_debt is not None:
            hint = f"{MASKED_AMOUNT} — оставьте пустым, чтобы не менять"
            self.fields["total_debt"].widget.attrs["placeholder"] = hint

    @staticmethod
    def case_data(cleaned_data: dict) -> dict:
        """The edited fields for the service; an empty debt means «unchanged»."""
        return {k: v for k, v in cleaned_data.items() if not (k == "total_debt" and v is None)}


class CreditorForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Creditor
        fields = ["name", "inn", "kind", "amount"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].validators.append(as_field_validator(bounds.check_creditor_amount))


HEARING_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class HearingForm(BootstrapMixin, forms.Form):
    date = forms.DateTimeField(
        label="Заседание", widget=HEARING_WIDGET, validators=[as_field_validator(bounds.check_hearing_date)]
    )
    result = forms.CharField(label="Результат", max_length=500, required=False)
    next_date = forms.DateTimeField(
        label="Следующее",
        required=False,
        widget=HEARING_WIDGET,
        validators=[as_field_validator(bounds.check_hearing_date)],
    )


class ReassignForm(forms.Form):
    manager = forms.TypedChoiceField(label="Новый менеджер", coerce=int)

    def __init__(self, *args, managers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].choices = [(m.pk, f"{m.full_name} ({m.branch.name})") for m in managers]


class RegisterFilterForm(forms.Form):
    """The payments register's filters. The period is always bounded: this month when none is
    given (all time up to today for «просроченные»), the firm's first or last day for a missing end."""

    date_from = PeriodDateField(label="С")
    date_to = PeriodDateField(label="по")
    branch = forms.TypedChoiceField(label="Филиал", required=False, coerce=int, empty_value=None, widget=FastSelect)
    manager = forms.TypedChoiceField(label="Менеджер", required=False, coerce=int, empty_value=None, widget=FastSelect)
    method = forms.ChoiceField(
        label="Способ", required=False, choices=[("", "Любой способ"), *Payment.Method.choices], widget=FastSelect
    )
    overdue = forms.BooleanField(label="Только просроченные", required=False)
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, branches=(), managers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].choices = [("", "Все филиалы"), *((b.pk, b.name) for b in branches)]
        self.fields["manager"].choices = [("", "Все менеджеры"), *managers]
        for name, f in self.fields.items():
            if isinstance(f.widget, forms.Select):
                f.widget.attrs.update({"class": "form-select form-select-sm", "aria-label": f.label})
            elif isinstance(f.widget, forms.CheckboxInput):
                f.widget.attrs.update({"class": "form-check-input"})
            elif name != "cursor":
                f.widget.attrs.update({"class": "form-control form-control-sm", "aria-label": f.label})

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "Конец периода раньше начала.")
        return data

    def filters(self, today: date) -> RegisterFilters:
        """The selection to show; an invalid form shows this month unfiltered."""
        data = self.cleaned_data if self.is_valid() else {}
        start, end = data.get("date_from"), data.get("date_to")
        overdue = bool(data.get("overdue"))
        if start is None and end is None:
            if overdue:
                start, end = PERIOD_FIRST_DAY, today
            else:
                start = today.replace(day=1)
                end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return RegisterFilters(
            date_from=start or PERIOD_FIRST_DAY,
            date_to=end or PERIOD_LAST_DAY,
            branch_id=data.get("branch"),
            manager_id=data.get("manager"),
            method=data.get("method") or "",
            overdue_only=overdue,
        )


class NewDealForm(BootstrapMixin, forms.Form):
    """«+ сделка»: a client found by search (`client`) or a new one (name and phone)."""

    service_line = forms.ChoiceField(label="Направление", choices=ServiceLine.choices, widget=forms.HiddenInput)
    client = forms.IntegerField(required=False, widget=forms.HiddenInput)
    manager = forms.TypedChoiceField(label="Менеджер", coerce=int, required=False)
    last_name = forms.CharField(label="Фамилия", max_length=100, required=False)
    first_name = forms.CharField(label="Имя", max_length=100, required=False)
    patronymic = forms.CharField(label="Отчество", max_length=100, required=False)
    phone = forms.CharField(label="Телефон", max_length=40, required=False)

    def __init__(self, *args, managers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].choices = [(pk, name) for pk, name in managers]
        if not managers:
            del self.fields["manager"]

    def clean(self):
        data = super().clean()
        if not data.get("client"):
            for name in ("last_name", "first_name", "phone"):
                if not (data.get(name) or "").strip():
                    self.add_error(name, "Найдите клиента или заполните это поле.")
        return data

    def new_client(self) -> dict | None:
        if self.cleaned_data.get("client"):
            return None
        return {k: self.cleaned_data[k].strip() for k in ("last_name", "first_name", "patronymic", "phone")}


# --- incoming documents ------------------------------------------------------------------------


class IncomingForm(BootstrapMixin, forms.Form):
    """«Зарегистрировать входящий» on the deal card; the service checks dates against today and the deal."""

    received_on = forms.DateField(label="Дата получения", **DATE)
    sender = forms.CharField(label="Отправитель", max_length=300)
    kind = forms.ChoiceField(label="Вид", choices=IncomingDocument.Kind.choices)
    summary = forms.CharField(label="Содержание", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    file = forms.FileField(label="Скан документа")
    reply_deadline = forms.DateField(label="Срок ответа", required=False, **DATE)
    responsible = forms.TypedChoiceField(
        label="Ответственный за ответ", required=False, coerce=int, empty_value=None, widget=FastSelect
    )

    def __init__(self, *args, responsibles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].choices = [("", "Менеджер сделки"), *responsibles]
        self.fields["responsible"].help_text = "Нужен, если указан срок ответа: ему будет поставлена задача."


class IncomingFilterForm(forms.Form):
    """The incoming register's filters; an invalid form shows the register unfiltered."""

    q = forms.CharField(label="Номер или отправитель", required=False, max_length=100)
    year = forms.TypedChoiceField(label="Год", required=False, coerce=int, empty_value=None, widget=FastSelect)
    kind = forms.ChoiceField(
        label="Вид", required=False, choices=[("", "Любой вид"), *IncomingDocument.Kind.choices], widget=FastSelect
    )
    date_from = PeriodDateField(label="Получен с")
    date_to = PeriodDateField(label="по")
    branch = forms.TypedChoiceField(label="Филиал", required=False, coerce=int, empty_value=None, widget=FastSelect)
    manager = forms.TypedChoiceField(label="Менеджер", required=False, coerce=int, empty_value=None, widget=FastSelect)
    deadline = forms.ChoiceField(
        label="Срок ответа", required=False, choices=IncomingDeadline.CHOICES, widget=FastSelect
    )
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, branches=(), managers=(), today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = (today or date.today()).year
        self.fields["year"].choices = [("", "Все годы"), *((y, str(y)) for y in range(this_year, 2019, -1))]
        self.fields["branch"].choices = [("", "Все филиалы"), *((b.pk, b.name) for b in branches)]
        self.fields["manager"].choices = [("", "Все менеджеры"), *managers]
        for name, f in self.fields.items():
            if isinstance(f.widget, forms.Select):
                f.widget.attrs.update({"class": "form-select form-select-sm", "aria-label": f.label})
            elif name != "cursor":
                f.widget.attrs.update({"class": "form-control form-control-sm", "aria-label": f.label})

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "Конец периода раньше начала.")
        return data

    def filters(self) -> IncomingFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return IncomingFilters(
            year=data.get("year"),
            kind=data.get("kind") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            branch_id=data.get("branch"),
            manager_id=data.get("manager"),
            deadline=data.get("deadline") or "",
            q=data.get("q") or "",
        )
