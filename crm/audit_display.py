"""The audit log in plain Russian: one line per changed field, values as the pages show them.

`AuditEntry.changes` holds `{"field": [old, new]}` for updates and `{"field": value}`
for creations and one-off records (a status set, a reason, a list of phones). The
field's name comes from the model's own `verbose_name`, found through the entry's
`target_type` label («deals.deal»), so a label renamed on the model is renamed here
too; keys that are not model fields have their names below, and anything unknown
is shown as stored rather than hidden. Masked values (personal data) stay masked.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from crm.money import rub

EMPTY = "—"
ARROW = " → "
MASK_CHAR = "•"

# Keys services record that are not fields of the target model: their Russian names and,
# where it matters, how their values read («money», «date»).
EXTRA_KEYS: dict[str, tuple[str, str]] = {
    "amount": ("Сумма", "money"),
    "answer": ("Ответ", ""),
    "created": ("Добавлено строк", ""),
    "deal": ("Сделка", "ref"),
    "decision": ("Решение", ""),
    "deferred": ("Причина отсрочки", ""),
    "disk_file": ("Файл на Диске", ""),
    "every_days": ("Раз в сколько дней", ""),
    "field": ("Просмотрено", ""),
    "from": ("Источник", ""),
    "inn": ("ИНН", ""),
    "lifted": ("Отметка «нецелевой» снята", ""),
    "manager": ("Менеджер", ""),
    "paid_on": ("Дата платежа", "date"),
    "per_manager": ("Клиентов на менеджера", ""),
    "phones": ("Телефоны", ""),
    "reason": ("Причина", ""),
    "returned": ("Возвращено на доработку", ""),
    "rows": ("Строк", ""),
    "schedule": ("График платежей", "schedule"),
    "unchanged": ("Без изменений", ""),
}
# Values of such keys that are codes: the ПР decision (tasks.services.Decision; the core may not
# import tasks, so the four words are repeated here).
EXTRA_VALUES: dict[str, dict[str, str]] = {
    "decision": {
        "approve": "одобрено",
        "reject": "отклонено",
        "needs_info": "нужна информация",
        "escalate": "передано выше",
    },
}
# Personal-data groups a «просмотр» entry names that are not single model fields.
EXTRA_FIELDS = {"debts": "Долги (кредиторы)"}
# Keys whose value is itself a list of two items, never an [old, new] pair.
LIST_VALUED = frozenset({"schedule"})

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


@dataclass(frozen=True)
class ChangeLine:
    field: str
    text: str

    def __str__(self) -> str:
        return f"{self.field}: {self.text}"


def _model(target_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def _capital(text: str) -> str:
    text = str(text)
    return text[:1].upper() + text[1:]


def object_label(target_type: str) -> str:
    """«deals.deal» → «Сделка»; an unknown label is shown as stored."""
    model = _model(target_type)
    return _capital(model._meta.verbose_name) if model is not None else target_type


def _field(model, name: str):
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    # A reverse relation («phones» of a client) has no name or choices of its own.
    return field if isinstance(field, models.Field) else None


def _has_own_name(field) -> bool:
    # Django fills a missing verbose_name from the attribute («deal»): that is not a Russian name.
    return str(field.verbose_name) != field.name.replace("_", " ")


def field_label(model, name: str) -> str:
    field = _field(model, name)
    if field is not None and field.verbose_name and _has_own_name(field):
        # «Стоимость услуг, ₽»: the value itself carries the ₽.
        return _capital(field.verbose_name).removesuffix(", ₽")
    if name in EXTRA_KEYS:
        return EXTRA_KEYS[name][0]
    return EXTRA_FIELDS.get(name, name)


def _date_text(value) -> str | None:
    if isinstance(value, datetime):
        moment = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{moment:%d.%m.%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        moment = parse_datetime(value)
        return _date_text(moment) if moment else None
    if isinstance(value, str) and _ISO_DATE.match(value):
        day = parse_date(value)
        return _date_text(day) if day else None
    return None


def _money_text(value) -> str | None:
    try:
        return rub(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def value_text(value, *, field=None, kind: str = "", codes: dict | None = None) -> str:
    """One stored value as a page would show it."""
    if value is None or value == "":
        return EMPTY
    if codes and isinstance(value, str) and value in codes:
        return codes[value]
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, str) and MASK_CHAR in value:
        return value  # masked personal data: shown exactly as recorded
    if isinstance(value, dict):
        return "; ".join(f"{k}: {value_text(v)}" for k, v in value.items()) or EMPTY
    if isinstance(value, list | tuple):
        if kind == "schedule":
            return "; ".join(" — ".join(_schedule_part(part) for part in row) for row in value) or EMPTY
        return ", ".join(value_text(v, field=field, kind=kind) for v in value) or EMPTY
    if field is not None and field.choices:
        labels = {str(k): v for k, v in field.flatchoices}
        if str(value) in labels:
            return str(labels[str(value)])
    if kind == "ref" or (isinstance(field, models.ForeignKey) and isinstance(value, int)):
        return f"№ {value}"
    if kind == "money" or isinstance(field, models.DecimalField):
        return _money_text(value) or str(value)
    if kind == "date" or isinstance(field, models.DateField) or isinstance(value, str):
        # DateTimeField is a DateField; other keys get dates only when the value is ISO-shaped.
        shown = _date_text(value)
        if shown is not None:
            return shown
    return str(value)


def _schedule_part(part) -> str:
    shown = _date_text(part) if isinstance(part, str) else None
    return shown or _money_text(part) or str(part)


def _is_pair(name: str, value, action: str) -> bool:
    return action == "update" and isinstance(value, list) and len(value) == 2 and name not in LIST_VALUED


def change_lines(target_type: str, action: str, changes) -> list[ChangeLine]:
    """Each changed field of one audit entry as «Поле: было → стало» (or «Поле: значение»)."""
    if not isinstance(changes, dict):
        return [ChangeLine("Изменения", value_text(changes))] if changes else []
    model = _model(target_type)
    lines = []
    for name, value in changes.items():
        field = _field(model, name)
        kind = EXTRA_KEYS.get(name, ("", ""))[1] if field is None else ""
        codes = EXTRA_VALUES.get(name) if field is None else None
        if name == "field" and isinstance(value, str):
            # «which personal data was viewed»: the field's own Russian name.
            lines.append(ChangeLine(field_label(model, name), field_label(model, value)))
        elif _is_pair(name, value, action):
            old, new = (value_text(v, field=field, kind=kind, codes=codes) for v in value)
            lines.append(ChangeLine(field_label(model, name), old + ARROW + new))
        else:
            lines.append(ChangeLine(field_label(model, name), value_text(value, field=field, kind=kind, codes=codes)))
    return lines
