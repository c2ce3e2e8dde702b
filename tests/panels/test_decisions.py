"""Recording decisions, grounds, deferral, further consultation, sign-off and changes."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from panels.models import Decision, Ground, Outcome, PanelCase, SettingType
from panels.selectors import current_decision, decisions_for_round
from panels.services.decisions import (
    DecisionInput,
    DecisionRefused,
    decision_change,
    decision_record,
    session_sign_off,
)
from phasetransfer.models import AuditEvent, CaseState, Consultation, Round
from tests.factories import RoundFactory, SettingFactory
from tests.factories.consultations import ConsultationFactory
from tests.factories.panels import agree, at_panel, signed_off
from tests.moments import PANEL_HAS_SAT, PANEL_SITS

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_() -> Round:
    return RoundFactory()


def _record(panel_case: PanelCase, **fields: object) -> Decision:
    return decision_record(
        panel_case=panel_case,
        data=DecisionInput(**fields),  # type: ignore[arg-type]
        actor=panel_case.session.chair,
        now=PANEL_HAS_SAT,
    )


def test_agreeing_the_first_preference_needs_no_ground(round_: Round) -> None:
    pc = at_panel(round_)
    decision = _record(pc, outcome=Outcome.AGREE)
    assert decision.setting == pc.proposal.setting
    pc.case.refresh_from_db()
    assert pc.case.state == CaseState.DECIDED
    assert AuditEvent.objects.filter(case=pc.case, action="state.record_decision").exists()
    event = AuditEvent.objects.get(case=pc.case, action="panel.decision")
    assert event.data["outcome"] == "agree"
    assert event.data["setting"] == pc.proposal.setting.urn


def test_agreeing_a_proposal_that_is_not_the_first_preference_needs_a_ground(
    round_: Round,
) -> None:
    first, second = SettingFactory(), SettingFactory()
    pc = at_panel(round_, preferences=(first, second), proposal=second)
    with pytest.raises(DecisionRefused, match="ground") as refused:
        _record(pc, outcome=Outcome.AGREE)
    assert refused.value.field == "ground"
    with pytest.raises(DecisionRefused, match="reasons"):
        _record(pc, outcome=Outcome.AGREE, ground=Ground.RESOURCES)
    decision = _record(
        pc, outcome=Outcome.AGREE, ground=Ground.RESOURCES, reasons="First choice is full."
    )
    assert decision.ground == Ground.RESOURCES


def test_naming_another_setting_than_the_first_preference_needs_a_ground(
    round_: Round,
) -> None:
    pc = at_panel(round_)
    other = SettingFactory()
    with pytest.raises(DecisionRefused) as refused:
        _record(pc, outcome=Outcome.OTHER_SETTING, setting=other, reasons="Nearer")
    assert refused.value.field == "ground"
    decision = _record(
        pc,
        outcome=Outcome.OTHER_SETTING,
        setting=other,
        ground=Ground.UNSUITABLE,
        reasons="The EP advises a smaller setting.",
    )
    assert decision.setting == other


def test_naming_the_familys_first_preference_instead_of_the_proposal_needs_no_ground(
    round_: Round,
) -> None:
    first, second = SettingFactory(), SettingFactory()
    pc = at_panel(round_, preferences=(first, second), proposal=second)
    with pytest.raises(DecisionRefused, match="reasons"):
        _record(pc, outcome=Outcome.OTHER_SETTING, setting=first)
    decision = _record(
        pc, outcome=Outcome.OTHER_SETTING, setting=first, reasons="A place came free."
    )
    assert (decision.setting, decision.ground) == (first, "")


def test_another_setting_must_differ_from_the_proposal_and_take_the_phase(round_: Round) -> None:
    pc = at_panel(round_)
    with pytest.raises(DecisionRefused, match="Agree the proposal"):
        _record(pc, outcome=Outcome.OTHER_SETTING, setting=pc.proposal.setting, ground="others")
    infant = SettingFactory(serves_secondary=False, serves_post16=False, serves_reception=True)
    with pytest.raises(DecisionRefused, match="does not take children into this phase"):
        _record(pc, outcome=Outcome.OTHER_SETTING, setting=infant, ground="others", reasons="x")


def test_type_only_needs_the_type_and_reasons(round_: Round) -> None:
    pc = at_panel(round_)
    with pytest.raises(DecisionRefused, match="type of setting"):
        _record(pc, outcome=Outcome.TYPE_ONLY, reasons="Awaiting a special school place")
    with pytest.raises(DecisionRefused, match="reasons"):
        _record(pc, outcome=Outcome.TYPE_ONLY, setting_type=SettingType.SPECIAL)
    decision = _record(
        pc, outcome=Outcome.TYPE_ONLY, setting_type=SettingType.SPECIAL, reasons="School to follow"
    )
    assert decision.setting is None
    pc.case.refresh_from_db()
    assert pc.case.state == CaseState.DECIDED


def test_defer_takes_the_case_out_of_the_session(round_: Round) -> None:
    pc = at_panel(round_)
    with pytest.raises(DecisionRefused, match="reasons"):
        _record(pc, outcome=Outcome.DEFER)
    _record(pc, outcome=Outcome.DEFER, reasons="Awaiting the EP report")
    pc.refresh_from_db()
    assert pc.removed_at == PANEL_HAS_SAT
    assert pc.removed_reason == "Deferred: Awaiting the EP report"
    pc.case.refresh_from_db()
    assert pc.case.state == CaseState.PROPOSED
    event = AuditEvent.objects.get(case=pc.case, action="state.unschedule")
    assert "Awaiting the EP report" in event.reason


def test_further_consultation_consults_and_goes_back_to_consulting(round_: Round) -> None:
    pc = at_panel(round_)
    new_school, consulted = SettingFactory(), pc.proposal.setting
    old = ConsultationFactory(
        case=pc.case, setting=consulted, status="can_meet", responded_at=PANEL_HAS_SAT
    )
    _record(pc, outcome=Outcome.FURTHER_CONSULTATION, setting=new_school, reasons="Try nearer")
    pc.case.refresh_from_db()
    assert pc.case.state == CaseState.CONSULTING
    assert Consultation.objects.filter(case=pc.case, setting=new_school, status="pending").exists()
    pc.refresh_from_db()
    assert pc.removed_at is not None
    assert AuditEvent.objects.filter(case=pc.case, action="state.reconsult").exists()
    # a setting consulted before is consulted again, with a fresh clock
    pc2 = at_panel(round_)
    ConsultationFactory(
        case=pc2.case, setting=consulted, status="can_meet", responded_at=PANEL_HAS_SAT
    )
    _record(pc2, outcome=Outcome.FURTHER_CONSULTATION, setting=consulted, reasons="Ask again")
    assert Consultation.objects.filter(case=pc2.case, replaces__isnull=False).count() == 1
    assert old.replaced_by.count() == 0


def test_changing_a_decision_before_sign_off_supersedes_it_with_a_reason(round_: Round) -> None:
    pc = at_panel(round_)
    first = _record(pc, outcome=Outcome.AGREE)
    with pytest.raises(DecisionRefused) as refused:
        _record(pc, outcome=Outcome.TYPE_ONLY, setting_type="special", reasons="x")
    assert refused.value.field == "change_reason"
    second = _record(
        pc,
        outcome=Outcome.TYPE_ONLY,
        setting_type="special",
        reasons="Special school to follow",
        change_reason="The EP report arrived",
    )
    assert second.supersedes == first
    assert current_decision(pc.case) == second
    with pytest.raises(DecisionRefused, match="cannot be deferred"):
        _record(pc, outcome=Outcome.DEFER, reasons="x", change_reason="y")


def test_database_requires_a_reason_for_a_superseding_decision(round_: Round) -> None:
    pc = at_panel(round_)
    first = _record(pc, outcome=Outcome.AGREE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(
            case=pc.case,
            session=pc.session,
            outcome=Outcome.AGREE,
            setting=first.setting,
            decided_by=pc.session.chair,
            decided_at=PANEL_HAS_SAT,
            supersedes=first,
        )


def test_sign_off_needs_every_case_decided_and_the_panel_to_have_met(round_: Round) -> None:
    pc = at_panel(round_)
    other = at_panel(round_, session=pc.session)
    chair = pc.session.chair
    agree(pc)
    with pytest.raises(DecisionRefused, match="1 case"):
        session_sign_off(session=pc.session, actor=chair, now=PANEL_HAS_SAT)
    _record(other, outcome=Outcome.DEFER, reasons="Next time")
    with pytest.raises(DecisionRefused, match="not met yet"):
        session_sign_off(session=pc.session, actor=chair, now=PANEL_SITS.replace(hour=9))
    assert session_sign_off(session=pc.session, actor=chair, now=PANEL_HAS_SAT) == 1
    pc.case.refresh_from_db()
    assert pc.case.state == CaseState.OFFER_APPROVED
    with pytest.raises(DecisionRefused, match="already signed off"):
        session_sign_off(session=pc.session, actor=chair, now=PANEL_HAS_SAT)


def test_sign_off_locks_decisions_and_a_change_needs_a_new_decision_with_a_reason(
    round_: Round,
) -> None:
    pc = at_panel(round_)
    signed_off(pc)
    original = current_decision(pc.case)
    with pytest.raises(DecisionRefused, match="signed off"):
        _record(
            pc, outcome=Outcome.TYPE_ONLY, setting_type="special", reasons="x", change_reason="y"
        )
    change = DecisionInput(
        outcome=Outcome.OTHER_SETTING,
        setting=SettingFactory(),
        ground=Ground.OTHERS,
        reasons="The school cannot take a further child with these needs",
    )
    with pytest.raises(DecisionRefused, match="why"):
        decision_change(decision=original, data=change, actor=pc.session.chair, now=PANEL_HAS_SAT)
    assert Decision.objects.count() == 1
    changed = decision_change(
        decision=original,
        data=DecisionInput(**{**change.__dict__, "change_reason": "Tribunal-style review"}),
        actor=pc.session.chair,
        now=PANEL_HAS_SAT,
    )
    assert changed.supersedes == original
    assert changed.change_reason == "Tribunal-style review"
    assert current_decision(pc.case) == changed
    pc.case.refresh_from_db()
    assert pc.case.state == CaseState.OFFER_APPROVED
    actions = list(
        AuditEvent.objects.filter(case=pc.case).values_list("action", flat=True).order_by("id")
    )
    assert actions[-3:] == [
        "state.reopen_decision",
        "state.approve_offer",
        "panel.decision_changed",
    ]
    with pytest.raises(DecisionRefused, match="already been changed"):
        decision_change(
            decision=original,
            data=DecisionInput(**{**change.__dict__, "change_reason": "again"}),
            actor=pc.session.chair,
            now=PANEL_HAS_SAT,
        )


def test_a_signed_off_decision_can_become_a_further_consultation(round_: Round) -> None:
    pc = at_panel(round_)
    signed_off(pc)
    decision_change(
        decision=current_decision(pc.case),
        data=DecisionInput(
            outcome=Outcome.FURTHER_CONSULTATION,
            setting=SettingFactory(),
            reasons="New evidence",
            change_reason="New evidence from the family",
        ),
        actor=pc.session.chair,
        now=PANEL_HAS_SAT,
    )
    pc.case.refresh_from_db()
    assert pc.case.state == CaseState.CONSULTING


def test_selectors_read_the_latest_decision_not_superseded(round_: Round) -> None:
    a, b = at_panel(round_), at_panel(round_)
    assert current_decision(a.case) is None
    first = _record(a, outcome=Outcome.AGREE)
    latest = _record(
        a, outcome=Outcome.TYPE_ONLY, setting_type="special", reasons="x", change_reason="y"
    )
    deferred = _record(b, outcome=Outcome.DEFER, reasons="later")
    assert current_decision(a.case) == latest
    assert decisions_for_round(round_) == {a.case_id: latest, b.case_id: deferred}
    assert first.pk not in {d.pk for d in decisions_for_round(round_).values()}
