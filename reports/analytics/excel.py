"""A dashboard as an Excel workbook: one sheet per table, the same raw numbers the page shows."""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from crm.excel import append_row
from reports.analytics.base import DAYS, HOURS, MONEY, PERCENT, Dashboard

FORMATS = {MONEY: "#,##0.00", PERCENT: "0.0", DAYS: "0.0", HOURS: "0.0"}


def _sheet_title(title: str, taken: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and unique in the book.
    base = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)[:31].strip() or "Лист"
    name, n = base, 2
    while name in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def dashboard_workbook(dashboard: Dashboard, described: list[tuple[str, str]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for table in dashboard.tables:
        ws = book.create_sheet(_sheet_title(table.title, taken))
        append_row(ws, [dashboard.title, table.title])
        for label, value in described:
            append_row(ws, [label, value])
        append_row(ws, [])
        append_row(ws, [c.label + (", %" if c.kind == PERCENT else "") for c in table.columns])
        # The blank row above has no cells, so max_row is counted only now: this is the header.
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        for row in table.rows:
            append_row(ws, [row.get(c.key) for c in table.columns])
            for cell, column in zip(ws[ws.max_row], table.columns, strict=True):
                if column.kind in FORMATS:
                    cell.number_format = FORMATS[column.kind]
        if table.totals:
            append_row(ws, [table.totals.get(c.key) for c in table.columns])
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
        for letter, column in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", table.columns, strict=False):
            ws.column_dimensions[letter].width = max(12, min(40, len(column.label) + 4))
    out = BytesIO()
    book.save(out)
    return out.getvalue()
