from decimal import ROUND_HALF_UP, Decimal

from num2words import num2words

from crm.text import plural_ru


def rub(amount: Decimal | int | None) -> str:
    """Money as the firm writes it: «150 000,00 ₽»."""
    if amount is None:
        return "—"
    return f"{Decimal(amount):,.2f}".replace(",", " ").replace(".", ",") + " ₽"


def rub_figures(amount: Decimal | int) -> str:
    """Money in a document: «120 000,00» (the rouble sign is written out beside it)."""
    return f"{Decimal(amount):,.2f}".replace(",", "\u00a0").replace(".", ",")


def rub_words(amount: Decimal | int) -> str:
    """Money in words as on Russian invoices: «сто двадцать тысяч рублей 00 копеек»."""
    amount = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    roubles, kopecks = int(amount), int((amount - int(amount)) * 100)
    words = num2words(roubles, lang="ru")
    return (
        f"{words} {plural_ru(roubles, 'рубль', 'рубля', 'рублей')} "
        f"{kopecks:02d} {plural_ru(kopecks, 'копейка', 'копейки', 'копеек')}"
    )
