"""Post-16 conditional offers as the panel makes them (issue 19): the branches, the
structured condition, the ground, the places they hold, and the chair's form."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from panels.models import Decision, Ground, Outcome, PanelCase
from panels.services.decisions import (
    DecisionInput,
    DecisionRefused,
    decision_change,
    decision_record,
    session_sign_off,
)
from phasetransfer.core.conditions import Condition, Scale
from phasetransfer.models import (
    AuditEvent,
    CaseState,
    ConditionalHold,
    ConsultationStatus,
    Phase,
    ProgrammeAnswer,
    Round,
)
from tests.conftest import signed_in
from tests.factories import RoundFactory, SettingFactory
from tests.factories.consultations import ConsultationFactory
from tests.factories.panels import at_panel
from tests.moments import PANEL_HAS_SAT

pytestmark = pytest.mark.django_db

FIVE_GCSES = Condition(scale=Scale.GCSE, count=5, min_grade="4", including=("English", "maths"))


@pytest.fixture
def post16() -> Round:
    return RoundFactory(phase=Phase.POST16)


def _record(panel_case: PanelCase, **fields: object) -> Decision:
    return decision_record(
        panel_case=panel_case,
        data=DecisionInput(**fields),  # type: ignore[arg-type]
        actor=panel_case.session.chair,
        now=PANEL_HAS_SAT,
    )


def _conditional(panel_case: PanelCase, **fields: object) -> Decision:
    college = panel_case.proposal.setting
    values: dict[str, object] = {
        "outcome": Outcome.CONDITIONAL,
        "setting": college,
        "programme": "Level 3 Extended Diploma in IT",
        "condition": FIVE_GCSES,
        "otherwise_setting": college,
        "otherwise_programme": "Level 2 Diploma in IT",
        "reasons": "Predicted grades are borderline; both courses meet the need.",
        **fields,
    }
    return _record(panel_case, **values)


def test_a_conditional_offer_names_both_branches_and_holds_places_for_the_allocation(
    post16: Round,
) -> None:
    pc = at_panel(post16)
    decision = _conditional(pc, likely_met=False)
    decision.refresh_from_db()
    assert decision.is_conditional
    assert decision.is_final_placement
    assert decision.the_condition() == Condition.from_json(FIVE_GCSES.to_json())
    assert decision.programme == "Level 3 Extended Diploma in IT"
    assert decision.otherwise_setting == pc.proposal.setting
    pc.case.refresh_from_db()
    assert pc.case.state == CaseState.DECIDED
    hold = ConditionalHold.objects.get(case=pc.case)
    assert (hold.met_setting, hold.otherwise_setting, hold.likely_met) == (
        pc.proposal.setting,
        pc.proposal.setting,
        False,
    )
    event = AuditEvent.objects.get(case=pc.case, action="panel.decision")
    assert event.data["condition"]["count"] == 5
    # Signed off like any other final decision.
    assert session_sign_off(session=pc.session, actor=pc.session.chair, now=PANEL_HAS_SAT) == 1


def test_replacing_a_conditional_offer_with_a_plain_one_releases_its_hold(post16: Round) -> None:
    pc = at_panel(post16)
    _conditional(pc)
    _record(pc, outcome=Outcome.AGREE, change_reason="The grades came early.")
    assert not ConditionalHold.objects.filter(case=pc.case).exists()


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"otherwise_setting": None}, "otherwise_choice", "not met"),
        ({"condition": None}, "condition_kind", "Enter the condition"),
        ({"otherwise_programme": ""}, "otherwise_programme", "name the programme for each"),
        (
            {"otherwise_programme": "level 3 extended diploma in it"},
            "otherwise_programme",
            "same programme",
        ),
        ({"programme": "x" * 201}, "programme", "200 characters"),
    ],
)
def test_a_conditional_offer_that_cannot_be_checked_is_refused_and_nothing_is_recorded(
    post16: Round, fields: dict[str, object], field: str, words: str
) -> None:
    pc = at_panel(post16)
    with pytest.raises(DecisionRefused, match=words) as refused:
        _conditional(pc, **fields)
    assert refused.value.field == field
    assert not Decision.objects.filter(case=pc.case).exists()
    assert not ConditionalHold.objects.filter(case=pc.case).exists()


def test_conditional_offers_are_for_post16_only() -> None:
    pc = at_panel(RoundFactory())
    with pytest.raises(DecisionRefused, match="post-16"):
        _conditional(pc)


def test_an_otherwise_branch_elsewhere_than_the_first_preference_needs_a_ground(
    post16: Round,
) -> None:
    pc = at_panel(post16)
    elsewhere = SettingFactory(name="Other College")
    with pytest.raises(DecisionRefused, match="ground") as refused:
        _conditional(pc, otherwise_setting=elsewhere, otherwise_programme="")
    assert refused.value.field == "ground"
    decision = _conditional(
        pc, otherwise_setting=elsewhere, otherwise_programme="", ground=Ground.UNSUITABLE
    )
    assert decision.ground == Ground.UNSUITABLE


def _programmes(pc: PanelCase) -> None:
    consultation = ConsultationFactory(
        case=pc.case,
        setting=pc.proposal.setting,
        status=ConsultationStatus.CAN_MEET,
        responded_at=PANEL_HAS_SAT,
    )
    ProgrammeAnswer.objects.create(
        consultation=consultation,
        position=0,
        name="Level 3 Extended Diploma in IT",
        entry_requirements=FIVE_GCSES.to_json(),
        can_meet_need=True,
    )
    ProgrammeAnswer.objects.create(
        consultation=consultation,
        position=1,
        name="Level 1 Foundation",
        entry_requirements=None,
        can_meet_need=True,
    )


def test_the_condition_can_be_the_entry_requirements_the_provider_gave(post16: Round) -> None:
    pc = at_panel(post16)
    _programmes(pc)
    decision = _conditional(
        pc,
        condition=None,
        condition_from_programme=True,
        programme="level 3 extended diploma in IT",
    )
    assert decision.condition == FIVE_GCSES.to_json()


@pytest.mark.parametrize(
    ("programme", "words"),
    [("Level 1 Foundation", "open entry"), ("Level 4 Astronomy", "no entry requirements")],
)
def test_a_programme_without_requirements_given_cannot_supply_the_condition(
    post16: Round, programme: str, words: str
) -> None:
    pc = at_panel(post16)
    _programmes(pc)
    with pytest.raises(DecisionRefused, match=words):
        _conditional(pc, condition=None, condition_from_programme=True, programme=programme)


def test_a_signed_off_conditional_offer_changed_keeps_the_hold_in_step(post16: Round) -> None:
    pc = at_panel(post16)
    decision = _conditional(pc)
    session_sign_off(session=pc.session, actor=pc.session.chair, now=PANEL_HAS_SAT)
    other = SettingFactory(name="Second College")
    changed = decision_change(
        decision=decision,
        data=DecisionInput(
            outcome=Outcome.CONDITIONAL,
            setting=pc.proposal.setting,
            programme="Level 3 Extended Diploma in IT",
            condition=Condition(provider_confirms=True),
            otherwise_setting=other,
            ground=Ground.UNSUITABLE,
            reasons="An audition decides entry.",
            change_reason="The college asked for an audition.",
        ),
        actor=pc.session.chair,
        now=PANEL_HAS_SAT,
    )
    assert changed.condition == {"provider_confirms": True}
    assert ConditionalHold.objects.get(case=pc.case).otherwise_setting == other


# The chair's form ---------------------------------------------------------------------


def _form(pc: PanelCase, **fields: str) -> dict[str, str]:
    return {
        "shown_decision": "",
        "outcome": "conditional",
        "setting_choice": str(pc.proposal.setting.urn),
        "programme": "Level 3 Extended Diploma in IT",
        "condition_kind": "passes",
        "passes": "5",
        "scale": "gcse",
        "min_grade": "4",
        "including_english": "on",
        "including_maths": "on",
        "otherwise_choice": "same",
        "otherwise_programme": "Level 2 Diploma in IT",
        "likely": "met",
        "reasons": "Borderline predictions.",
        **fields,
    }


def _url(pc: PanelCase) -> str:
    return reverse("panels-decide", args=[pc.session_id, pc.case_id])


def test_the_chair_makes_a_conditional_offer_on_the_form(client: Client, post16: Round) -> None:
    pc = at_panel(post16)
    signed_in(client, pc.session.chair)
    page = client.get(_url(pc))
    assert page.status_code == 200
    assert "Make a conditional offer (post-16)" in page.content.decode()
    response = client.post(_url(pc), _form(pc))
    assert response.status_code == 302, response.content.decode()[:3000]
    decision = Decision.objects.get(case=pc.case)
    assert decision.condition == FIVE_GCSES.to_json()
    assert decision.otherwise_programme == "Level 2 Diploma in IT"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"min_grade": "C"}, "is not a grade on the GCSE scale"),
        ({"passes": ""}, "Enter the number of passes"),
        ({"passes": "1"}, "at least one pass for each subject"),
        ({"condition_kind": ""}, "Choose the condition"),
        (
            {"otherwise_choice": ""},
            "Choose the setting for when the entry requirements are not met",
        ),
    ],
)
def test_a_bad_condition_on_the_form_shows_the_error_and_keeps_what_was_typed(
    client: Client, post16: Round, fields: dict[str, str], message: str
) -> None:
    pc = at_panel(post16)
    signed_in(client, pc.session.chair)
    response = client.post(_url(pc), _form(pc, **fields))
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert message in page
    assert 'value="Level 2 Diploma in IT"' in page  # nothing typed is lost
    assert not Decision.objects.filter(case=pc.case).exists()


def test_a_secondary_round_offers_no_conditional_outcome(client: Client) -> None:
    pc = at_panel(RoundFactory())
    signed_in(client, pc.session.chair)
    page = client.get(_url(pc)).content.decode()
    assert "Make a conditional offer" not in page
    assert 'value="conditional"' not in page
    response = client.post(_url(pc), _form(pc))
    assert response.status_code == 400
    assert not Decision.objects.filter(case=pc.case).exists()


def test_the_pack_shows_both_branches_and_the_condition(client: Client, post16: Round) -> None:
    pc = at_panel(post16)
    _conditional(pc)
    signed_in(client, pc.session.chair)
    page = client.get(reverse("panels-pack-case", args=[pc.session_id, pc.case_id])).content
    text = page.decode()
    assert "(Level 3 Extended Diploma in IT) if you get 5 GCSEs at grade 4 or above" in text
    assert "otherwise " in text
    assert "(Level 2 Diploma in IT)" in text
