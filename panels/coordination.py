"""What panels tells the core's co-ordination board (registered in ``PanelsConfig.ready``).

The core cannot import panels, so it asks through the providers registered here:
when each case's panel sits, the last moment a panel may sit to make offer day,
and which setting each case's current final decision names.
"""

from __future__ import annotations

import datetime as dt

from panels.models import NAMING_OUTCOMES, Decision, Outcome, PanelCase, PanelSettings
from panels.selectors import scheduling_cutoff
from phasetransfer.models import Round

DEFAULT_APPROVAL_DAYS = PanelSettings._meta.get_field("approval_days").get_default()


def panel_dates(round_: Round) -> dict[int, dt.datetime]:
    """case id -> the start of the session the case is scheduled in (live placements only)."""
    return dict(
        PanelCase.objects.filter(session__round=round_, removed_at=None).values_list(
            "case_id", "session__starts_at"
        )
    )


def panel_cutoff(round_: Round) -> dt.datetime:
    """Sessions must start before this to leave the approval days before offer day.

    Reads the round's panel settings without creating them (a read must not write).
    """
    days = (
        PanelSettings.objects.filter(round=round_).values_list("approval_days", flat=True).first()
    )
    return scheduling_cutoff(round_, DEFAULT_APPROVAL_DAYS if days is None else days)


def decided_settings(round_: Round) -> dict[int, int | None]:
    """case id -> the setting its current final decision names (None: a type of setting only).

    A conditional offer (post-16) names the setting of its first branch, the one the young
    person asked for and will take if the entry requirements are met: the preference figures
    count it as naming that preference, as its letter does."""
    named: dict[int, int | None] = {}
    current = (
        Decision.objects.filter(case__round=round_, superseded_by__isnull=True)
        .order_by("case_id", "decided_at", "id")
        .values_list("case_id", "outcome", "setting_id")
    )
    for case_id, outcome, setting_id in current:
        if outcome in NAMING_OUTCOMES or outcome == Outcome.CONDITIONAL:
            named[case_id] = setting_id
        elif outcome == Outcome.TYPE_ONLY:
            named[case_id] = None
        else:  # deferred or sent back for consultation: not a final decision
            named.pop(case_id, None)
    return named
