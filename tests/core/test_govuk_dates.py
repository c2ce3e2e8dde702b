"""Dates and times read as GOV.UK writes them, never "5:00p.m.."."""

from __future__ import annotations

import datetime as dt

from phasetransfer.core.clock import LONDON
from phasetransfer.templatetags.govuk_dates import govuk_datetime


def test_times_are_written_the_govuk_way_in_london_time() -> None:
    def at(hour: int, minute: int) -> str:
        return govuk_datetime(dt.datetime(2027, 1, 15, hour, minute, tzinfo=LONDON))

    assert at(17, 0) == "15 January 2027, 5pm"
    assert at(9, 30) == "15 January 2027, 9:30am"
    assert at(12, 0) == "15 January 2027, midday"
    assert at(0, 0) == "15 January 2027, midnight"
    # Summer time: 16:00 UTC on 1 July is 5pm in London.
    assert govuk_datetime(dt.datetime(2027, 7, 1, 16, 0, tzinfo=dt.UTC)) == "1 July 2027, 5pm"
    assert govuk_datetime(None) == ""
