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
