"""Russian wording helpers shared by every app."""


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    """The form of a noun after the number `n`: plural_ru(2, "клиент", "клиента", "клиентов") → "клиента".

    Russian picks by the last two digits: 1, 21, 101 → one; 2–4, 22–24 → few; 0, 5–20, 25–30 → many.
    """
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def count_ru(n: int, one: str, few: str, many: str) -> str:
    """The number with its noun: count_ru(5, "день", "дня", "дней") → "5 дней"."""
    return f"{n} {plural_ru(n, one, few, many)}"
