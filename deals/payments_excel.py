"""A manager's payments table in Excel, as the firm keeps it today: one row per client payment.

Export writes every payment on the deals the user may see (optionally one
manager's). Import is all-or-nothing: a row with a payment number must match
the stored payment (so exporting and importing the same file changes
nothing); a row without one is a new payment. Any bad row means no row is
saved, and each bad row is reported with its line, column and reason.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from io import BytesIO

from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from crm.errors import DomainError
from crm.excel import append_row
from crm.models import AuditEntry, User
from crm.services import audit_record
from deals.models import Payment
from deals.selectors import (
    REGISTER_EXPORT_MAX,
    RegisterFilters,
    RegisterRow,
    deals_visible_to,
    register_rows,
    register_totals,
)
from deals.services import payment_record
from deals.validators import check_payment_amount, check_payment_date

HEADERS = [
    "№ платежа",
    "№ сделки",
    "Клиент",
    "Направление",
    "№ договора",
    "Дата договора",
    "Стоимость, ₽",
    "Дата платежа",
    "Сумма, ₽",
    "Способ",
    "Комментарий",
    "Внёс",
]
METHODS = {label.casefold(): value for value, label in Payment.Method.choices}
MAX_ROWS = 20000
SERVICE_FIELD_COLUMNS = {"deal": "№ сделки", "paid_on": "Дата платежа", "amount": "Сумма, ₽", "method": "Способ"}


def payments_for_export(user: User, *, manager_id=None):
    deals = deals_visible_to(user)
    if manager_id:
        deals = deals.filter(manager_id=manager_id)
    return (
        Payment.objects.filter(deal__in=deals)
        .select_related("deal__client", "recorded_by")
        .order_by("deal__client__display_name", "paid_on", "id")
    )


def payments_export(*, user: User, manager_id=None, by_mirror: bool = False) -> bytes:
    """The payments table as an .xlsx file; the export itself is audited (who, or the Disk mirror)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Платежи"
    append_row(ws, HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    count = 0
    for p in payments_for_export(user, manager_id=manager_id).iterator(chunk_size=2000):
        d = p.deal
        append_row(
            ws,
            [
                p.pk,
                d.pk,
                d.client.display_name,
                d.get_service_line_display()[:2],
                d.contract_number,
                d.contract_date,
                d.fee,
                p.paid_on,
                p.amount,
                p.get_method_display(),
                p.comment,
                p.recorded_by.full_name,
            ],
        )
        count += 1
    for i, width in enumerate([11, 10, 34, 12, 16, 14, 14, 14, 12, 12, 30, 28], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for row in ws.iter_rows(min_row=2):
        for idx in (5, 7):
            row[idx].number_format = "DD.MM.YYYY"
        for idx in (6, 8):
            row[idx].number_format = "# ##0.00"
    ws.freeze_panes = "A2"
    audit_record(
        actor=None if by_mirror else user,
        action=AuditEntry.Action.EXPORT,
        target_type="deals.payment",
        target_repr="Таблица платежей (Excel) → Яндекс.Диск" if by_mirror else "Таблица платежей (Excel)",
        changes={"rows": count, "manager": manager_id},
    )
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"Строка {self.line}, столбец «{self.column}»: {self.message}"


class ImportRefused(DomainError):
    def __init__(self, errors: list[RowError]):
        super().__init__(f"Файл не загружен: ошибок {len(errors)}. Ни одна строка не сохранена.", code="import")
        self.errors = errors


def _as_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
            try:
                return datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                pass
    raise ValueError


def _as_amount(value) -> Decimal:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        amount = Decimal(str(value))
    elif isinstance(value, str):
        amount = Decimal(value.replace(" ", "").replace("\xa0", "").replace(",", "."))
    else:
        raise InvalidOperation
    return amount.quantize(Decimal("0.01"))


def _read_rows(content: bytes):
    try:
        wb = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise DomainError("Это не файл Excel (.xlsx). Выгрузите таблицу из CRM и заполните её.", field="file") from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(rows, [])]
    missing = [h for h in ("№ платежа", "№ сделки", "Дата платежа", "Сумма, ₽", "Способ") if h not in header]
    if missing:
        raise DomainError("В первой строке нет столбцов: " + ", ".join(f"«{m}»" for m in missing) + ".", field="file")
    index = {h: header.index(h) for h in HEADERS if h in header}
    for line, values in enumerate(rows, start=2):
        if line - 1 > MAX_ROWS:
            raise DomainError(f"Слишком большой файл: больше {MAX_ROWS} строк.", field="file")
        if values is None or all(v in (None, "") for v in values):
            continue
        yield line, {h: (values[i] if i < len(values) else None) for h, i in index.items()}


def payments_import(*, user: User, content: bytes) -> dict:
    """Load a payments table; returns {"created": n, "unchanged": n} or raises ImportRefused."""
    errors: list[RowError] = []
    new_rows, known_ids = [], []
    parsed = list(_read_rows(content))
    mentioned = {r["№ сделки"] for _, r in parsed if isinstance(r["№ сделки"], int)}
    visible = {d.pk: d for d in deals_visible_to(user).filter(pk__in=mentioned)}
    existing = {
        p.pk: p
        for p in Payment.objects.filter(pk__in=[r["№ платежа"] for _, r in parsed if isinstance(r["№ платежа"], int)])
    }
    for line, row in parsed:
        row_errors = []
        # Bounds apply to new payments: a stored one (even from before the bounds) must
        # still round-trip unchanged.
        is_new = row.get("№ платежа") in (None, "")
        deal_id = row.get("№ сделки")
        if not isinstance(deal_id, int) or deal_id not in visible:
            row_errors.append(RowError(line, "№ сделки", "нет такой сделки среди ваших"))
        try:
            paid_on = _as_date(row.get("Дата платежа"))
            # The bounds a row shows by itself (the form's); «not before the contract» is the service's.
            if is_new:
                check_payment_date(paid_on)
        except ValueError:
            row_errors.append(RowError(line, "Дата платежа", "нужна дата, например 15.11.2026"))
        except DomainError as exc:
            row_errors.append(RowError(line, "Дата платежа", exc.message.rstrip(".")))
        try:
            amount = _as_amount(row.get("Сумма, ₽"))
            if is_new:
                check_payment_amount(amount)
        except (InvalidOperation, ValueError):
            row_errors.append(RowError(line, "Сумма, ₽", "нужно число, например 15000 или 15000,50"))
        except DomainError as exc:
            row_errors.append(RowError(line, "Сумма, ₽", exc.message.rstrip(".")))
        method = METHODS.get(str(row.get("Способ") or "").strip().casefold())
        if method is None:
            row_errors.append(
                RowError(line, "Способ", "одно из: " + ", ".join(lbl for _, lbl in Payment.Method.choices))
            )
        if row_errors:
            errors.extend(row_errors)
            continue
        payment_id = row.get("№ платежа")
        if payment_id not in (None, ""):
            stored = existing.get(payment_id)
            if stored is None or stored.deal_id != deal_id:
                errors.append(RowError(line, "№ платежа", "такого платежа по этой сделке нет"))
            elif (stored.paid_on, stored.amount, stored.method) != (paid_on, amount, method):
                errors.append(
                    RowError(line, "№ платежа", "записанный платёж менять нельзя; новый платёж — строкой без номера")
                )
            else:
                known_ids.append(payment_id)
            continue
        new_rows.append((line, deal_id, paid_on, amount, method, str(row.get("Комментарий") or "")[:300]))
    if errors:
        raise ImportRefused(errors)
    with transaction.atomic():
        for line, deal_id, paid_on, amount, method, comment in new_rows:
            try:
                payment_record(
                    deal=visible[deal_id], by=user, paid_on=paid_on, amount=amount, method=method, comment=comment
                )
            except DomainError as exc:
                errors.append(RowError(line, SERVICE_FIELD_COLUMNS.get(exc.field, "№ сделки"), exc.message.rstrip(".")))
        if errors:
            # Roll back every row saved so far: a file loads whole or not at all.
            transaction.set_rollback(True)
            raise ImportRefused(errors)
        audit_record(
            actor=user,
            action=AuditEntry.Action.IMPORT,
            target_type="deals.payment",
            target_repr="Таблица платежей (Excel)",
            changes={"created": len(new_rows), "unchanged": len(known_ids)},
        )
    return {"created": len(new_rows), "unchanged": len(known_ids)}


# --- the payments register as shown -------------------------------------------------------

REGISTER_HEADERS = [
    "Дата",
    "Вид",
    "№ сделки",
    "Клиент",
    "Направление",
    "Филиал",
    "Менеджер",
    "Сумма, ₽",
    "По графику, ₽",
    "Способ",
    "Просрочен",
    "Комментарий",
]


def register_row_values(row: RegisterRow) -> list:
    """One register row as the file (and the tests comparing it with the page) carry it."""
    d = row.deal
    return [
        row.on,
        row.kind_label,
        d.pk,
        d.client.display_name,
        d.get_service_line_display()[:2],
        d.branch.name,
        d.manager.full_name,
        row.amount,
        row.scheduled,
        row.method,
        "да" if row.overdue else "",
        row.comment,
    ]


def register_export(*, user: User, filters: RegisterFilters) -> bytes:
    """The register's rows under `filters` (every page, in the page order) and its totals, as .xlsx;
    the export is audited like the payments table's. Refuses a selection over REGISTER_EXPORT_MAX rows."""
    totals = register_totals(user, filters)
    if totals.rows > REGISTER_EXPORT_MAX:
        raise DomainError(
            f"В выгрузке было бы {totals.rows} строк (больше {REGISTER_EXPORT_MAX}): сузьте период или фильтры."
        )
    wb = Workbook()
    ws = wb.active
    ws.title = "Реестр платежей"
    append_row(ws, REGISTER_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    count = 0
    for row in register_rows(user, filters):
        append_row(ws, register_row_values(row))
        count += 1
    for i, width in enumerate([12, 12, 10, 34, 12, 18, 28, 14, 14, 12, 11, 30], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for cells in ws.iter_rows(min_row=2):
        cells[0].number_format = "DD.MM.YYYY"
        cells[7].number_format = cells[8].number_format = "# ##0.00"
    ws.freeze_panes = "A2"
    sums = wb.create_sheet("Итоги")
    period = f"{filters.date_from:%d.%m.%Y} – {filters.date_to:%d.%m.%Y}"
    for label, value in [
        ("Период", period),
        ("Получено, ₽", totals.received),
        ("К оплате по графику, ₽", totals.due),
        ("из них просрочено, ₽", totals.overdue),
        ("Строк", count),
    ]:
        append_row(sums, [label, value])
    sums.column_dimensions["A"].width = 26
    sums.column_dimensions["B"].width = 26
    audit_record(
        actor=user,
        action=AuditEntry.Action.EXPORT,
        target_type="deals.payment",
        target_repr="Реестр платежей (Excel)",
        changes={
            "rows": count,
            "from": filters.date_from.isoformat(),
            "to": filters.date_to.isoformat(),
            "branch": filters.branch_id,
            "manager": filters.manager_id,
            "method": filters.method,
            "overdue": filters.overdue_only,
        },
    )
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
