"""Working days in England: statutory timescales counted in them skip weekends and bank
holidays. The holidays come from the maintained ``holidays`` package (England's, including
substitute days such as Boxing Day observed), not a list kept by hand."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=16)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(day: dt.date, days: int) -> dt.date:
    """The working day ``days`` working days after ``day`` (``day`` itself not counted)."""
    current = day
    left = days
    while left > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current
