"""Edge validation for «дела», booking and the pool: parse and type; activities.services decides."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from activities.models import Activity
from crm.forms_util import BootstrapMixin, PeriodDateField
from crm.validators import PERIOD_FIRST_DAY, PERIOD_LAST_DAY


def _within_period(value) -> None:
    # A typo like 9999-12-31 would overflow «start + duration» into a 500; the services then
    # apply the real horizon (a year ahead) with their own message.
    if value is not None and not PERIOD_FIRST_DAY <= value.date() <= PERIOD_LAST_DAY:
        raise forms.ValidationError(f"Дата — с {PERIOD_FIRST_DAY:%d.%m.%Y} по {PERIOD_LAST_DAY:%d.%m.%Y}.")


DATETIME = {
    "widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    "validators": [_within_period],
}
DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
PLAN_KINDS = [(k, label) for k, label in Activity.Kind.choices if k != Activity.Kind.BUSY]
BOOK_KINDS = [(Activity.Kind.MEETING, "Встреча в офисе"), (Activity.Kind.REMOTE, "Дистанционная консультация")]
DURATIONS = [(30, "30 минут"), (60, "1 час"), (90, "1,5 часа"), (120, "2 часа")]


class DoneForm(BootstrapMixin, forms.Form):
    """Close an activity with its result and, in the same step, plan the next one."""

    result = forms.CharField(label="Результат", widget=forms.Textarea(attrs={"rows": 2}))
    next_kind = forms.ChoiceField(
        label="Следующее дело", choices=[("", "— не планировать —"), *PLAN_KINDS], required=False
    )
    next_at = forms.DateTimeField(label="Когда", required=False, **DATETIME)
    next_subject = forms.CharField(label="О чём", max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["result"].error_messages["required"] = "Напишите результат дела."

    def clean(self):
        data = super().clean()
        if data.get("next_kind") and not data.get("next_at"):
            self.add_error("next_at", "Укажите, когда следующее дело.")
        return data

    def next_plan(self) -> dict | None:
        d = self.cleaned_data
        if not d.get("next_kind"):
            return None
        return {"kind": d["next_kind"], "planned_at": d["next_at"], "subject": d.get("next_subject", "")}


class PlanForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="Вид", choices=[c for c in PLAN_KINDS if c[0] not in Activity.CALENDAR_KINDS])
    direction = forms.ChoiceField(label="Направление", choices=Activity.Direction.choices)
    planned_at = forms.DateTimeField(label="Когда", **DATETIME)
    subject = forms.CharField(label="О чём", max_length=300, required=False)


class BookForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="Что", choices=BOOK_KINDS)
    starts_at = forms.DateTimeField(label="Начало", **DATETIME)
    duration = forms.TypedChoiceField(label="Длительность", choices=DURATIONS, coerce=int, initial=60)
    phone = forms.CharField(label="Телефон клиента", max_length=40, required=False)
    lead = forms.IntegerField(required=False, widget=forms.HiddenInput)
    client = forms.IntegerField(required=False, widget=forms.HiddenInput)
    location = forms.CharField(label="Ссылка или телефон (для дистанционной)", max_length=300, required=False)
    subject = forms.CharField(label="Комментарий", max_length=300, required=False)
    manager = forms.IntegerField(widget=forms.HiddenInput)

    def ends_at(self):
        return self.cleaned_data["starts_at"] + timedelta(minutes=self.cleaned_data["duration"])


class RescheduleForm(BootstrapMixin, forms.Form):
    starts_at = forms.DateTimeField(label="Новое начало", **DATETIME)
    duration = forms.TypedChoiceField(label="Длительность", choices=DURATIONS, coerce=int, initial=60)


class CancelForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label="Причина отмены", max_length=300, required=False)


class ReanimateForm(BootstrapMixin, forms.Form):
    manager = forms.ModelChoiceField(label="Менеджер", queryset=None)
    planned_at = forms.DateTimeField(label="Звонок", **DATETIME)

    def __init__(self, *args, managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = managers
        self.fields["manager"].label_from_instance = lambda u: u.full_name
        tomorrow = timezone.localtime() + timedelta(days=1)
        self.fields["planned_at"].initial = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0)


class LostForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label="Причина", max_length=300)


class PoolRuleForm(BootstrapMixin, forms.Form):
    per_manager = forms.IntegerField(label="Клиентов на менеджера", min_value=1, max_value=50, initial=3)
    every_days = forms.IntegerField(label="Раз в, дней", min_value=1, max_value=90, initial=7)
    is_active = forms.BooleanField(label="Раздавать", required=False, initial=True)


class CalendarForm(forms.Form):
    date = PeriodDateField()
    view = forms.ChoiceField(choices=[("day", "День"), ("week", "Неделя")], required=False)


class BookingDayForm(forms.Form):
    """The booking grid's day: a typo like 9999-12-31 is a message, not a 500."""

    date = PeriodDateField()
