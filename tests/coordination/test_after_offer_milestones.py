"""After offer day on the board: mediation, appeal and order milestones, the start of the
school year, and "at risk this week", at their edges (plain rules, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from offers.models import AppealOutcome, MediationOutcome
from phasetransfer.coordination.milestones import (
    AfterOfferStage,
    CaseFacts,
    Milestone,
    MilestoneKind,
    RoundFacts,
    Stage,
    Status,
    at_risk,
    next_milestone,
    stage_of_case,
    start_of_school_year,
    status_of,
)
from phasetransfer.coordination.providers import (
    AppealRecord,
    AppealResult,
    MediationRecord,
    MediationResult,
)
from phasetransfer.core.clock import LONDON
from phasetransfer.models import CaseState
from tests.moments import OFFER_DAY, PANEL_CUTOFF_ENDS, STATUTORY_DEADLINE_ENDS, WINDOW_CLOSES

S = CaseState
K = MilestoneKind
SECOND = dt.timedelta(seconds=1)
WEEK = dt.timedelta(days=7)

FACTS = RoundFacts(
    preference_closes_at=WINDOW_CLOSES,
    consultation_days=15,
    offer_day_at=OFFER_DAY,
    statutory_deadline_at=STATUTORY_DEADLINE_ENDS,
    panel_cutoff=PANEL_CUTOFF_ENDS,
)
# The end of 1 September 2027, London (summer time): the round's school year starts.
SCHOOL_YEAR_STARTS = dt.datetime(2027, 9, 2, 0, 0, tzinfo=LONDON)


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=LONDON)


def mediation(
    requested_on: dt.date = dt.date(2027, 3, 1),
    *,
    meeting_on: dt.date | None = None,
    ended_on: dt.date | None = None,
    certificate_issued_on: dt.date | None = None,
    outcome: MediationResult = MediationResult.PENDING,
) -> MediationRecord:
    return MediationRecord(
        case_id=1,
        requested_on=requested_on,
        meeting_on=meeting_on,
        ended_on=ended_on,
        certificate_issued_on=certificate_issued_on,
        outcome=outcome,
        changed_decision=outcome == MediationResult.AGREED,
    )


def appeal(
    *,
    response_due_on: dt.date = dt.date(2027, 5, 14),
    hearing_on: dt.date | None = None,
    outcome: AppealResult = AppealResult.PENDING,
    order_due_on: dt.date | None = None,
    implemented_on: dt.date | None = None,
) -> AppealRecord:
    return AppealRecord(
        case_id=1,
        lodged_on=dt.date(2027, 4, 1),
        independent_requested=False,
        response_due_on=response_due_on,
        hearing_on=hearing_on,
        outcome=outcome,
        order_due_on=order_due_on,
        implemented_on=implemented_on,
    )


def _next(facts: CaseFacts, now: dt.datetime) -> Milestone:
    milestone = next_milestone(facts, FACTS, now)
    assert milestone is not None
    return milestone


def _risk(facts: CaseFacts, now: dt.datetime) -> bool:
    milestone = next_milestone(facts, FACTS, now)
    return at_risk(facts, FACTS, milestone, status_of(milestone, now), now)


def test_the_school_year_starts_at_the_end_of_1_september_of_the_entry_year() -> None:
    assert start_of_school_year(2027) == SCHOOL_YEAR_STARTS
    assert FACTS.school_year_starts_at == SCHOOL_YEAR_STARTS
    post16_deadline = _end_of(dt.date(2027, 3, 31))
    post16 = RoundFacts(**{**FACTS.__dict__, "statutory_deadline_at": post16_deadline})
    assert post16.school_year_starts_at == SCHOOL_YEAR_STARTS


def test_offers_outcomes_are_the_ones_the_board_knows() -> None:
    assert {r.value for r in MediationResult} == set(MediationOutcome.values)
    assert {r.value for r in AppealResult} == set(AppealOutcome.values)


# --- No decision yet, and a type of setting only: until the start of the school year ----


def test_no_decision_yet_works_towards_the_deadline_then_the_start_of_the_year() -> None:
    told = CaseFacts(state=S.NO_DECISION_YET)
    before = STATUTORY_DEADLINE_ENDS - SECOND
    assert _next(told, before) == Milestone(K.DEADLINE, STATUTORY_DEADLINE_ENDS)
    assert _risk(told, before)  # the deadline is a second away
    assert _next(told, STATUTORY_DEADLINE_ENDS) == Milestone(K.START_OF_YEAR, SCHOOL_YEAR_STARTS)
    assert stage_of_case(told, _next(told, STATUTORY_DEADLINE_ENDS)) == Stage.NO_DECISION_YET
    # Past the deadline the case is on track again, until the last week of August...
    spring = dt.datetime(2027, 4, 1, 9, 0, tzinfo=LONDON)
    assert status_of(_next(told, spring), spring) == Status.ON_TRACK
    assert not _risk(told, spring)
    last_week = SCHOOL_YEAR_STARTS - WEEK
    assert status_of(_next(told, last_week - SECOND), last_week - SECOND) == Status.ON_TRACK
    assert not _risk(told, last_week - SECOND)
    assert status_of(_next(told, last_week), last_week) == Status.DUE_SOON
    assert _risk(told, last_week)
    # ...and from the start of the year it is overdue, until a school is named.
    assert status_of(_next(told, SCHOOL_YEAR_STARTS), SCHOOL_YEAR_STARTS) == Status.OVERDUE
    assert _risk(told, SCHOOL_YEAR_STARTS)


def test_open_cases_past_the_deadline_keep_their_own_late_milestone() -> None:
    consulting = CaseFacts(state=S.CONSULTING)
    after = STATUTORY_DEADLINE_ENDS + dt.timedelta(days=1)
    # The last panel day has passed: that is what is late, not the start of the year.
    assert _next(consulting, after) == Milestone(K.PANEL_BY, PANEL_CUTOFF_ENDS)
    assert _risk(consulting, after)


def test_told_a_type_of_setting_only_a_school_is_due_by_the_start_of_the_year() -> None:
    type_only = CaseFacts(state=S.RELEASED, school_named=False)
    assert _next(type_only, OFFER_DAY) == Milestone(K.START_OF_YEAR, SCHOOL_YEAR_STARTS)
    assert not _risk(type_only, OFFER_DAY)
    assert _risk(type_only, SCHOOL_YEAR_STARTS - WEEK)
    assert _risk(CaseFacts(state=S.ACCEPTED, school_named=False), SCHOOL_YEAR_STARTS)
    # A setting named, or nothing known of the release: closed.
    for facts in (CaseFacts(state=S.RELEASED, school_named=True), CaseFacts(state=S.RELEASED)):
        assert next_milestone(facts, FACTS, SCHOOL_YEAR_STARTS) is None
        assert not _risk(facts, SCHOOL_YEAR_STARTS)


# --- Mediation ---------------------------------------------------------------------------


def test_mediation_is_due_within_30_days_of_the_request() -> None:
    facts = CaseFacts(state=S.APPEALED, mediations=(mediation(dt.date(2027, 3, 1)),))
    limit = _end_of(dt.date(2027, 3, 31))  # 1 April, 00:00 (summer time)
    assert _next(facts, OFFER_DAY) == Milestone(K.MEDIATION_BY, limit)
    assert stage_of_case(facts, _next(facts, OFFER_DAY)) == AfterOfferStage.OPEN_MEDIATION
    assert status_of(_next(facts, limit - WEEK - SECOND), limit - WEEK - SECOND) == Status.ON_TRACK
    assert not _risk(facts, limit - WEEK - SECOND)
    assert status_of(_next(facts, limit - WEEK), limit - WEEK) == Status.DUE_SOON
    assert _risk(facts, limit - WEEK)  # the council must arrange it: at risk this week
    assert status_of(_next(facts, limit), limit) == Status.OVERDUE
    assert _risk(facts, limit)


def test_the_30_days_run_until_the_end_whenever_the_meeting_is_booked() -> None:
    limit = Milestone(K.MEDIATION_BY, _end_of(dt.date(2027, 3, 31)))
    for meeting_on in (dt.date(2027, 3, 10), dt.date(2027, 4, 2)):
        booked = mediation(dt.date(2027, 3, 1), meeting_on=meeting_on)
        facts = CaseFacts(state=S.APPEALED, mediations=(booked,))
        assert _next(facts, OFFER_DAY) == limit


@pytest.mark.parametrize(
    ("ended_on", "due_on"),
    [
        # Wednesday 23 December 2026: Christmas Day (Friday), the weekend and Boxing Day's
        # substitute (Monday 28th) are not working days: due by Wednesday 30 December.
        (dt.date(2026, 12, 23), dt.date(2026, 12, 30)),
        (dt.date(2026, 12, 22), dt.date(2026, 12, 29)),
        (dt.date(2026, 12, 24), dt.date(2026, 12, 31)),
        # Easter 2027: Good Friday 26 March and Easter Monday 29 March skipped.
        (dt.date(2027, 3, 25), dt.date(2027, 4, 1)),
        # An ordinary week: Monday to Thursday.
        (dt.date(2027, 3, 8), dt.date(2027, 3, 11)),
    ],
    ids=["23 Dec", "22 Dec", "Christmas Eve", "before Easter", "a Monday"],
)
def test_the_certificate_is_due_3_working_days_after_the_end(
    ended_on: dt.date, due_on: dt.date
) -> None:
    ended = mediation(dt.date(2026, 12, 1), meeting_on=ended_on, ended_on=ended_on)
    facts = CaseFacts(state=S.APPEALED, mediations=(ended,))
    due = _end_of(due_on)
    milestone = _next(facts, OFFER_DAY)
    assert milestone == Milestone(K.CERTIFICATE, due)
    assert status_of(milestone, due - SECOND) == Status.DUE_SOON
    assert status_of(milestone, due) == Status.OVERDUE
    assert _risk(facts, due - SECOND)


def test_the_certificate_due_on_30_december_2026_edges() -> None:
    ended = mediation(dt.date(2026, 12, 1), ended_on=dt.date(2026, 12, 23))
    facts = CaseFacts(state=S.APPEALED, mediations=(ended,))
    last_moment = dt.datetime(2026, 12, 30, 23, 59, 59, tzinfo=LONDON)
    next_morning = dt.datetime(2026, 12, 31, 0, 0, tzinfo=LONDON)
    assert status_of(_next(facts, last_moment), last_moment) == Status.DUE_SOON
    assert status_of(_next(facts, next_morning), next_morning) == Status.OVERDUE


def test_an_agreement_awaiting_approval_is_due_in_the_certificates_time() -> None:
    agreed = mediation(
        dt.date(2027, 3, 1),
        ended_on=dt.date(2026, 12, 23),
        outcome=MediationResult.AWAITING_APPROVAL,
    )
    facts = CaseFacts(state=S.APPEALED, mediations=(agreed,))
    assert _next(facts, OFFER_DAY) == Milestone(K.APPROVAL, _end_of(dt.date(2026, 12, 30)))


def test_a_concluded_mediation_leaves_nothing_open() -> None:
    for outcome in (MediationResult.NOT_AGREED, MediationResult.WITHDRAWN):
        ended = mediation(
            ended_on=dt.date(2027, 3, 20),
            certificate_issued_on=dt.date(2027, 3, 22),
            outcome=outcome,
        )
        facts = CaseFacts(state=S.APPEALED, mediations=(ended,), school_named=True)
        assert next_milestone(facts, FACTS, OFFER_DAY) is None
        assert stage_of_case(facts, None) == Stage.APPEALED


# --- Appeals and orders ---------------------------------------------------------------


def test_an_appeal_is_due_the_councils_response_then_the_hearing() -> None:
    open_appeal = appeal(response_due_on=dt.date(2027, 5, 14), hearing_on=dt.date(2027, 7, 6))
    facts = CaseFacts(state=S.APPEALED, appeals=(open_appeal,))
    response = _end_of(dt.date(2027, 5, 14))
    milestone = _next(facts, response - SECOND)
    assert milestone == Milestone(K.RESPONSE, response)
    assert stage_of_case(facts, milestone) == AfterOfferStage.OPEN_APPEAL
    assert _risk(facts, response - WEEK)  # the council's response: at risk in its week
    assert not _risk(facts, response - WEEK - SECOND)
    # Once the response date has ended, the hearing is next.
    hearing = _end_of(dt.date(2027, 7, 6))
    assert _next(facts, response) == Milestone(K.HEARING, hearing)
    # The hearing is the Tribunal's: due, or passed without an outcome recorded, it is
    # amber then red, but not at risk.
    assert status_of(_next(facts, hearing - SECOND), hearing - SECOND) == Status.DUE_SOON
    assert not _risk(facts, hearing - SECOND)
    assert status_of(_next(facts, hearing), hearing) == Status.OVERDUE
    assert not _risk(facts, hearing)


def test_without_a_hearing_date_a_passed_response_date_stays_red() -> None:
    facts = CaseFacts(state=S.APPEALED, appeals=(appeal(response_due_on=dt.date(2027, 5, 14)),))
    after = _end_of(dt.date(2027, 5, 14))
    assert _next(facts, after).kind == K.RESPONSE
    assert status_of(_next(facts, after), after) == Status.OVERDUE
    assert _risk(facts, after)


@pytest.mark.parametrize(
    ("before_due", "status", "risky"),
    [
        (WEEK + SECOND, Status.ON_TRACK, False),
        (WEEK, Status.DUE_SOON, True),  # exactly 7 days ahead: amber
        (SECOND, Status.DUE_SOON, True),
        (dt.timedelta(0), Status.OVERDUE, True),  # due now: red
        (-dt.timedelta(days=3), Status.OVERDUE, True),
    ],
    ids=["7 days and a second", "exactly 7 days", "a second to go", "due now", "3 days late"],
)
def test_an_order_is_red_when_overdue_and_amber_within_7_days(
    before_due: dt.timedelta, status: Status, risky: bool
) -> None:
    order = appeal(
        outcome=AppealResult.UPHELD,
        order_due_on=dt.date(2027, 8, 10),  # decided 6 July, 5 weeks
    )
    facts = CaseFacts(state=S.APPEALED, appeals=(order,), school_named=True)
    due = _end_of(dt.date(2027, 8, 10))
    now = due - before_due
    milestone = _next(facts, now)
    assert milestone == Milestone(K.ORDER, due)
    assert stage_of_case(facts, milestone) == AfterOfferStage.ORDER
    assert status_of(milestone, now) == status
    assert _risk(facts, now) == risky


def test_an_order_carried_out_and_published_is_closed() -> None:
    done = appeal(
        outcome=AppealResult.CONCEDED,
        order_due_on=dt.date(2027, 8, 10),
        implemented_on=dt.date(2027, 8, 2),
    )
    facts = CaseFacts(state=S.RELEASED, appeals=(done,), school_named=True)
    assert next_milestone(facts, FACTS, SCHOOL_YEAR_STARTS) is None
    dismissed = appeal(outcome=AppealResult.DISMISSED)
    facts = CaseFacts(state=S.APPEALED, appeals=(dismissed,), school_named=True)
    assert next_milestone(facts, FACTS, SCHOOL_YEAR_STARTS) is None


def test_the_most_pressing_of_several_is_the_first_due_and_names_the_stage() -> None:
    now = dt.datetime(2027, 3, 10, 9, 0, tzinfo=LONDON)
    open_mediation = mediation(dt.date(2027, 3, 1))  # needed by the end of 31 March
    soon_response = appeal(response_due_on=dt.date(2027, 3, 15))
    facts = CaseFacts(state=S.APPEALED, mediations=(open_mediation,), appeals=(soon_response,))
    milestone = _next(facts, now)
    assert milestone.kind == K.RESPONSE
    assert stage_of_case(facts, milestone) == AfterOfferStage.OPEN_APPEAL
    # An order due the same day as a response: the order first (AFTER_OFFER_ORDER).
    order = appeal(outcome=AppealResult.UPHELD, order_due_on=dt.date(2027, 3, 15))
    facts = CaseFacts(state=S.APPEALED, appeals=(soon_response, order))
    assert stage_of_case(facts, _next(facts, now)) == AfterOfferStage.ORDER
    # The mediation comes first when it is due first.
    late_response = appeal(response_due_on=dt.date(2027, 4, 30))
    facts = CaseFacts(state=S.APPEALED, mediations=(open_mediation,), appeals=(late_response,))
    assert stage_of_case(facts, _next(facts, now)) == AfterOfferStage.OPEN_MEDIATION


def test_a_withdrawn_case_has_nothing_open() -> None:
    facts = CaseFacts(state=S.WITHDRAWN, appeals=(appeal(),), mediations=(mediation(),))
    assert next_milestone(facts, FACTS, OFFER_DAY) is None
    assert stage_of_case(facts, None) == Stage.WITHDRAWN
