from django import forms

from crm.errors import DomainError
from crm.validators import PERIOD_FIRST_DAY, PERIOD_LAST_DAY, as_field_validator, check_period_date


def add_domain_error(form, exc: DomainError) -> None:
    """Show a service's refusal on the form: on its field if the form has it."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class BootstrapMixin:
    """Give every widget Bootstrap's classes so templates can render `{{ field }}` as is."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select form-select-sm"
            else:
                css = "form-control form-control-sm"
            widget.attrs.setdefault("class", css)


class FastSelect(forms.Select):
    """A select rendered in Python, not through a template per option.

    A director's filter lists every manager of the firm (hundreds of options);
    Django's per-option templates cost ~15 ms a page there, this costs well under one.
    """

    def render(self, name, value, attrs=None, renderer=None):
        from html import escape

        from django.utils.safestring import mark_safe

        selected = "" if value is None else str(value)
        attrs = self.build_attrs(self.attrs, attrs)
        attributes = "".join(
            f' {escape(str(k))}="{escape(str(v))}"' for k, v in attrs.items() if v not in (None, False)
        )
        options = "".join(
            f'<option value="{escape(str(v))}"{" selected" if str(v) == selected else ""}>{escape(str(label))}</option>'
            for v, label in self.choices
        )
        return mark_safe(f'<select name="{escape(name)}"{attributes}>{options}</select>')  # noqa: S308 - every part escaped above


class PeriodDateField(forms.DateField):
    """A bound of a filter or report period: years 2000–2100 in the browser's date picker and
    on the server, so 0001-01-01 or 9999-12-31 in a query string is a form error, not a 500."""

    default_validators = [as_field_validator(check_period_date)]

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.DateInput(
                attrs={"type": "date", "min": PERIOD_FIRST_DAY.isoformat(), "max": PERIOD_LAST_DAY.isoformat()},
                format="%Y-%m-%d",
            ),
        )
        super().__init__(**kwargs)
