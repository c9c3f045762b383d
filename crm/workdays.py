"""Russian working days: the `holidays` package (holidays.RU, with the
government's day transfers) plus the firm's WorkdayOverride table for
decrees published after the package release."""

from datetime import date, timedelta
from functools import lru_cache

import holidays

from crm.models import WorkdayOverride

# Longest run of consecutive days off in Russia is ~12 (New Year); a window
# this wide always holds the answer for small n, and is widened when it does not.
_WINDOW_DAYS = 45


@lru_cache(maxsize=16)
def _russian_calendar(year: int) -> holidays.HolidayBase:
    return holidays.RU(years=year)


def _package_says_working(day: date) -> bool:
    return _russian_calendar(day.year).is_working_day(day)


def _overrides(start: date, end: date) -> dict[date, bool]:
    rows = WorkdayOverride.objects.filter(date__range=(start, end)).values_list("date", "is_working")
    return dict(rows)


def is_working_day(day: date) -> bool:
    override = _overrides(day, day).get(day)
    return override if override is not None else _package_says_working(day)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (n ≥ 1); `start` itself never counts."""
    if n < 1:
        raise ValueError("n must be at least 1")
    window = _WINDOW_DAYS + 2 * n
    while True:
        overrides = _overrides(start, start + timedelta(days=window))
        day, left = start, n
        for _ in range(window):
            day += timedelta(days=1)
            working = overrides.get(day, None)
            if working is None:
                working = _package_says_working(day)
            if working:
                left -= 1
                if left == 0:
                    return day
        window *= 2


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]: how many working days `end` lies after `start`."""
    if end <= start:
        return 0
    overrides = _overrides(start, end)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        working = overrides.get(day)
        if working if working is not None else _package_says_working(day):
            count += 1
    return count
