"""Business-day arithmetic: the one place that knows about weekends and holidays."""

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    calendar = holidays.country_holidays(country, subdiv=subdivision or None, years=[year])
    return frozenset(calendar.keys())


def is_business_day(
    day: date,
    *,
    country: str = "US",
    subdivision: str | None = None,
    extra_holidays: Iterable[date] = (),
) -> bool:
    if day.weekday() >= 5:
        return False
    if day in set(extra_holidays):
        return False
    return day not in _public_holidays(country, subdivision, day.year)


def add_business_days(
    start: date,
    days: int,
    *,
    country: str = "US",
    subdivision: str | None = None,
    extra_holidays: Iterable[date] = (),
) -> date:
    """The date `days` business days after `start` (start itself never counts).

    Saturdays, Sundays, the country's public holidays and the organisation's
    own closures are skipped.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    closures = frozenset(extra_holidays)
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_business_day(
            current, country=country, subdivision=subdivision, extra_holidays=closures
        ):
            remaining -= 1
    return current
