"""Shared set-ups: a case at panel in a session, decided or signed off."""

from __future__ import annotations

import datetime as dt

from panels.models import Outcome, PanelCase, PanelSession
from panels.services.decisions import DecisionInput, decision_record, session_sign_off
from panels.services.scheduling import panels_schedule
from phasetransfer.core.clock import LONDON
from phasetransfer.models import Round, Setting
from tests.factories import SettingFactory, SettingPlacesFactory
from tests.panels.factories import BEFORE, PanelSessionFactory, proposed_case

SITTING = dt.datetime(2027, 1, 11, 10, 0, tzinfo=LONDON)
AFTER = SITTING + dt.timedelta(hours=3)  # the panel has sat


def at_panel(
    round_: Round,
    *,
    session: PanelSession | None = None,
    preferences: tuple[Setting, ...] | None = None,
    proposal: Setting | None = None,
    places: int = 5,
) -> PanelCase:
    """A case scheduled (by the scheduler) into ``session``; its settings have places."""
    session = session or PanelSessionFactory(round=round_, starts_at=SITTING)
    preferences = preferences if preferences is not None else (SettingFactory(),)
    for setting in {*preferences, *([proposal] if proposal else [])}:
        if not setting.places.filter(round=round_).exists():
            SettingPlacesFactory(round=round_, setting=setting, places=places)
    case = proposed_case(round_, preferences=preferences, proposal=proposal)
    panels_schedule(round_=round_, actor=None, now=BEFORE)
    return PanelCase.objects.select_related("session", "case", "proposal__setting").get(
        case=case, removed_at=None
    )


def agree(panel_case: PanelCase) -> None:
    decision_record(
        panel_case=panel_case,
        data=DecisionInput(outcome=Outcome.AGREE),
        actor=panel_case.session.chair,
        now=AFTER,
    )


def signed_off(panel_case: PanelCase) -> PanelSession:
    agree(panel_case)
    session_sign_off(session=panel_case.session, actor=panel_case.session.chair, now=AFTER)
    panel_case.session.refresh_from_db()
    return panel_case.session
