"""Spreadsheets the CRM writes for people to open in Excel: text always stays text.

openpyxl stores a string that starts with "=" as a live formula (and "#N/A"
and the like as error values): a client named '=HYPERLINK(…)' would become a
link, or worse, in the exported file. Every writer goes through `safe_cell`.
"""

from collections.abc import Iterable

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

# What Excel, LibreOffice and Google Sheets take for the start of a formula when a cell is typed or edited.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(ws: Worksheet, value) -> Cell:
    """A cell holding `value`; a string is stored as a literal string, numbers and dates keep their type."""
    cell = Cell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(_FORMULA_START):
            # Excel's leading apostrophe: the text stays text even when someone edits the cell.
            cell.quotePrefix = True
    return cell


def append_row(ws: Worksheet, values: Iterable) -> None:
    """`ws.append(values)` with every value passed through `safe_cell`."""
    ws.append([safe_cell(ws, value) for value in values])
