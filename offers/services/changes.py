"""A decision the council carries out after offer day (a mediation agreement, a concession,
a SEND Tribunal order): the case's current decision is superseded by one naming the
setting, and the release job tells the family in an amended release."""

from __future__ import annotations

import datetime as dt

from panels.models import Decision, Outcome
from panels.selectors import PlacesLeft, current_decision, places_left
from panels.services.decisions import DecisionInput, DecisionRefused, decision_change
from phasetransfer.models import Case, Setting, User


class ChangeRefused(Exception):
    pass


def places_if_named(case: Case, setting: Setting) -> PlacesLeft:
    """The setting's places if this case were named there (its own current place aside)."""
    return places_left(round_=case.round, setting=setting, exclude_case=case)


def decision_carry_out(
    *, case: Case, setting: Setting, reason: str, actor: User, now: dt.datetime
) -> Decision:
    """Supersede the case's current decision with one naming ``setting`` (no statutory
    ground: the council is not refusing a preference but doing what was agreed or ordered)."""
    decision = current_decision(case)
    if decision is None:
        raise ChangeRefused("The case has no decision to change.")
    try:
        return decision_change(
            decision=decision,
            data=DecisionInput(
                outcome=Outcome.OTHER_SETTING,
                setting=setting,
                reasons=reason,
                change_reason=reason,
                carried_out=True,
            ),
            actor=actor,
            now=now,
        )
    except DecisionRefused as refused:
        raise ChangeRefused(str(refused)) from None
