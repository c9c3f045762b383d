"""Russian identifiers, checked by their control digits so a typo is caught at the desk;
and the bounds on input that forms and the API share."""

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

from crm.errors import DomainError


def _digits(value: str) -> str:
    return re.sub(r"[\s\-]", "", value or "")


def clean_inn(value: str, *, field: str = "inn") -> str:
    inn = _digits(value)
    if not inn:
        return ""
    if not inn.isdigit() or len(inn) not in (10, 12):
        raise DomainError("ИНН — 10 цифр у организации или 12 у физлица.", field=field)

    def check(weights):
        return str(sum(int(d) * w for d, w in zip(inn, weights, strict=False)) % 11 % 10)

    if len(inn) == 10:
        ok = inn[9] == check([2, 4, 10, 3, 5, 9, 4, 6, 8])
    else:
        ok = inn[10] == check([7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) and inn[11] == check([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
    if not ok:
        raise DomainError("ИНН введён с ошибкой: не сходится контрольная цифра.", field=field)
    return inn


def clean_snils(value: str, *, field: str = "snils") -> str:
    snils = _digits(value)
    if not snils:
        return ""
    if not snils.isdigit() or len(snils) != 11:
        raise DomainError("СНИЛС — 11 цифр, например 112-233-445 95.", field=field)
    body, control = snils[:9], int(snils[9:])
    total = sum(int(d) * (9 - i) for i, d in enumerate(body))
    expected = total % 101 if total > 101 else total
    expected = 0 if expected in (100, 101) else expected
    if int(body) > 1001998 and expected != control:
        raise DomainError("СНИЛС введён с ошибкой: не сходится контрольное число.", field=field)
    return f"{snils[0:3]}-{snils[3:6]}-{snils[6:9]} {snils[9:]}"


def clean_ogrn(value: str, *, field: str = "ogrn") -> str:
    ogrn = _digits(value)
    if not ogrn:
        return ""
    if not ogrn.isdigit() or len(ogrn) not in (13, 15):
        raise DomainError("ОГРН — 13 цифр (ОГРНИП — 15).", field=field)
    modulus = 11 if len(ogrn) == 13 else 13
    if int(ogrn[:-1]) % modulus % 10 != int(ogrn[-1]):
        raise DomainError("ОГРН введён с ошибкой: не сходится контрольная цифра.", field=field)
    return ogrn


def clean_passport(value: str, *, field: str = "passport") -> str:
    passport = _digits(value)
    if not passport:
        return ""
    if not passport.isdigit() or len(passport) != 10:
        raise DomainError("Паспорт: серия и номер — 10 цифр, например 4510 123456.", field=field)
    return f"{passport[:4]} {passport[4:]}"


def clean_kpp(value: str, *, field: str = "kpp") -> str:
    """КПП: 4 digits (the tax office), 2 digits or Latin capitals (the reason), 3 digits."""
    kpp = _digits(value).upper()
    if not kpp:
        return ""
    if not re.fullmatch(r"\d{4}[\dA-Z]{2}\d{3}", kpp):
        raise DomainError("КПП — 9 знаков, например 770101001.", field=field)
    return kpp


def clean_bik(value: str, *, field: str = "bik") -> str:
    bik = _digits(value)
    if not bik:
        return ""
    if not bik.isdigit() or len(bik) != 9 or not bik.startswith("04"):
        raise DomainError("БИК — 9 цифр, начинается с 04, например 044525225.", field=field)
    return bik


def _account_key_ok(key: str) -> bool:
    # The Bank of Russia's control key: weights 7, 1, 3 repeated over the 23 digits, sum ≡ 0 (mod 10).
    return sum(int(d) * (7, 1, 3)[i % 3] for i, d in enumerate(key)) % 10 == 0


def clean_account(value: str, *, bik: str, field: str = "account") -> str:
    """A settlement account (20 digits), checked against the bank's БИК."""
    account = _digits(value)
    if not account:
        return ""
    if not account.isdigit() or len(account) != 20:
        raise DomainError("Расчётный счёт — 20 цифр.", field=field)
    if bik and not _account_key_ok(bik[-3:] + account):
        raise DomainError("Расчётный счёт не сходится с БИК банка: проверьте обе цифры.", field=field)
    return account


def clean_corr_account(value: str, *, bik: str, field: str = "corr_account") -> str:
    """A correspondent account (20 digits, 30101…), checked against the bank's БИК."""
    account = _digits(value)
    if not account:
        return ""
    if not account.isdigit() or len(account) != 20 or not account.startswith("301"):
        raise DomainError("Корреспондентский счёт — 20 цифр, начинается с 301.", field=field)
    if bik and not _account_key_ok("0" + bik[4:6] + account):
        raise DomainError("Корреспондентский счёт не сходится с БИК банка.", field=field)
    return account


CASE_NUMBER = re.compile(r"^А\d{2}-\d{1,7}/\d{4}$")


def clean_case_number(value: str, *, field: str = "case_number") -> str:
    """Arbitration case numbers: «А40-123456/2024». A Latin «A» typed by habit is accepted and fixed."""
    number = (value or "").strip().replace(" ", "")
    if number[:1] in ("A", "a", "а"):
        number = "А" + number[1:]
    if not CASE_NUMBER.match(number):
        raise DomainError("Номер дела — в формате А40-123456/2024.", field=field)
    return number


def mask(value: str, visible: int = 2) -> str:
    """«4510 123456» → «•••• ••••56»: enough to recognise, not enough to use."""
    if not value:
        return ""
    shown = value[-visible:] if visible else ""
    hidden = "".join("•" if ch.isalnum() else ch for ch in value[: len(value) - len(shown)])
    return hidden + shown


# --- bounds shared by forms and the API -------------------------------------------------

# Report and filter periods: a date outside these years is a typo (0001, 9999) and
# would overflow date arithmetic («+ 366 days» past 9999-12-31) into a 500.
PERIOD_FIRST_DAY = date(2000, 1, 1)
PERIOD_LAST_DAY = date(2100, 12, 31)


def check_period_date(value: date, *, field: str = "date") -> date:
    """A period's bound (filters, reports): years 2000–2100."""
    if value < PERIOD_FIRST_DAY or value > PERIOD_LAST_DAY:
        raise DomainError(
            f"Период — даты с {PERIOD_FIRST_DAY:%d.%m.%Y} по {PERIOD_LAST_DAY:%d.%m.%Y}.", field=field, code="period"
        )
    return value


def as_field_validator(check: Callable[[Any], Any]) -> Callable[[Any], None]:
    """A check that raises DomainError, as a field validator: a Django form and a DRF
    serializer both turn it into an error on that field, with the same Russian message."""

    def validate(value) -> None:
        if value is None:
            return
        try:
            check(value)
        except DomainError as exc:
            # Not the DomainError's code: a form field swaps the message of an error coded
            # like its own («invalid», «required») for its generic one.
            raise ValidationError(exc.message, code="refused") from None

    validate.__name__ = check.__name__
    return validate
