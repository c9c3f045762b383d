"""Working-day arithmetic across the 2025–2027 Russian production calendars."""

from datetime import date

import pytest

from crm.models import WorkdayOverride
from crm.workdays import add_working_days, is_working_day, working_days_between


@pytest.mark.parametrize(
    "start, n, expected",
    [
        # ПР written on 30.12.2025: 31.12 is a transferred day off, 1–11.01 holidays and weekend.
        (date(2025, 12, 30), 3, date(2026, 1, 14)),
        (date(2025, 12, 30), 1, date(2026, 1, 12)),
        # Saturday 01.11.2025 is a working day (transferred to 03.11); Monday 03.11 is off.
        (date(2025, 10, 31), 1, date(2025, 11, 1)),
        (date(2025, 10, 31), 2, date(2025, 11, 5)),
        # May 2025: 1–4 and 8–11 off (02.05 and 08.05 transferred).
        (date(2025, 4, 30), 1, date(2025, 5, 5)),
        (date(2025, 5, 7), 1, date(2025, 5, 12)),
        # New Year 2026/27: 31.12.2026 off, 1–10.01.2027 off.
        (date(2026, 12, 30), 1, date(2027, 1, 11)),
        # Saturday 20.02.2027 is a working day, 22.02 is off, 23.02 is Defender of the Fatherland Day.
        (date(2027, 2, 19), 1, date(2027, 2, 20)),
        (date(2027, 2, 20), 1, date(2027, 2, 24)),
        # An ordinary week.
        (date(2026, 11, 24), 3, date(2026, 11, 27)),
        (date(2026, 11, 27), 1, date(2026, 11, 30)),
    ],
)
def test_add_working_days(db, start, n, expected):
    assert add_working_days(start, n) == expected


@pytest.mark.parametrize(
    "day, working",
    [
        (date(2025, 12, 31), False),
        (date(2025, 11, 1), True),
        (date(2025, 11, 3), False),
        (date(2026, 1, 9), False),
        (date(2026, 3, 9), False),
        (date(2026, 11, 4), False),
        (date(2027, 2, 20), True),
        (date(2027, 6, 14), False),
    ],
)
def test_is_working_day(db, day, working):
    assert is_working_day(day) is working


def test_override_adds_a_day_off(db):
    WorkdayOverride.objects.create(date=date(2026, 11, 25), is_working=False, reason="Указ")
    assert add_working_days(date(2026, 11, 24), 3) == date(2026, 11, 30)
    assert is_working_day(date(2026, 11, 25)) is False


def test_override_makes_a_saturday_working(db):
    WorkdayOverride.objects.create(date=date(2026, 11, 28), is_working=True, reason="Перенос")
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 28)


def test_working_days_between(db):
    assert working_days_between(date(2025, 12, 30), date(2026, 1, 14)) == 3
    assert working_days_between(date(2026, 1, 14), date(2025, 12, 30)) == 0


def test_n_must_be_positive(db):
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 1), 0)
