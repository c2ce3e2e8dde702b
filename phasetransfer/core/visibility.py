"""When a family may see their outcome: the one rule, checked against the server's clock."""

from __future__ import annotations

import datetime as dt

from phasetransfer.core import clock
from phasetransfer.models import Case, Round


def offer_day_reached(round_: Round, now: dt.datetime | None = None) -> bool:
    """True from the round's SEN offer day on; never before, whatever queues or caches hold."""
    offer_day = round_.offer_day_at
    return offer_day is not None and (now or clock.now()) >= offer_day


def outcome_visible(case: Case, now: dt.datetime | None = None) -> bool:
    return offer_day_reached(case.round, now)


def offer_day_publishing(round_: Round, now: dt.datetime | None = None) -> bool:
    """True from the moment until every family of the round has been told: meanwhile no
    decision of the round may change (what is being published must stay what it is)."""
    return offer_day_reached(round_, now) and round_.offer_day_published_at is None
