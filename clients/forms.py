from django import forms

from clients.models import Client


class ClientListFilterForm(forms.Form):
    q = forms.CharField(label="Поиск", required=False, max_length=100)
    status = forms.ChoiceField(label="Состояние", required=False)
    branch = forms.TypedChoiceField(label="Филиал", required=False, coerce=int, empty_value=None)
    manager = forms.TypedChoiceField(label="Менеджер", required=False, coerce=int, empty_value=None)
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, branches=(), managers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "Любое состояние"), *Client.Status.choices]
        self.fields["branch"].choices = [("", "Все филиалы"), *((b.pk, b.name) for b in branches)]
        self.fields["manager"].choices = [("", "Все менеджеры"), *managers]
        self.fields["q"].widget.attrs["placeholder"] = "ФИО, телефон, e-mail, договор, дело"
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs.update({"class": "form-select form-select-sm", "aria-label": field.label})
            elif name != "before":
                field.widget.attrs.update({"class": "form-control form-control-sm", "aria-label": field.label})
