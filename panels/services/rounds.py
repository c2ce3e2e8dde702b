"""Round-level panel settings and the scheduling cut-off they imply."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from panels.models import PanelSettings
from phasetransfer.core import clock
from phasetransfer.models import Round


def panel_settings_for(round_: Round) -> PanelSettings:
    settings, _ = PanelSettings.objects.get_or_create(round=round_)
    return settings


def panel_settings_update(*, round_: Round, approval_days: int) -> PanelSettings:
    if not 0 <= approval_days <= 60:
        raise ValueError("Approval days must be between 0 and 60.")
    with transaction.atomic():
        settings = panel_settings_for(round_)
        settings.approval_days = approval_days
        settings.save(update_fields=["approval_days"])
    return settings


def last_panel_day(round_: Round, approval_days: int | None = None) -> dt.date:
    """The last London day a panel may sit and still leave ``approval_days`` before offer day.

    Without an offer day the statutory deadline stands in for it.
    """
    days = panel_settings_for(round_).approval_days if approval_days is None else approval_days
    if round_.offer_day_at is not None:
        anchor = round_.offer_day_at.astimezone(clock.LONDON).date()
    else:
        anchor = round_.statutory_deadline
    return anchor - dt.timedelta(days=days)


def scheduling_cutoff(round_: Round, approval_days: int | None = None) -> dt.datetime:
    """Sessions must start before this instant (the end of the last panel day, London)."""
    return clock.end_of_day_in_london(last_panel_day(round_, approval_days))
