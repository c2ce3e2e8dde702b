"""The case state machine: legal moves write an audit event; illegal moves change nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from phasetransfer.cases import state as case_state
from phasetransfer.cases.state import TRANSITIONS, IllegalTransition
from phasetransfer.models import AuditEvent, Case, CaseState
from tests.factories import CaseFactory, UserFactory

# Any moment: the state machine reads no calendar, it records when a case moved.
MOVED_AT = dt.datetime(2026, 12, 1, 10, 30, tzinfo=dt.UTC)


def _force_state(case: Case, state: str) -> Case:
    # Test set-up only: put a case in a given state without going through the machine.
    Case.objects.filter(pk=case.pk).update(state=state)
    case.refresh_from_db()
    return case


LEGAL = [(t.name, source, t.target) for t in TRANSITIONS.values() for source in sorted(t.sources)]
ILLEGAL = [
    (t.name, state.value)
    for t in TRANSITIONS.values()
    for state in CaseState
    if state.value not in t.sources
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "source", "target"), LEGAL)
def test_every_legal_transition_moves_the_case_and_writes_an_audit_event(
    name: str, source: str, target: str
) -> None:
    actor = UserFactory()
    case = _force_state(CaseFactory(), source)
    function = getattr(case_state, f"case_{name}")
    kwargs = {"reason": "because"} if "reason" in function.__code__.co_varnames else {}

    function(case=case, actor=actor, now=MOVED_AT, **kwargs)

    case.refresh_from_db()
    assert case.state == target
    assert case.state_changed_at == MOVED_AT
    event = AuditEvent.objects.get(case=case)
    assert (event.from_state, event.to_state) == (source, target)
    assert event.actor == actor
    assert event.at == MOVED_AT
    assert event.action == f"state.{name}"
    assert event.reason == kwargs.get("reason", "")


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "source"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_changes_nothing(name: str, source: str) -> None:
    case = _force_state(CaseFactory(), source)
    function = getattr(case_state, f"case_{name}")
    kwargs = {"reason": "because"} if "reason" in function.__code__.co_varnames else {}

    with pytest.raises(IllegalTransition):
        function(case=case, actor=None, now=MOVED_AT, **kwargs)

    case.refresh_from_db()
    assert case.state == source
    assert not AuditEvent.objects.filter(case=case).exists()


@pytest.mark.django_db
def test_a_transition_that_needs_a_reason_refuses_a_blank_one() -> None:
    case = CaseFactory()
    with pytest.raises(IllegalTransition, match="reason is required"):
        case_state.case_withdraw(case=case, actor=None, reason="   ")
    case.refresh_from_db()
    assert case.state == CaseState.IDENTIFIED


@pytest.mark.django_db
def test_a_stale_copy_cannot_move_a_case_someone_else_already_moved() -> None:
    case = CaseFactory()
    stale = Case.objects.get(pk=case.pk)
    case_state.case_invite(case=case, now=MOVED_AT)

    # The stale copy still says "identified"; the database says "invited".
    with pytest.raises(IllegalTransition):
        case_state.case_invite(case=stale, now=MOVED_AT)
    assert AuditEvent.objects.filter(case=case, action="state.invite").count() == 1


@pytest.mark.django_db
def test_a_system_move_is_audited_as_the_system() -> None:
    case = CaseFactory()
    case_state.case_invite(case=case, now=MOVED_AT)
    event = AuditEvent.objects.get(case=case)
    assert event.actor is None
    assert event.actor_label == "system"


@pytest.mark.django_db
def test_allowed_transitions_lists_what_the_current_state_permits() -> None:
    case = CaseFactory()
    assert set(case_state.allowed_transitions(case)) == {
        "invite",
        "receive_preferences",
        "start_consultation",
        "release_no_decision",
        "withdraw",
    }


def test_terminal_states_have_no_way_out_except_appeal_and_a_changed_decision() -> None:
    leaving = {source for t in TRANSITIONS.values() for source in t.sources}
    assert CaseState.WITHDRAWN not in leaving
    # An appealed case leaves only when its decision changes (mediation, a tribunal order):
    # it is approved again, and the family told in an amended release.
    assert {t.name for t in TRANSITIONS.values() if CaseState.APPEALED in t.sources} == {
        "amend_decision"
    }
    assert CaseState.ACCEPTED in leaving  # a family may accept, then appeal
