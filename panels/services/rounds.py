"""Saving a round's panel settings (reading them, and the cut-off they imply: selectors)."""

from __future__ import annotations

from panels.models import PanelSettings
from phasetransfer.models import Round


def panel_settings_update(*, round_: Round, approval_days: int) -> PanelSettings:
    if not 0 <= approval_days <= 60:
        raise ValueError("Approval days must be between 0 and 60.")
    # The first save creates the row; two at once leave one (the round is unique).
    settings, _ = PanelSettings.objects.update_or_create(
        round=round_, defaults={"approval_days": approval_days}
    )
    return settings
