"""Edge validation for task pages: parse and type the input; tasks.services decides."""

from django import forms

from crm import selectors as crm_selectors
from crm.forms_util import BootstrapMixin, PeriodDateField
from tasks.models import ReportSchedule, Task
from tasks.services import Decision, default_deadline

# <input type="date"> only takes ISO dates: in the Russian locale Django would write 27.11.2026
# and the browser would show an empty field (the default deadline lost).
DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
CO_EXECUTOR_ROWS = 3
STAFF_ERRORS = {"invalid_choice": "Выберите действующего сотрудника из списка."}


class StaffChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_label", "—")
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.full_name} · {obj.get_role_display()}"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


def _staff(user):
    return crm_selectors.staff_visible_to(user).filter(is_active=True).order_by("full_name")


class OneResponsibleMixin:
    """Exactly one responsible: a second value in the POST is refused, not silently dropped."""

    def clean_responsible(self):
        if hasattr(self.data, "getlist") and len([v for v in self.data.getlist("responsible") if v]) > 1:
            raise forms.ValidationError("У задачи ровно один ответственный: остальных добавьте соисполнителями.")
        return self.cleaned_data["responsible"]


class TaskForm(OneResponsibleMixin, BootstrapMixin, forms.Form):
    form = forms.ChoiceField(
        label="Форма",
        choices=[(Task.Form.RZ, "РЗ — рабочая задача"), (Task.Form.ORDINARY, "Обычная задача")],
        initial=Task.Form.RZ,
    )
    title = forms.CharField(label="Название", max_length=240)
    responsible = StaffChoiceField(label="Ответственный", queryset=None, error_messages=STAFF_ERRORS)
    body = forms.CharField(label="Задача", widget=forms.Textarea(attrs={"rows": 4}), required=False)
    wanted_result = forms.CharField(
        label="Какой результат нужен", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    deadline = forms.DateField(label="Срок", **DATE)
    deadline_reason = forms.CharField(
        label="Если срок больше 3 рабочих дней — почему",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    checklist = forms.CharField(
        label="Чек-лист (по пункту в строке)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    observers = forms.ModelMultipleChoiceField(
        label="Наблюдатели", queryset=None, required=False, error_messages=STAFF_ERRORS
    )
    deal = forms.IntegerField(label="№ сделки", required=False, min_value=1)
    files = MultipleFileField(label="Файлы")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        staff = _staff(user)
        self.fields["responsible"].queryset = staff
        self.fields["observers"].queryset = staff
        self.fields["observers"].widget.attrs["size"] = 4
        self.fields["deadline"].initial = default_deadline()
        for i in range(1, CO_EXECUTOR_ROWS + 1):
            self.fields[f"co{i}"] = StaffChoiceField(
                label=f"Соисполнитель {i}", queryset=staff, required=False, error_messages=STAFF_ERRORS
            )
            self.fields[f"co{i}_part"] = forms.CharField(label="Что от него требуется", required=False, max_length=500)
            for name in (f"co{i}", f"co{i}_part"):
                css = "form-select form-select-sm" if name == f"co{i}" else "form-control form-control-sm"
                self.fields[name].widget.attrs["class"] = css

    def co_executor_rows(self):
        return [(self[f"co{i}"], self[f"co{i}_part"]) for i in range(1, CO_EXECUTOR_ROWS + 1)]

    def clean(self):
        data = super().clean()
        for i in range(1, CO_EXECUTOR_ROWS + 1):
            if data.get(f"co{i}_part") and not data.get(f"co{i}"):
                self.add_error(f"co{i}", "Выберите соисполнителя или сотрите его часть работы.")
        return data

    def co_executors(self):
        d = self.cleaned_data
        return [(d[f"co{i}"], d[f"co{i}_part"]) for i in range(1, CO_EXECUTOR_ROWS + 1) if d.get(f"co{i}")]

    def checklist_lines(self):
        return [line for line in self.cleaned_data["checklist"].splitlines() if line.strip()]


class PrForm(BootstrapMixin, forms.Form):
    topic = forms.CharField(label="Тема", max_length=200)
    pr_kind = forms.ChoiceField(label="Вид", choices=[("", "—"), *Task.PrKind.choices])
    essence = forms.CharField(label="Суть вопроса", widget=forms.Textarea(attrs={"rows": 2}))
    facts = forms.CharField(label="Полная информация", widget=forms.Textarea(attrs={"rows": 4}))
    proposal = forms.CharField(label="Предлагаемое решение", widget=forms.Textarea(attrs={"rows": 3}))
    # A select of deals, filled by the search box above it (tasks:deal_options): people know the
    # client's name, not the deal's internal number.
    deal = forms.IntegerField(label="Сделка (если вопрос о сделке)", required=False, min_value=1, widget=forms.Select)
    files = MultipleFileField(label="Документы")

    def __init__(self, *args, deal_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deal"].widget.choices = [("", "— без сделки —"), *deal_choices]
        self.fields["proposal"].error_messages["required"] = "В ПР укажите предлагаемое решение."
        self.fields["essence"].error_messages["required"] = "В ПР укажите суть вопроса."
        self.fields["facts"].error_messages["required"] = "В ПР укажите полную информацию."


class TextForm(BootstrapMixin, forms.Form):
    text = forms.CharField(label="Текст", widget=forms.Textarea(attrs={"rows": 3}))


class DelegateForm(BootstrapMixin, forms.Form):
    to = StaffChoiceField(label="Кому передать", queryset=None, error_messages=STAFF_ERRORS)
    text = forms.CharField(label="Комментарий", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Inactive colleagues stay valid choices here so the service can say why they are refused.
        self.fields["to"].queryset = crm_selectors.staff_visible_to(user).exclude(pk=user.pk).order_by("full_name")
        self.fields["to"].widget.choices = [("", "—")] + [
            (u.pk, f"{u.full_name} · {u.get_role_display()}") for u in _staff(user).exclude(pk=user.pk)
        ]


class DecideForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(label="Решение", choices=[("", "—"), *Decision.CHOICES])
    text = forms.CharField(label="Решение словами", widget=forms.Textarea(attrs={"rows": 3}))


class DeadlineForm(BootstrapMixin, forms.Form):
    deadline = forms.DateField(label="Реальный срок", **DATE)
    reason = forms.CharField(label="Почему нужен этот срок", widget=forms.Textarea(attrs={"rows": 2}))


class ObserverForm(BootstrapMixin, forms.Form):
    user = StaffChoiceField(label="Наблюдатель", queryset=None, error_messages=STAFF_ERRORS)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = _staff(user)


class AttachmentForm(BootstrapMixin, forms.Form):
    files = MultipleFileField(label="Файлы", required=True)


class ReportAnswersForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        for i, question in enumerate(questions):
            self.fields[f"answer_{i}"] = forms.CharField(
                label=question,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}),
                error_messages={"required": "Ответьте на этот вопрос."},
            )

    def answers(self) -> list[str]:
        return [self.cleaned_data[f"answer_{i}"] for i in range(len(self.fields))]


class ReportScheduleForm(BootstrapMixin, forms.Form):
    responsible = StaffChoiceField(label="Сотрудник", queryset=None, error_messages=STAFF_ERRORS)
    title = forms.CharField(label="Название отчёта", max_length=200)
    questions = forms.CharField(label="Вопросы (по одному в строке)", widget=forms.Textarea(attrs={"rows": 4}))
    period = forms.ChoiceField(label="Периодичность", choices=ReportSchedule.Period.choices)
    weekday = forms.TypedChoiceField(label="День недели", choices=ReportSchedule.WEEKDAYS, coerce=int, initial=4)
    month_day = forms.IntegerField(label="Число месяца", min_value=1, max_value=28, initial=1)
    deadline_working_days = forms.IntegerField(label="Срок сдачи, рабочих дней", min_value=1, max_value=3, initial=1)

    def __init__(self, *args, subordinates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = subordinates

    def question_lines(self):
        return [q for q in self.cleaned_data["questions"].splitlines() if q.strip()]


class EfficiencyForm(BootstrapMixin, forms.Form):
    date_from = PeriodDateField(label="С")
    date_to = PeriodDateField(label="по")
