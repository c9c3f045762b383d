from decimal import Decimal


def rub(amount: Decimal | int | None) -> str:
    """Money as the firm writes it: «150 000,00 ₽»."""
    if amount is None:
        return "—"
    return f"{Decimal(amount):,.2f}".replace(",", " ").replace(".", ",") + " ₽"
