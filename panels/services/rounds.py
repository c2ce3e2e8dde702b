"""Round-level panel settings and the scheduling cut-off they imply."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from panels.models import PanelSettings
from phasetransfer.core import clock
from phasetransfer.models import Round


def panel_settings_for(round: Round) -> PanelSettings:
    settings, _ = PanelSettings.objects.get_or_create(round=round)
    return settings


def panel_settings_update(*, round: Round, approval_days: int) -> PanelSettings:
    if not 0 <= approval_days <= 60:
        raise ValueError("Approval days must be between 0 and 60.")
    with transaction.atomic():
        settings = panel_settings_for(round)
        settings.approval_days = approval_days
        settings.save(update_fields=["approval_days"])
    return settings


def last_panel_day(round: Round, approval_days: int | None = None) -> dt.date:
    """The last London day a panel may sit and still leave ``approval_days`` before offer day.

    Without an offer day the statutory deadline stands in for it.
    """
    days = panel_settings_for(round).approval_days if approval_days is None else approval_days
    if round.offer_day_at is not None:
        anchor = round.offer_day_at.astimezone(clock.LONDON).date()
    else:
        anchor = round.statutory_deadline
    return anchor - dt.timedelta(days=days)


def scheduling_cutoff(round: Round, approval_days: int | None = None) -> dt.datetime:
    """Sessions must start before this instant (the end of the last panel day, London)."""
    return clock.end_of_day_in_london(last_panel_day(round, approval_days))
