"""Bounds on a deal's dates and sums, in one place.

The deal forms, the API serializers, the services and the payments Excel
import all call these, so a typo («01.01.0001», «9 999 999 999,99 ₽») is
refused everywhere with the same Russian message. Each check raises
DomainError naming its field; `crm.validators.as_field_validator` turns a
check into a form/serializer field validator.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from crm.errors import DomainError

# The firm's oldest files date from the 2000s: anything earlier is a typo (0001, 1900).
EARLIEST_DATE = date(2000, 1, 1)
# Dates of things that have happened (a payment, a signed contract, a filing) may be
# tomorrow by the server's Moscow clock: a branch further east is already there.
FUTURE_SLACK = timedelta(days=1)
# A contracted deal imported from the Disk has no contract date and a row created on
# the day of the import; its client's earlier payments are years older, not decades.
PAYMENT_BEFORE_DEAL_YEARS = 5
SCHEDULE_HORIZON_YEARS = 10
HEARING_HORIZON_YEARS = 5

# A personal bankruptcy or a legal service costs the firm's clients tens or hundreds
# of thousands of roubles; a hundred million is far above any real fee and still
# catches an extra three zeros.
MAX_FEE = Decimal("100000000")
MAX_PAYMENT = MAX_FEE
# Debts of a person in bankruptcy run to millions, rarely billions (a guarantor of a
# company's loan); ten billion keeps the column well inside its 14 digits.
MAX_DEBT = Decimal("10000000000")


def _today() -> date:
    return timezone.localdate()


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _dmy(day: date) -> str:
    # Not strftime: on Linux it writes year 1 as «1», and a typo should be shown as typed.
    return f"{day.day:02}.{day.month:02}.{day.year:04}"


def _rub(amount: Decimal) -> str:
    """«100 000 000 ₽»: the bound as people write it."""
    return f"{int(amount):,}".replace(",", " ") + " ₽"


def _check_money(value, *, field: str, what: str, most: Decimal, allow_zero: bool = False) -> Decimal:
    if value is None:
        raise DomainError(f"Укажите: {what.lower()}.", field=field)
    amount = Decimal(value)
    if allow_zero and amount < 0:
        raise DomainError(f"{what} не может быть отрицательной.", field=field)
    if not allow_zero and amount <= 0:
        raise DomainError(f"{what} должна быть больше нуля.", field=field)
    if amount > most:
        raise DomainError(f"{what} — не больше {_rub(most)}: проверьте, нет ли лишних цифр.", field=field)
    return amount


def _check_past_date(value: date, *, field: str, what: str, earliest: date = EARLIEST_DATE, why: str = "") -> date:
    """A date of something that has happened: not before `earliest`, not in the future."""
    if value > _today() + FUTURE_SLACK:
        raise DomainError(f"{what} не может быть в будущем.", field=field)
    if value < earliest:
        raise DomainError(f"{what} не может быть раньше {why or f'{earliest:%d.%m.%Y}'}.", field=field)
    return value


# --- the contract -----------------------------------------------------------------------


def check_fee(value, *, field: str = "fee") -> Decimal:
    return _check_money(value, field=field, what="Стоимость услуг", most=MAX_FEE)


def check_contract_date(value: date, *, field: str = "contract_date") -> date:
    return _check_past_date(value, field=field, what="Дата договора")


# --- the case -----------------------------------------------------------------------------


def check_filing_date(value: date, *, contract_date: date | None = None, field: str = "filing_date") -> date:
    _check_past_date(value, field=field, what="Дата подачи заявления")
    if contract_date and value < contract_date:
        raise DomainError("Заявление не может быть подано раньше договора.", field=field)
    return value


def check_outcome_date(value: date, *, contract_date: date | None = None, field: str = "outcome_date") -> date:
    _check_past_date(value, field=field, what="Дата завершения")
    if contract_date and value < contract_date:
        raise DomainError("Дело не может завершиться раньше договора.", field=field)
    return value


def check_total_debt(value, *, field: str = "total_debt") -> Decimal:
    return _check_money(value, field=field, what="Сумма долга", most=MAX_DEBT, allow_zero=True)


def check_creditor_amount(value, *, field: str = "amount") -> Decimal:
    return _check_money(value, field=field, what="Сумма долга", most=MAX_DEBT)


def check_hearing_date(value: datetime, *, field: str = "date") -> datetime:
    """Court sittings: from 2000 to five years ahead (cases run for years, not decades)."""
    # The calendar date as typed: converting 0001-01-01 between time zones would itself overflow.
    day = value.date()
    latest = _years_after(_today(), HEARING_HORIZON_YEARS)
    if day < EARLIEST_DATE:
        raise DomainError(f"Дата заседания не может быть раньше {EARLIEST_DATE:%d.%m.%Y}.", field=field)
    if day > latest:
        raise DomainError(
            f"Дата заседания — не позже {latest:%d.%m.%Y} (через {HEARING_HORIZON_YEARS} лет).", field=field
        )
    return value


# --- money received and planned ---------------------------------------------------------------


def check_payment_amount(value, *, field: str = "amount") -> Decimal:
    return _check_money(value, field=field, what="Сумма платежа", most=MAX_PAYMENT)


def payment_earliest_date(deal) -> tuple[date, str]:
    """The earliest date a payment on `deal` may carry, and how to say it."""
    if deal.contract_date and deal.contract_date >= EARLIEST_DATE:
        return deal.contract_date, f"даты договора ({deal.contract_date:%d.%m.%Y})"
    opened = timezone.localdate(deal.created_at)
    earliest = max(EARLIEST_DATE, _years_after(opened, -PAYMENT_BEFORE_DEAL_YEARS))
    return earliest, f"{earliest:%d.%m.%Y}"


def check_payment_date(value: date, *, deal=None, field: str = "paid_on") -> date:
    """Not in the future; not before the contract (the deal's opening less a margin
    when the contract date is unknown; never before 2000). Without a deal, the
    absolute bounds only: what a form or a file row can tell before the deal is loaded."""
    earliest, why = payment_earliest_date(deal) if deal is not None else (EARLIEST_DATE, "")
    return _check_past_date(value, field=field, what="Дата платежа", earliest=earliest, why=why)


def check_instalment(due: date, amount, *, contract_date: date | None = None, field: str = "items") -> None:
    """One line of the fee schedule: due between the contract and ten years ahead, a positive sum.
    The messages name the line's date: the schedule arrives as a list."""
    latest = _years_after(_today(), SCHEDULE_HORIZON_YEARS)
    if contract_date and contract_date >= EARLIEST_DATE and due < contract_date:
        raise DomainError(f"Срок платежа {_dmy(due)} раньше даты договора ({contract_date:%d.%m.%Y}).", field=field)
    if due < EARLIEST_DATE:
        raise DomainError(f"Срок платежа {_dmy(due)} раньше {EARLIEST_DATE:%d.%m.%Y}.", field=field)
    if due > latest:
        raise DomainError(
            f"Срок платежа {_dmy(due)} — дальше {SCHEDULE_HORIZON_YEARS} лет (не позже {latest:%d.%m.%Y}).",
            field=field,
        )
    _check_money(amount, field=field, what="Сумма платежа", most=MAX_PAYMENT)
