"""The incoming register in Excel: the page's rows under the same filters, every page of them."""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from crm.errors import DomainError
from crm.excel import append_row
from crm.models import AuditEntry, User
from crm.services import audit_record
from deals.models import IncomingDocument
from deals.selectors import INCOMING_EXPORT_MAX, IncomingFilters, incoming_count, incoming_rows

HEADERS = [
    "Входящий №",
    "Дата получения",
    "Вид",
    "Отправитель",
    "Клиент",
    "№ сделки",
    "Филиал",
    "Менеджер",
    "Содержание",
    "Срок ответа",
    "Ответственный",
    "Задача",
    "Файл",
    "Зарегистрировал",
]
WIDTHS = [16, 12, 24, 30, 30, 10, 16, 22, 40, 12, 22, 16, 30, 22]


def incoming_row_values(doc: IncomingDocument) -> list:
    """One register row as the file holds it (the page shows the same fields)."""
    task = doc.task
    return [
        doc.number,
        doc.received_on,
        doc.get_kind_display(),
        doc.sender,
        doc.client.display_name,
        doc.deal_id,
        doc.deal.branch.name,
        doc.deal.manager.short_name,
        doc.summary,
        doc.reply_deadline,
        doc.responsible.short_name if doc.responsible else "",
        task.get_status_display() if task else "",
        doc.file.name,
        doc.registered_by.short_name,
    ]


def incoming_export(*, user: User, filters: IncomingFilters) -> bytes:
    """The register's rows under `filters` as .xlsx, newest first; the export is audited.
    Refuses a selection over INCOMING_EXPORT_MAX rows."""
    total = incoming_count(user, filters)
    if total > INCOMING_EXPORT_MAX:
        raise DomainError(
            f"В выгрузке было бы {total} строк (больше {INCOMING_EXPORT_MAX}): сузьте период или фильтры."
        )
    wb = Workbook()
    ws = wb.active
    ws.title = "Входящие"
    append_row(ws, HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    count = 0
    for doc in incoming_rows(user, filters):
        append_row(ws, incoming_row_values(doc))
        count += 1
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for cells in ws.iter_rows(min_row=2):
        cells[1].number_format = cells[9].number_format = "DD.MM.YYYY"
    ws.freeze_panes = "A2"
    audit_record(
        actor=user,
        action=AuditEntry.Action.EXPORT,
        target_type="deals.incomingdocument",
        target_repr="Реестр входящих (Excel)",
        changes={
            "rows": count,
            "year": filters.year,
            "kind": filters.kind,
            "from": filters.date_from.isoformat() if filters.date_from else None,
            "to": filters.date_to.isoformat() if filters.date_to else None,
            "branch": filters.branch_id,
            "manager": filters.manager_id,
            "deadline": filters.deadline,
            "q": filters.q,
        },
    )
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
