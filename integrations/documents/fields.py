"""Every field a document template may use, with what it holds.

The template page shows this list; an uploaded template that names anything else is refused
(integrations/documents/templates.py). The context builder (context.py) fills exactly these
names, and SAMPLE fills them with plausible values so an upload can be rendered once before it is
accepted. Nested names are written `client.name` in a template: the first part is the object here,
the second its field.
"""

from datetime import date
from decimal import Decimal

# name -> (description, {field: description}) ; lists carry the fields of one item.
OBJECTS: dict[str, tuple[str, dict[str, str]]] = {
    "firm": (
        "Фирма — юридическое лицо, от которого составлен документ",
        {
            "name": "полное наименование",
            "short_name": "краткое наименование",
            "inn": "ИНН",
            "kpp": "КПП (у ИП пусто)",
            "ogrn": "ОГРН или ОГРНИП",
            "address": "юридический адрес",
            "signatory": "подписант (ФИО)",
            "signatory_short": "подписант: Фамилия И.О.",
            "signatory_position": "должность подписанта",
            "signatory_basis": "основание полномочий («Устава», «доверенности № … от …»)",
            "bank": "банк",
            "bik": "БИК",
            "account": "расчётный счёт",
            "corr_account": "корреспондентский счёт",
            "phone": "телефон",
            "email": "e-mail",
        },
    ),
    "client": (
        "Клиент",
        {
            "name": "ФИО полностью или название организации",
            "short_name": "Фамилия И.О.",
            "birth_date": "дата рождения (ДД.ММ.ГГГГ)",
            "address": "адрес",
            "phone": "основной телефон",
            "email": "e-mail",
            "passport": "паспорт (серия, номер, кем и когда выдан)",
            "snils": "СНИЛС",
            "inn": "ИНН",
        },
    ),
    "deal": (
        "Сделка",
        {
            "line": "направление: «Банкротство физических лиц» или «Договор услуг»",
            "title": "услуга",
            "stage": "стадия сейчас",
            "contract_number": "номер договора",
            "contract_date": "дата договора (ДД.ММ.ГГГГ)",
            "fee": "стоимость услуг, цифрами («120 000,00»)",
            "fee_words": "стоимость услуг прописью («сто двадцать тысяч рублей 00 копеек»)",
            "court": "арбитражный суд",
            "case_number": "номер дела",
            "total_debt": "общая сумма долга, цифрами",
            "financial_manager": "финансовый управляющий",
        },
    ),
    "manager": (
        "Менеджер сделки",
        {"name": "ФИО", "short_name": "Фамилия И.О.", "phone": "телефон", "email": "e-mail", "branch": "филиал"},
    ),
    "document": (
        "Сам документ",
        {
            "number": "номер (договора, счёта, акта)",
            "date": "дата составления (ДД.ММ.ГГГГ)",
            "date_words": "дата составления словами («1 декабря 2026 г.»)",
            "city": "город филиала",
        },
    ),
    "payment": (
        "Сумма счёта или акта",
        {
            "amount": "сумма цифрами («40 000,00»)",
            "amount_words": "сумма прописью («сорок тысяч рублей 00 копеек»)",
            "vat": "НДС: «Без НДС» или «В т.ч. НДС 22% — 7 213,11»",
            "purpose": "назначение платежа",
        },
    ),
}
LISTS: dict[str, tuple[str, dict[str, str]]] = {
    "schedule": (
        "График платежей (для {% for row in schedule %})",
        {"number": "№ п/п", "due_date": "срок", "amount": "сумма", "paid": "оплачено"},
    ),
    "creditors": (
        "Кредиторы (для {% for row in creditors %})",
        {"number": "№ п/п", "name": "кредитор", "inn": "ИНН", "kind": "вид", "amount": "сумма"},
    ),
    "services": (
        "Оказанные услуги в акте (для {% for row in services %})",
        {"number": "№ п/п", "name": "услуга", "amount": "сумма"},
    ),
}
# Images: drawn by the CRM, placed as they are.
IMAGES = {"qr": "QR-код для оплаты по ГОСТ Р 56042-2014 (только в счёте)"}
# Plain values.
VALUES = {"creditors_total": "сумма долга по всем кредиторам, цифрами"}

KNOWN = set(OBJECTS) | set(LISTS) | set(IMAGES) | set(VALUES)


def catalogue() -> list[dict]:
    """For the template page: every name a template may use, grouped, with its description."""
    groups = []
    for name, (title, fields) in OBJECTS.items():
        groups.append({"title": title, "fields": [(f"{{{{ {name}.{f} }}}}", d) for f, d in fields.items()]})
    for _name, (title, fields) in LISTS.items():
        groups.append({"title": title, "fields": [(f"{{{{ row.{f} }}}}", d) for f, d in fields.items()]})
    groups.append(
        {
            "title": "Прочее",
            "fields": [(f"{{{{ {n} }}}}", d) for n, d in IMAGES.items()]
            + [(f"{{{{ {n} }}}}", d) for n, d in VALUES.items()],
        }
    )
    return groups


def sample() -> dict:
    """A full context with plausible values: an uploaded template must render with it."""
    # Plain words, no markup characters: a value is escaped into the XML, but the sample should
    # also read sensibly in the rendered check document.
    context: dict = {name: {f: f"пример {f}" for f in fields} for name, (_, fields) in OBJECTS.items()}
    context |= {name: [{f: f"пример {f}" for f in fields}] for name, (_, fields) in LISTS.items()}
    context |= dict.fromkeys(IMAGES, "") | dict.fromkeys(VALUES, "0,00")
    context["document"]["date"] = date.today().strftime("%d.%m.%Y")
    context["payment"]["amount"] = str(Decimal("40000.00"))
    return context
