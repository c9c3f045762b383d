"""Phone numbers as the firm hears them: «8 (916) 123-45-67», «+7 916 1234567», «9161234567»."""

import re

_DIGITS = re.compile(r"\D+")


def normalize_phone(raw: str) -> str:
    """Digits only, Russian numbers brought to 7XXXXXXXXXX; '' when it is not a phone.

    Used as the key for dedupe and the non-target list, so one person typed
    three ways is still one person.
    """
    digits = _DIGITS.sub("", raw or "")
    if len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    elif len(digits) == 10 and digits[0] == "9":
        digits = "7" + digits
    if not 10 <= len(digits) <= 15:
        return ""
    return digits


def format_phone(norm: str) -> str:
    if len(norm) == 11 and norm[0] == "7":
        return f"+7 {norm[1:4]} {norm[4:7]}-{norm[7:9]}-{norm[9:]}"
    return f"+{norm}" if norm else ""


def normalize_email(raw: str) -> str:
    return (raw or "").strip().casefold()


# Yandex delivers to one mailbox under all of these domains, and a login's dots and hyphens are one character.
YANDEX_MAIL_DOMAINS = ("yandex.ru", "ya.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua")


def email_variants(raw: str) -> list[str]:
    """Every normalised spelling under which the same mailbox may be on file: the address itself, and for
    Yandex the other domains and the login with dots for hyphens and back. Matched with `IN` on an index."""
    address = normalize_email(raw)
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return [address] if address else []
    if domain not in YANDEX_MAIL_DOMAINS:
        return [address]
    logins = {local, local.replace(".", "-"), local.replace("-", ".")}
    return sorted({f"{login}@{d}" for login in logins for d in YANDEX_MAIL_DOMAINS})
