"""Stages, next milestones, RAG status and "at risk this week", at their edges."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from panels.models import PanelCase, PanelSettings
from phasetransfer.coordination.milestones import (
    CaseFacts,
    MilestoneKind,
    RoundFacts,
    Stage,
    Status,
    action_for,
    at_risk,
    next_milestone,
    panel_cutoff,
    panel_dates,
    stage_of,
    status_of,
)
from phasetransfer.coordination.selectors import round_progress
from phasetransfer.core import clock
from phasetransfer.core.clock import LONDON
from phasetransfer.models import Case, CaseState, Consultation, ConsultationStatus
from tests.factories import CaseFactory, RoundFactory, SettingFactory
from tests.factories.panels import session_for
from tests.moments import OFFER_DAY, PANEL_CUTOFF_ENDS, STATUTORY_DEADLINE_ENDS, WINDOW_CLOSES

S = CaseState

FACTS = RoundFacts(
    preference_closes_at=WINDOW_CLOSES,
    consultation_days=15,
    offer_day_at=OFFER_DAY,
    statutory_deadline_at=STATUTORY_DEADLINE_ENDS,
    panel_cutoff=PANEL_CUTOFF_ENDS,
)


# --- RAG at the edges ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (WINDOW_CLOSES - dt.timedelta(days=7, seconds=1), Status.ON_TRACK),
        (WINDOW_CLOSES - dt.timedelta(days=7), Status.DUE_SOON),  # exactly 7 days ahead
        (WINDOW_CLOSES - dt.timedelta(seconds=1), Status.DUE_SOON),
        (WINDOW_CLOSES, Status.OVERDUE),  # due now
        (WINDOW_CLOSES + dt.timedelta(seconds=1), Status.OVERDUE),  # overdue by a second
    ],
    ids=["7 days and a second", "exactly 7 days", "a second to go", "due now", "a second late"],
)
def test_status_against_a_milestone_at_the_edges(now: dt.datetime, expected: Status) -> None:
    milestone = next_milestone(CaseFacts(state=S.INVITED), FACTS)
    assert milestone is not None
    assert milestone.due == WINDOW_CLOSES
    assert status_of(milestone, now) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (WINDOW_CLOSES - dt.timedelta(days=7, seconds=1), Status.ON_TRACK),
        (WINDOW_CLOSES - dt.timedelta(days=7), Status.DUE_SOON),
        (WINDOW_CLOSES, Status.OVERDUE),
        (WINDOW_CLOSES + dt.timedelta(seconds=1), Status.OVERDUE),
    ],
    ids=["7 days and a second", "exactly 7 days", "due now", "a second late"],
)
def test_the_board_reads_the_server_clock(moment: dt.datetime, expected: Status) -> None:
    round_ = RoundFactory()
    case = CaseFactory(round=round_)
    Case.objects.filter(pk=case.pk).update(state=S.INVITED)
    with time_machine.travel(moment, tick=False):
        (row,) = round_progress(round_=round_, now=clock.now())
    assert row.milestone is not None
    assert row.milestone.kind == MilestoneKind.PREFERENCES
    assert row.status == expected
    # A family still has until the window closes: late (at risk) only once it has closed.
    assert row.at_risk == (expected == Status.OVERDUE)


def test_closed_cases_have_no_milestone() -> None:
    for state in (S.RELEASED, S.ACCEPTED, S.APPEALED, S.WITHDRAWN):
        milestone = next_milestone(CaseFacts(state=state), FACTS)
        assert milestone is None
        assert status_of(milestone, OFFER_DAY) == Status.CLOSED


# --- Which milestone comes next --------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "kind", "due"),
    [
        (CaseFacts(state=S.IDENTIFIED), MilestoneKind.PREFERENCES, WINDOW_CLOSES),
        (CaseFacts(state=S.INVITED), MilestoneKind.PREFERENCES, WINDOW_CLOSES),
        # Consult by the start of 23 January: answers due by the end of 6 February,
        # the last panel day 7 February.
        (
            CaseFacts(state=S.PREFERENCES_RECEIVED),
            MilestoneKind.CONSULT_BY,
            dt.datetime(2027, 1, 23, 0, 0, tzinfo=LONDON),
        ),
        (
            CaseFacts(state=S.CONSULTING, consultations_due=WINDOW_CLOSES),
            MilestoneKind.CONSULTATIONS,
            WINDOW_CLOSES,
        ),
        (CaseFacts(state=S.CONSULTING), MilestoneKind.PANEL_BY, PANEL_CUTOFF_ENDS),
        (CaseFacts(state=S.PROPOSED), MilestoneKind.PANEL_BY, PANEL_CUTOFF_ENDS),
        (CaseFacts(state=S.AT_PANEL, panel_at=WINDOW_CLOSES), MilestoneKind.PANEL, WINDOW_CLOSES),
        (CaseFacts(state=S.DECIDED), MilestoneKind.OFFER_DAY, OFFER_DAY),
        (CaseFacts(state=S.OFFER_APPROVED), MilestoneKind.OFFER_DAY, OFFER_DAY),
        (CaseFacts(state=S.NO_DECISION_YET), MilestoneKind.DEADLINE, STATUTORY_DEADLINE_ENDS),
        # A consultation due after the statutory deadline: the deadline comes first.
        (
            CaseFacts(
                state=S.CONSULTING, consultations_due=STATUTORY_DEADLINE_ENDS + dt.timedelta(days=1)
            ),
            MilestoneKind.DEADLINE,
            STATUTORY_DEADLINE_ENDS,
        ),
    ],
    ids=lambda v: v.state if isinstance(v, CaseFacts) else None,
)
def test_next_milestone_by_stage(facts: CaseFacts, kind: MilestoneKind, due: dt.datetime) -> None:
    milestone = next_milestone(facts, FACTS)
    assert milestone is not None
    assert (milestone.kind, milestone.due) == (kind, due)


def test_without_an_offer_day_the_statutory_deadline_stands() -> None:
    facts = RoundFacts(**{**FACTS.__dict__, "offer_day_at": None})
    milestone = next_milestone(CaseFacts(state=S.DECIDED), facts)
    assert milestone is not None
    assert milestone.kind == MilestoneKind.DEADLINE


def test_every_state_has_a_stage() -> None:
    assert {stage_of(state) for state in S.values} == set(Stage)
    assert stage_of(S.OFFER_APPROVED) == stage_of(S.DECIDED) == Stage.DECIDED


# --- At risk this week ----------------------------------------------------------------


def _risk(facts: CaseFacts, now: dt.datetime) -> bool:
    milestone = next_milestone(facts, FACTS)
    return at_risk(facts, FACTS, milestone, status_of(milestone, now), now)


def test_a_case_with_no_panel_before_the_cutoff_is_at_risk_in_the_last_week() -> None:
    far = dt.datetime(2027, 1, 20, 9, 0, tzinfo=LONDON)  # 18 days before the cut-off
    week = PANEL_CUTOFF_ENDS - dt.timedelta(days=7)
    # Consultations answered in time for a panel, but none scheduled.
    waiting = CaseFacts(
        state=S.CONSULTING, consultations_due=dt.datetime(2027, 3, 1, tzinfo=LONDON)
    )
    assert not _risk(waiting, far)
    assert _risk(waiting, week)
    assert not _risk(waiting, week - dt.timedelta(seconds=1))
    # Scheduled into a panel before the cut-off: fine, even in the panel's week...
    scheduled = CaseFacts(state=S.AT_PANEL, panel_at=PANEL_CUTOFF_ENDS - dt.timedelta(days=1))
    assert not _risk(scheduled, week)
    # ...until the panel has sat without a decision recorded.
    assert _risk(scheduled, scheduled.panel_at)  # type: ignore[arg-type]
    # Scheduled, but into a panel after the cut-off: the panel cannot make offer day.
    late = CaseFacts(state=S.AT_PANEL, panel_at=PANEL_CUTOFF_ENDS + dt.timedelta(hours=10))
    assert _risk(late, week)


def test_approved_offers_are_never_at_risk_but_unapproved_decisions_are() -> None:
    week_before_offer_day = OFFER_DAY - dt.timedelta(days=6)
    assert not _risk(CaseFacts(state=S.OFFER_APPROVED), week_before_offer_day)
    # Decided, not yet signed off, offer day in 6 days: without sign-off this week the
    # family is told "no decision yet".
    assert _risk(CaseFacts(state=S.DECIDED), week_before_offer_day)
    assert not _risk(CaseFacts(state=S.DECIDED), OFFER_DAY - dt.timedelta(days=8))
    assert not _risk(CaseFacts(state=S.RELEASED), STATUTORY_DEADLINE_ENDS)


def test_milestones_others_meet_are_at_risk_only_once_overdue() -> None:
    answers_due = dt.datetime(2027, 1, 10, tzinfo=LONDON)
    pending = CaseFacts(state=S.CONSULTING, consultations_due=answers_due)
    assert not _risk(pending, answers_due - dt.timedelta(days=3))  # the school is in time
    assert _risk(pending, answers_due)  # the school is late: chase it
    assert not _risk(CaseFacts(state=S.INVITED), WINDOW_CLOSES - dt.timedelta(days=1))
    assert _risk(CaseFacts(state=S.INVITED), WINDOW_CLOSES)
    consult_by = FACTS.consult_by
    assert _risk(CaseFacts(state=S.PREFERENCES_RECEIVED), consult_by - dt.timedelta(days=7))
    assert not _risk(
        CaseFacts(state=S.PREFERENCES_RECEIVED), consult_by - dt.timedelta(days=7, seconds=1)
    )


def test_told_no_decision_yet_is_at_risk_in_the_week_before_the_deadline() -> None:
    assert not _risk(
        CaseFacts(state=S.NO_DECISION_YET), STATUTORY_DEADLINE_ENDS - dt.timedelta(days=8)
    )
    assert _risk(CaseFacts(state=S.NO_DECISION_YET), STATUTORY_DEADLINE_ENDS - dt.timedelta(days=7))


# --- What panels provide -------------------------------------------------------------


@pytest.mark.django_db
def test_panels_provide_live_panel_dates_and_the_cutoff_without_writing() -> None:
    round_ = RoundFactory()
    session = session_for(round_)
    live, removed = CaseFactory(round=round_), CaseFactory(round=round_)
    PanelCase.objects.create(session=session, case=live, scheduled_at=session.starts_at)
    PanelCase.objects.create(
        session=session, case=removed, scheduled_at=session.starts_at, removed_at=OFFER_DAY
    )
    assert dict(panel_dates(round_)) == {live.pk: session.starts_at}
    assert panel_cutoff(round_) == PANEL_CUTOFF_ENDS
    assert not PanelSettings.objects.filter(round=round_).exists()
    PanelSettings.objects.create(round=round_, approval_days=10)
    assert panel_cutoff(round_) == PANEL_CUTOFF_ENDS - dt.timedelta(days=5)


@pytest.mark.django_db
def test_consultation_due_is_the_latest_of_the_live_ones_while_any_is_pending() -> None:
    round_ = RoundFactory()
    case = CaseFactory(round=round_)
    Case.objects.filter(pk=case.pk).update(state=S.CONSULTING)
    sent = dt.datetime(2026, 12, 14, 10, tzinfo=LONDON)

    def consult(due_day: int, **fields: object) -> Consultation:
        return Consultation.objects.create(
            case=case,
            setting=SettingFactory(),
            sent_at=sent,
            due_at=dt.datetime(2026, 12, due_day, tzinfo=LONDON),
            **fields,
        )

    consult(29)
    answered = consult(30, status=ConsultationStatus.CAN_MEET, responded_at=sent)
    consult(31, status=ConsultationStatus.WITHDRAWN)  # withdrawn: not live
    old = consult(28)
    consult(27, replaces=old)  # ``old`` was re-sent: only the re-send is live
    (row,) = round_progress(round_=round_, now=sent)
    assert row.milestone is not None
    assert row.milestone.kind == MilestoneKind.CONSULTATIONS
    assert row.milestone.due == answered.due_at  # the latest live one, answered or not

    Consultation.objects.filter(case=case, status=ConsultationStatus.PENDING).update(
        status=ConsultationStatus.CAN_MEET, responded_at=sent
    )
    (row,) = round_progress(round_=round_, now=sent)
    assert row.milestone is not None
    assert row.milestone.kind == MilestoneKind.PANEL_BY


def test_the_weeks_action_for_a_panel_follows_whether_it_has_sat() -> None:
    assert action_for(Stage.AT_PANEL, MilestoneKind.PANEL) == (
        "Check the panel has its papers and sits"
    )
    assert "record the panel's decisions" in action_for(
        Stage.AT_PANEL, MilestoneKind.PANEL, overdue=True
    )
    assert action_for(Stage.NOT_INVITED, MilestoneKind.PREFERENCES).startswith("Invite")
