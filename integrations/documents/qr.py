"""The payment QR code on an invoice: ГОСТ Р 56042-2014, the format every Russian banking app reads.

`ST0001` + `2` (the text is UTF-8), then `Key=value` pairs separated by `|`. The five required
fields come first in the standard's order; the sum is in kopecks.
"""

from decimal import Decimal
from io import BytesIO

import segno

HEADER = "ST00012"


def _clean(value: str) -> str:
    # `|` separates the fields, so it may not appear inside one; line breaks would end the payload.
    return " ".join(str(value).replace("|", " ").split())


def payload(
    *,
    name: str,
    account: str,
    bank: str,
    bik: str,
    corr_account: str,
    amount: Decimal,
    purpose: str,
    inn: str = "",
    kpp: str = "",
) -> str:
    kopecks = int((Decimal(amount) * 100).to_integral_value())
    pairs = [
        ("Name", name),
        ("PersonalAcc", account),
        ("BankName", bank),
        ("BIC", bik),
        ("CorrespAcc", corr_account),
        ("Sum", str(kopecks)),
        ("Purpose", purpose),
    ]
    if inn:
        pairs.append(("PayeeINN", inn))
    if kpp:
        pairs.append(("KPP", kpp))
    return "|".join([HEADER, *(f"{key}={_clean(value)}" for key, value in pairs)])


def png(text: str, *, scale: int = 4) -> bytes:
    """The code as a PNG; error level M leaves room for a crease on paper."""
    out = BytesIO()
    segno.make(text, error="m", encoding="utf-8", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
