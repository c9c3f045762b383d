from django import forms

from crm.forms_util import BootstrapMixin
from reports.models import ReportQuestion


class ReportQuestionForm(BootstrapMixin, forms.Form):
    """Edge parsing only: the rules (a choice needs options…) are the service's."""

    text = forms.CharField(label="Вопрос", max_length=300)
    kind = forms.ChoiceField(label="Вид ответа", choices=ReportQuestion.Kind.choices)
    options = forms.CharField(
        label="Варианты (по одному в строке)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    required = forms.BooleanField(label="Обязательный", required=False)
    order = forms.IntegerField(label="Порядок", min_value=0, max_value=999, initial=0)
    is_active = forms.BooleanField(label="Задаётся", required=False, initial=True)
