"""The one place the service reads the time.

Services take ``now=`` and default to :func:`now`; tests move time with
time-machine, which patches this too.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

LONDON = ZoneInfo("Europe/London")


def now() -> dt.datetime:
    return timezone.now()


def today_in_london() -> dt.date:
    return now().astimezone(LONDON).date()


def end_of_day_in_london(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` ends in London: 'by 15 February' means before this."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=LONDON)
