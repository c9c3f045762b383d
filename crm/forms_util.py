from django import forms

from crm.errors import DomainError


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
        from django.utils.html import format_html, format_html_join

        selected = "" if value is None else str(value)
        attrs = self.build_attrs(self.attrs, attrs)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((v, " selected" if str(v) == selected else "", label) for v, label in self.choices),
        )
        attributes = format_html_join("", ' {}="{}"', ((k, v) for k, v in attrs.items() if v not in (None, False)))
        return format_html('<select name="{}"{}>{}</select>', name, attributes, options)
