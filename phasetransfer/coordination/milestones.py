"""Stages, milestones and RAG status of a case, from SEN offer day's run-up to the start of
the school year.

Everything here is plain computation on facts gathered by the selectors, so the rules
can be tested at their edges without a database. The rules (docs/coordination.md):

* **Stage**: the case's state, grouped as a co-ordinator speaks of it; after offer day, a
  case with an open mediation, an open appeal or an order still to carry out is in that
  stage instead (the one of its most pressing milestone).
* **Next milestone**: of the milestones still ahead of an open case (its stage's own, and
  the statutory deadline; once the deadline has passed, the start of the school year), the
  one due first. After offer day, the most pressing of its mediation, appeal and order
  milestones (the first due; on a tie, in ``AFTER_OFFER_ORDER``); a case told only a type
  of setting works towards the start of the school year.
* **RAG status** against the server clock ``now``: *overdue* when ``now >= due``;
  *due within 7 days* when ``now < due <= now + 7 days``; *on track* otherwise;
  *closed* when the case has no milestone left (a setting named and nothing open, or
  withdrawn).
* **At risk this week** (will miss the statutory deadline unless someone acts this week):
  a case without an approved offer (identified ... at panel, decided but not signed off,
  or told "no decision yet") where (a) its next milestone is overdue; or (b) its next
  milestone is one the council itself must meet (consult schools by, panel needed by,
  SEN offer day for an unapproved decision, the statutory deadline, the start of the school
  year) and is due within 7 days; or (c) it is not yet decided, has no panel date before
  the panel cut-off, and the cut-off is 7 days away or less. Milestones others meet while
  still in time (a family's preferences, a school's answer, a panel already booked) are
  not (b): they are amber on the board, but nobody needs to act yet. After offer day: a
  case whose next milestone is one the council must act on (an order to carry out, a
  mediation to hold, a certificate or an agreed change, a response to the Tribunal, a
  school to name by the start of the year) and is overdue or due within 7 days.

Panels and offers own the facts the rules need after the core's own (panel dates, the
cut-off, decisions; releases, mediations, appeals). The core cannot import them
(dependencies point offers -> panels -> phasetransfer), so they register providers in
:mod:`phasetransfer.coordination.providers` when Django starts; the panel ones are also
importable from here, where they were first defined.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from phasetransfer.coordination.providers import (
    AppealRecord,
    MediationRecord,
    MediationResult,
)
from phasetransfer.coordination.providers import decided_settings as decided_settings
from phasetransfer.coordination.providers import panel_cutoff as panel_cutoff
from phasetransfer.coordination.providers import panel_dates as panel_dates
from phasetransfer.coordination.providers import (
    register_decided_settings as register_decided_settings,
)
from phasetransfer.coordination.providers import register_panel_cutoff as register_panel_cutoff
from phasetransfer.coordination.providers import register_panel_dates as register_panel_dates
from phasetransfer.core import clock
from phasetransfer.core.timescales import certificate_by, mediation_by
from phasetransfer.models import CaseState, Round

S = CaseState
WEEK = dt.timedelta(days=7)

# --- Stages ---------------------------------------------------------------------------


class Stage(StrEnum):
    NOT_INVITED = "not_invited"
    INVITED = "invited"
    PREFERENCES_IN = "preferences_in"
    CONSULTING = "consulting"
    PROPOSED = "proposed"
    AT_PANEL = "at_panel"
    DECIDED = "decided"
    NO_DECISION_YET = "no_decision_yet"
    RELEASED = "released"
    ACCEPTED = "accepted"
    APPEALED = "appealed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]


STAGE_LABELS: dict[Stage, str] = {
    Stage.NOT_INVITED: "Not invited",
    Stage.INVITED: "Invited",
    Stage.PREFERENCES_IN: "Preferences in",
    Stage.CONSULTING: "Consulting",
    Stage.PROPOSED: "Proposed",
    Stage.AT_PANEL: "At panel",
    Stage.DECIDED: "Decided",
    Stage.NO_DECISION_YET: "No decision yet",
    Stage.RELEASED: "Released",
    Stage.ACCEPTED: "Accepted",
    Stage.APPEALED: "Mediation or appeal",
    Stage.WITHDRAWN: "Withdrawn",
}

STAGE_OF_STATE: dict[str, Stage] = {
    S.IDENTIFIED: Stage.NOT_INVITED,
    S.INVITED: Stage.INVITED,
    S.PREFERENCES_RECEIVED: Stage.PREFERENCES_IN,
    S.CONSULTING: Stage.CONSULTING,
    S.PROPOSED: Stage.PROPOSED,
    S.AT_PANEL: Stage.AT_PANEL,
    # Decided and signed off (offer approved) are one stage to a co-ordinator; the
    # milestone and the at-risk rule still tell them apart.
    S.DECIDED: Stage.DECIDED,
    S.OFFER_APPROVED: Stage.DECIDED,
    S.NO_DECISION_YET: Stage.NO_DECISION_YET,
    S.RELEASED: Stage.RELEASED,
    S.ACCEPTED: Stage.ACCEPTED,
    S.APPEALED: Stage.APPEALED,
    S.WITHDRAWN: Stage.WITHDRAWN,
}


def stage_of(state: str) -> Stage:
    return STAGE_OF_STATE[state]


class AfterOfferStage(StrEnum):
    """Stages after offer day that no case state names: what is still open on the case."""

    OPEN_MEDIATION = "open_mediation"
    OPEN_APPEAL = "open_appeal"
    ORDER = "order"

    @property
    def label(self) -> str:
        return AFTER_OFFER_STAGE_LABELS[self]


AFTER_OFFER_STAGE_LABELS: dict[AfterOfferStage, str] = {
    AfterOfferStage.OPEN_MEDIATION: "Open mediation",
    AfterOfferStage.OPEN_APPEAL: "Open appeal",
    AfterOfferStage.ORDER: "Order to carry out",
}

# A stage on the board: a case state's, or what is open after offer day.
BoardStage = Stage | AfterOfferStage
# Every stage in pipeline order (filters, workload columns, figures), withdrawn last.
BOARD_STAGES: tuple[BoardStage, ...] = (
    *(stage for stage in Stage if stage != Stage.WITHDRAWN),
    *AfterOfferStage,
    Stage.WITHDRAWN,
)


# Not yet decided by a panel.
BEFORE_DECISION = frozenset(
    {S.IDENTIFIED, S.INVITED, S.PREFERENCES_RECEIVED, S.CONSULTING, S.PROPOSED, S.AT_PANEL}
)
# Without an approved offer: what "will miss the deadline unless someone acts" is about.
WITHOUT_APPROVED_OFFER = BEFORE_DECISION | {S.DECIDED, S.NO_DECISION_YET}
# Still heading for the statutory deadline (released, accepted, appealed, withdrawn are not).
OPEN = WITHOUT_APPROVED_OFFER | {S.OFFER_APPROVED}


# --- Milestones and RAG -----------------------------------------------------------------


class MilestoneKind(StrEnum):
    PREFERENCES = "preferences"
    CONSULT_BY = "consult_by"
    CONSULTATIONS = "consultations"
    PANEL = "panel"
    PANEL_BY = "panel_by"
    OFFER_DAY = "offer_day"
    DEADLINE = "deadline"
    START_OF_YEAR = "start_of_year"
    # After offer day.
    MEDIATION_BY = "mediation_by"
    CERTIFICATE = "certificate"
    APPROVAL = "approval"
    RESPONSE = "response"
    HEARING = "hearing"
    ORDER = "order"

    @property
    def label(self) -> str:
        return MILESTONE_LABELS[self]


MILESTONE_LABELS: dict[MilestoneKind, str] = {
    MilestoneKind.PREFERENCES: "Preference window closes",
    MilestoneKind.CONSULT_BY: "Consult schools by",
    MilestoneKind.CONSULTATIONS: "Consultation responses due",
    MilestoneKind.PANEL: "Panel",
    MilestoneKind.PANEL_BY: "Panel needed by",
    MilestoneKind.OFFER_DAY: "SEN offer day",
    MilestoneKind.DEADLINE: "Statutory deadline",
    MilestoneKind.START_OF_YEAR: "Start of the school year",
    MilestoneKind.MEDIATION_BY: "Mediation to take place by",
    MilestoneKind.CERTIFICATE: "Mediation certificate due",
    MilestoneKind.APPROVAL: "Agreed change to approve",
    MilestoneKind.RESPONSE: "Response to the Tribunal due",
    MilestoneKind.HEARING: "Tribunal hearing",
    MilestoneKind.ORDER: "Order to carry out by",
}

# What someone does about a milestone due this week, in the co-ordinator's words (the
# week's digest). A case never invited has the preference window as its milestone, but
# what it needs is an invitation, so that one is keyed by its stage too.
ACTIONS: dict[MilestoneKind, str] = {
    MilestoneKind.PREFERENCES: "Remind families who have not sent their preferences",
    MilestoneKind.CONSULT_BY: "Send consultations in time for a panel",
    MilestoneKind.CONSULTATIONS: "Chase schools and colleges that have not answered",
    MilestoneKind.PANEL: "Check the panel has its papers and sits",
    MilestoneKind.PANEL_BY: "Book a panel date before the last panel day",
    MilestoneKind.OFFER_DAY: "Decide and sign off before SEN offer day",
    MilestoneKind.DEADLINE: "Name a placement before the statutory deadline",
    MilestoneKind.START_OF_YEAR: "Name a school or college before the school year starts",
    MilestoneKind.MEDIATION_BY: "Hold the mediation",
    MilestoneKind.CERTIFICATE: "Record the mediation certificate",
    MilestoneKind.APPROVAL: "Approve the agreed change",
    MilestoneKind.RESPONSE: "Send the council's response to the Tribunal",
    MilestoneKind.HEARING: "Record the hearing's outcome",
    MilestoneKind.ORDER: "Carry out the order",
}
NOT_INVITED_ACTION = "Invite the family: they have never been asked for their preferences"
PANEL_SAT_ACTION = "Ask the chair to record the panel's decisions and sign it off"


def action_for(stage: BoardStage, kind: MilestoneKind, *, overdue: bool = False) -> str:
    if stage == Stage.NOT_INVITED:
        return NOT_INVITED_ACTION
    if kind == MilestoneKind.PANEL and overdue:
        return PANEL_SAT_ACTION  # it has sat: what is missing is its decisions
    return ACTIONS[kind]


# After offer day: the most pressing first on a tie, and the stage each one puts a case in.
AFTER_OFFER_ORDER: tuple[MilestoneKind, ...] = (
    MilestoneKind.ORDER,
    MilestoneKind.CERTIFICATE,
    MilestoneKind.APPROVAL,
    MilestoneKind.RESPONSE,
    MilestoneKind.MEDIATION_BY,
    MilestoneKind.HEARING,
)
AFTER_OFFER_STAGE: dict[MilestoneKind, AfterOfferStage] = {
    MilestoneKind.ORDER: AfterOfferStage.ORDER,
    MilestoneKind.CERTIFICATE: AfterOfferStage.OPEN_MEDIATION,
    MilestoneKind.APPROVAL: AfterOfferStage.OPEN_MEDIATION,
    MilestoneKind.MEDIATION_BY: AfterOfferStage.OPEN_MEDIATION,
    MilestoneKind.RESPONSE: AfterOfferStage.OPEN_APPEAL,
    MilestoneKind.HEARING: AfterOfferStage.OPEN_APPEAL,
}


@dataclass(frozen=True)
class Milestone:
    kind: MilestoneKind
    due: dt.datetime

    @property
    def label(self) -> str:
        return self.kind.label


class Status(StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    ON_TRACK = "on_track"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[Status, str] = {
    Status.OVERDUE: "Overdue",
    Status.DUE_SOON: "Due within 7 days",
    Status.ON_TRACK: "On track",
    Status.CLOSED: "Closed",
}
STATUS_ORDER = {status: index for index, status in enumerate(Status)}


def start_of_school_year(year: int) -> dt.datetime:
    """The end of 1 September of ``year`` in London: "placed by the start of the year" means
    a school named on or before 1 September, as "by the deadline" means on or before its day."""
    return clock.end_of_day_in_london(dt.date(year, 9, 1))


@dataclass(frozen=True)
class RoundFacts:
    """What the rules need to know about a round, gathered once per round."""

    preference_closes_at: dt.datetime
    consultation_days: int
    offer_day_at: dt.datetime | None
    statutory_deadline_at: dt.datetime
    panel_cutoff: dt.datetime

    @classmethod
    def of(cls, round_: Round) -> RoundFacts:
        return cls(
            preference_closes_at=round_.preference_closes_at,
            consultation_days=round_.consultation_days,
            offer_day_at=round_.offer_day_at,
            statutory_deadline_at=round_.statutory_deadline_at,
            panel_cutoff=panel_cutoff(round_),
        )

    @property
    def consult_by(self) -> dt.datetime:
        """The last moment to send a consultation whose answer is due before the cut-off.

        Sent on London day D, an answer is due by the end of day D + N, and the panel
        may sit from day D + N + 1. For that to be on or before the last panel day L,
        D is at the latest L - N - 1: consultations must go before the start of day
        L - N, which is N + 1 days before the cut-off (the end of day L). Wall-clock
        arithmetic in London, so a clock change in between does not shift it by an hour.
        """
        cutoff = self.panel_cutoff.astimezone(clock.LONDON)
        return cutoff - dt.timedelta(days=self.consultation_days + 1)

    @property
    def school_year_starts_at(self) -> dt.datetime:
        """1 September (its end) of the year of transfer: the statutory deadline's year, which
        is the round's entry year (reg 18: 15 February or 31 March of that year)."""
        deadline_day = (self.statutory_deadline_at - dt.timedelta(seconds=1)).astimezone(
            clock.LONDON
        )
        return start_of_school_year(deadline_day.year)


@dataclass(frozen=True)
class CaseFacts:
    state: str
    # The latest due moment of the case's live consultations, if any is still pending.
    consultations_due: dt.datetime | None = None
    # The start of the panel session the case is scheduled in, if any.
    panel_at: dt.datetime | None = None
    # After offer day: the case's mediations and appeals (open or not; the rules pick).
    mediations: Sequence[MediationRecord] = ()
    appeals: Sequence[AppealRecord] = ()
    # Whether the latest release the family was given names a setting (None: nothing
    # published, or not known).
    school_named: bool | None = None


def _panel_milestone(case: CaseFacts, round_: RoundFacts) -> Milestone:
    if case.panel_at is not None:
        return Milestone(MilestoneKind.PANEL, case.panel_at)
    return Milestone(MilestoneKind.PANEL_BY, round_.panel_cutoff)


def _offer_day_milestone(round_: RoundFacts) -> Milestone | None:
    if round_.offer_day_at is None:
        return None  # the statutory deadline stands
    return Milestone(MilestoneKind.OFFER_DAY, round_.offer_day_at)


def stage_milestone(case: CaseFacts, round_: RoundFacts) -> Milestone | None:
    """The milestone the case's stage is working towards (before the deadline is considered)."""
    state = case.state
    if state in (S.IDENTIFIED, S.INVITED):
        return Milestone(MilestoneKind.PREFERENCES, round_.preference_closes_at)
    if state == S.PREFERENCES_RECEIVED:
        return Milestone(MilestoneKind.CONSULT_BY, round_.consult_by)
    if state == S.CONSULTING and case.consultations_due is not None:
        return Milestone(MilestoneKind.CONSULTATIONS, case.consultations_due)
    if state in (S.CONSULTING, S.PROPOSED, S.AT_PANEL):
        return _panel_milestone(case, round_)
    if state in (S.DECIDED, S.OFFER_APPROVED):
        return _offer_day_milestone(round_)
    return None  # no decision yet: only the statutory deadline is left


# --- After offer day ----------------------------------------------------------------------


def _by(day: dt.date) -> dt.datetime:
    """By ``day``: before that day ends in London."""
    return clock.end_of_day_in_london(day)


def mediation_milestone(mediation: MediationRecord) -> Milestone | None:
    """An open mediation's milestone: to take place within 30 days of the request (whenever
    the meeting is booked for, until its end is recorded), then, ended without agreement,
    the certificate within 3 working days of the end; agreed, the change to approve in the
    same time. The same dates as the caseworker's page (``offers.selectors.mediation_due``)."""
    if mediation.outcome == MediationResult.AWAITING_APPROVAL and mediation.ended_on is not None:
        due = certificate_by(mediation.ended_on)
        return Milestone(MilestoneKind.APPROVAL, _by(due))
    if mediation.outcome != MediationResult.PENDING:
        return None  # ended: nothing left to do on it
    if mediation.ended_on is not None:
        if mediation.certificate_issued_on is not None:
            return None
        due = certificate_by(mediation.ended_on)
        return Milestone(MilestoneKind.CERTIFICATE, _by(due))
    limit = mediation_by(mediation.requested_on)
    return Milestone(MilestoneKind.MEDIATION_BY, _by(limit))


def appeal_milestones(appeal: AppealRecord, now: dt.datetime | None) -> list[Milestone]:
    """An appeal's order still to carry out, and, while it is undecided, the council's
    response to the Tribunal until that day has ended, then the hearing (when one is set)."""
    found: list[Milestone] = []
    if appeal.order_open and appeal.order_due_on is not None:
        found.append(Milestone(MilestoneKind.ORDER, _by(appeal.order_due_on)))
    if appeal.is_open:
        response = Milestone(MilestoneKind.RESPONSE, _by(appeal.response_due_on))
        answered = now is not None and now >= response.due
        if answered and appeal.hearing_on is not None:
            found.append(Milestone(MilestoneKind.HEARING, _by(appeal.hearing_on)))
        else:
            found.append(response)
    return found


def after_offer_milestone(case: CaseFacts, now: dt.datetime | None = None) -> Milestone | None:
    """The most pressing milestone of the case's open mediations, appeals and orders: the
    first due; on a tie, the first in ``AFTER_OFFER_ORDER``. None when nothing is open."""
    found = [m for m in map(mediation_milestone, case.mediations) if m is not None]
    for appeal in case.appeals:
        found += appeal_milestones(appeal, now)
    if not found:
        return None
    return min(found, key=lambda m: (m.due, AFTER_OFFER_ORDER.index(m.kind)))


def final_milestone(round_: RoundFacts, now: dt.datetime | None = None) -> Milestone:
    """The statutory deadline; once it has passed, the start of the school year."""
    if now is not None and now >= round_.statutory_deadline_at:
        return Milestone(MilestoneKind.START_OF_YEAR, round_.school_year_starts_at)
    return Milestone(MilestoneKind.DEADLINE, round_.statutory_deadline_at)


def next_milestone(
    case: CaseFacts, round_: RoundFacts, now: dt.datetime | None = None
) -> Milestone | None:
    """The first-due milestone still ahead of a case; None once it is closed.

    ``now`` moves the rules on past the statutory deadline (to the start of the school
    year) and an appeal past its response date (to the hearing); without it, the round
    is taken to be before its deadline.
    """
    if case.state == S.WITHDRAWN:
        return None
    after = after_offer_milestone(case, now)
    if after is not None:
        return after
    if case.state not in OPEN:
        if case.school_named is False:  # told a type of setting only: a school to name
            return Milestone(MilestoneKind.START_OF_YEAR, round_.school_year_starts_at)
        return None
    final = final_milestone(round_, now)
    own = stage_milestone(case, round_)
    # On a tie the stage's own milestone is the more useful one to show.
    return own if own is not None and own.due <= final.due else final


def stage_of_case(case: CaseFacts, milestone: Milestone | None) -> BoardStage:
    """The case's stage on the board: what is open after offer day, else its state's."""
    if milestone is not None and milestone.kind in AFTER_OFFER_STAGE:
        return AFTER_OFFER_STAGE[milestone.kind]
    return stage_of(case.state)


def status_of(milestone: Milestone | None, now: dt.datetime) -> Status:
    if milestone is None:
        return Status.CLOSED
    if now >= milestone.due:
        return Status.OVERDUE
    if milestone.due - now <= WEEK:
        return Status.DUE_SOON
    return Status.ON_TRACK


# Milestones the council itself must meet (the others are a family's, a school's, a
# panel's or the Tribunal's, and are late only once overdue).
COUNCIL_MILESTONES = frozenset(
    {
        MilestoneKind.CONSULT_BY,
        MilestoneKind.PANEL_BY,
        MilestoneKind.OFFER_DAY,
        MilestoneKind.DEADLINE,
        MilestoneKind.START_OF_YEAR,
        MilestoneKind.ORDER,
        MilestoneKind.CERTIFICATE,
        MilestoneKind.APPROVAL,
        MilestoneKind.RESPONSE,
        MilestoneKind.MEDIATION_BY,
    }
)
PRESSING = frozenset({Status.OVERDUE, Status.DUE_SOON})


def risk_reason(
    case: CaseFacts,
    round_: RoundFacts,
    milestone: Milestone | None,
    status: Status,
    now: dt.datetime,
) -> str:
    """Why the case will miss the statutory deadline unless someone acts this week (see
    module docstring), in words a co-ordinator acts on; "" when it is not at risk."""
    if milestone is not None and (
        milestone.kind in AFTER_OFFER_STAGE
        or (milestone.kind == MilestoneKind.START_OF_YEAR and case.state not in OPEN)
    ):
        # After offer day: what the council must do, late or due this week.
        if milestone.kind in COUNCIL_MILESTONES and status in PRESSING:
            return _due_words(milestone, status, now)
        return ""
    if case.state not in WITHOUT_APPROVED_OFFER:
        return ""
    if status == Status.OVERDUE and milestone is not None:
        return _due_words(milestone, status, now)
    if status == Status.DUE_SOON and milestone is not None and milestone.kind in COUNCIL_MILESTONES:
        return _due_words(milestone, status, now)
    if case.state not in BEFORE_DECISION:
        return ""
    in_time = case.panel_at is not None and case.panel_at < round_.panel_cutoff
    if not in_time and round_.panel_cutoff - now <= WEEK:
        cutoff = round_.panel_cutoff.astimezone(clock.LONDON)
        days = _days((round_.panel_cutoff - now).days)
        return f"No panel date before the cut-off ({cutoff:%-d %B}, {days})"
    return ""


def _days(days: int) -> str:
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} ago"
    return "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"


def _due_words(milestone: Milestone, status: Status, now: dt.datetime) -> str:
    days = (milestone.due - now).days
    when = milestone.due.astimezone(clock.LONDON)
    if status == Status.OVERDUE:
        return f"{milestone.label}: overdue since {when:%-d %B}"
    return f"{milestone.label}: due {when:%-d %B} ({_days(days)})"


def at_risk(
    case: CaseFacts,
    round_: RoundFacts,
    milestone: Milestone | None,
    status: Status,
    now: dt.datetime,
) -> bool:
    """Will miss the statutory deadline unless someone acts this week (see module docstring)."""
    return bool(risk_reason(case, round_, milestone, status, now))
