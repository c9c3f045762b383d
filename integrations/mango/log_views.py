"""«Звонки»: the heads' call log by staff member and day, on the page and in Excel."""

from datetime import date, timedelta
from io import BytesIO

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from crm import access
from crm.errors import DomainError
from crm.excel import append_row
from crm.forms_util import FastSelect, PeriodDateField, add_domain_error
from crm.models import AuditEntry
from crm.services import audit_record
from integrations.mango import selectors
from integrations.mango.selectors import CallLog, CallLogRow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = [
    "Сотрудник",
    "День",
    "Всего звонков",
    "Входящие принятые",
    "Входящие пропущенные",
    "Исходящие",
    "Минут разговора",
    "Перезвонили в течение часа",
    "Доля перезвонов, %",
]
WIDTHS = [34, 12, 10, 12, 14, 11, 11, 16, 12]


class CallLogFilterForm(forms.Form):
    date_from = PeriodDateField(label="С")
    date_to = PeriodDateField(label="по")
    manager = forms.TypedChoiceField(label="Сотрудник", required=False, coerce=int, empty_value=None, widget=FastSelect)

    def __init__(self, *args, people=(), today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["manager"].choices = [("", "Все"), *people]
        for f in self.fields.values():
            css = "form-select form-select-sm" if isinstance(f.widget, forms.Select) else "form-control form-control-sm"
            f.widget.attrs.update({"class": css, "aria-label": f.label})

    def period(self) -> tuple[date, date]:
        """The checked period; blank is this week, Monday to today."""
        data = self.cleaned_data
        date_to = data.get("date_to") or self.today
        date_from = data.get("date_from") or date_to - timedelta(days=date_to.weekday())
        return date_from, date_to


@login_required
def call_log_view(request):
    """Calls by staff member and day for the period; `?format=xlsx` gives the same table as a file."""
    user = request.user
    if not access.offers_call_log(user):
        raise PermissionDenied("Журнал звонков видят РОП своего филиала, директор и администратор.")
    people = list(selectors.call_log_people(user).values_list("pk", "full_name"))
    form = CallLogFilterForm(request.GET, people=people, today=timezone.localdate())
    log, date_from, date_to = None, None, None
    if form.is_valid():
        date_from, date_to = form.period()
        try:
            log = selectors.call_log(
                user, date_from=date_from, date_to=date_to, staff_id=form.cleaned_data.get("manager")
            )
        except DomainError as exc:
            add_domain_error(form, exc)
    if log is None:
        return render(request, "integrations/call_log.html", {"form": form, "log": None}, status=400)
    if request.GET.get("format") == "xlsx":
        content = call_log_workbook(user=user, log=log, date_from=date_from, date_to=date_to, form=form)
        response = HttpResponse(content, content_type=XLSX)
        name = f"calls-{date_from:%Y%m%d}-{date_to:%Y%m%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    query = request.GET.copy()
    query.pop("format", None)
    context = {"form": form, "log": log, "date_from": date_from, "date_to": date_to, "query": query.urlencode()}
    return render(request, "integrations/call_log.html", context)


def _values(row: CallLogRow) -> list:
    return [
        row.staff_name,
        row.day,
        row.total,
        row.inbound_answered,
        row.inbound_missed,
        row.outbound,
        row.talk_minutes,
        row.called_back,
        row.called_back_share,
    ]


def call_log_workbook(*, user, log: CallLog, date_from: date, date_to: date, form: CallLogFilterForm) -> bytes:
    """The log as .xlsx, the page's figures cell for cell; the export is audited."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Звонки"
    append_row(ws, HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in log.rows:
        append_row(ws, _values(row))
    append_row(ws, _values(log.totals))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for cells in ws.iter_rows(min_row=2):
        cells[1].number_format = "DD.MM.YYYY"
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    audit_record(
        actor=user,
        action=AuditEntry.Action.EXPORT,
        target_type="integrations.mangocall",
        target_repr="Звонки (Excel)",
        changes={
            "rows": len(log.rows),
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "manager": form.cleaned_data.get("manager"),
        },
    )
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
