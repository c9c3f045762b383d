"""What a search box query means: a name, a phone, an e-mail, a contract or a case number.

One parser for the header search, the client list and the deal list, so that
«903 555», «8 903 555-12» and «+7 (903) 555…» find the same person everywhere.
Each app turns the parsed terms into conditions on its own columns (an index
stands behind every one of them: trigrams on the search keys, a pattern index
on case numbers).
"""

import re
from dataclasses import dataclass

MIN_LENGTH = 3  # a trigram index cannot narrow shorter fragments
MAX_LENGTH = 100

_PHONE_CHARS = re.compile(r"^[\d\s+\-().]+$")
_CASE_NUMBER = re.compile(r"^[АAаa]\s*\d")
# «ДБ-777», «Д-12», «ДУ-5/2026»: letters, a dash, digits (a case number starts with «А» and digits).
_CONTRACT = re.compile(r"^[A-Za-zА-Яа-яЁё]{1,4}\s*-\s*\d")
_WORD = re.compile(r"[^\s,;]+")


@dataclass(frozen=True)
class Terms:
    text: str = ""
    words: tuple[str, ...] = ()  # casefolded parts of a name, every one must occur (any order)
    phones: tuple[str, ...] = ()  # digit fragments, any one may occur (8… and 7… are one number)
    email: str = ""  # casefolded
    case_number: str = ""  # the start of «А40-123456/2024», Cyrillic «А»
    contract: str = ""  # upper-cased part of a contract number

    def __bool__(self) -> bool:
        return bool(self.words or self.phones or self.email or self.case_number or self.contract)

    @property
    def is_contact(self) -> bool:
        """A phone or an e-mail: what the front desk may look clients up by."""
        return bool(self.phones or self.email)


def phone_fragments(text: str) -> tuple[str, ...]:
    """The stored (normalised, 7XXXXXXXXXX) digits a typed phone fragment may match.

    «8 903 555» is «7903555»; «+7 (903) 555» keeps its 7; «903 555» is found
    anywhere in the number. A leading 8 might also just be a digit of the
    middle, so both readings are tried.
    """
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) < MIN_LENGTH + 1:
        return ()
    if len(digits) > 15:
        return ()
    if len(digits) == 10 and digits[0] == "9":
        return ("7" + digits,)
    if digits[0] == "8" and len(digits) >= 2:
        if len(digits) == 11:
            return ("7" + digits[1:],)
        return (digits, "7" + digits[1:])
    return (digits,)


def parse(text: str) -> Terms:
    """Terms of a query; empty (falsy) when it is too short to search by."""
    text = " ".join((text or "").split())[:MAX_LENGTH]
    if len(text.replace(" ", "")) < MIN_LENGTH:
        return Terms(text=text)
    if "@" in text:
        return Terms(text=text, email=text.replace(" ", "").casefold())
    if _CASE_NUMBER.match(text):
        return Terms(text=text, case_number="А" + text[1:].replace(" ", ""))
    if _CONTRACT.match(text):
        return Terms(text=text, contract=re.sub(r"\s*-\s*", "-", text).upper())
    if _PHONE_CHARS.match(text):
        return Terms(text=text, phones=phone_fragments(text))
    words = [w.casefold() for w in _WORD.findall(text)]
    long_words = tuple(w for w in words if len(w) >= MIN_LENGTH)
    # Short parts («И.», «Ан») cannot use the trigram index; the long ones already narrow it.
    return Terms(text=text, words=long_words)
