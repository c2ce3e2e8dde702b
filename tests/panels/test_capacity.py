"""Places left in a setting while the panel decides (live capacity)."""

from __future__ import annotations

import pytest

from panels.models import Outcome
from panels.selectors import places_left
from panels.services.decisions import DecisionInput, decision_record
from phasetransfer.models import Case, CaseState, Round
from tests.factories import RoundFactory, SettingFactory, SettingPlacesFactory
from tests.factories.panels import at_panel
from tests.moments import PANEL_HAS_SAT

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_() -> Round:
    return RoundFactory()


def test_places_left_counts_decisions_and_cases_at_panel(round_: Round) -> None:
    school = SettingFactory(name="Oak School")
    SettingPlacesFactory(round=round_, setting=school, places=5)
    decided = at_panel(round_, preferences=(school,))
    decision_record(
        panel_case=decided,
        data=DecisionInput(outcome=Outcome.AGREE),
        actor=decided.session.chair,
        now=PANEL_HAS_SAT,
    )
    waiting = at_panel(round_, preferences=(school,), session=decided.session)
    withdrawn = at_panel(round_, preferences=(school,), session=decided.session)
    decision_record(
        panel_case=withdrawn,
        data=DecisionInput(outcome=Outcome.AGREE),
        actor=decided.session.chair,
        now=PANEL_HAS_SAT,
    )
    Case.objects.filter(pk=withdrawn.case_id).update(state=CaseState.WITHDRAWN)
    places = places_left(round_=round_, setting=school)
    assert (places.places, places.decided, places.at_panel, places.left) == (5, 1, 1, 3)
    # the case being decided is not counted against itself
    mine = places_left(round_=round_, setting=school, exclude_case=waiting.case)
    assert (mine.at_panel, mine.left) == (0, 4)
    # a superseded decision no longer holds its place
    decision_record(
        panel_case=decided,
        data=DecisionInput(
            outcome=Outcome.TYPE_ONLY,
            setting_type="special",
            reasons="School to follow",
            change_reason="Needs changed",
        ),
        actor=decided.session.chair,
        now=PANEL_HAS_SAT,
    )
    assert places_left(round_=round_, setting=school).decided == 0


def test_no_places_recorded_means_none_left(round_: Round) -> None:
    places = places_left(round_=round_, setting=SettingFactory())
    assert places.places is None
    assert places.left == 0
    assert places.over_if_named
