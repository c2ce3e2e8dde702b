"""Stages, milestones and RAG status of a case, and the registry other apps feed them through.

Everything here is plain computation on facts gathered by the selectors, so the rules
can be tested at their edges without a database. The rules (docs/coordination.md):

* **Stage**: the case's state, grouped as a co-ordinator speaks of it.
* **Next milestone**: of the milestones still ahead of an open case (its stage's own,
  and the statutory deadline), the one due first.
* **RAG status** against the server clock ``now``: *overdue* when ``now >= due``;
  *due within 7 days* when ``now < due <= now + 7 days``; *on track* otherwise;
  *closed* when the case has no milestone left (released, accepted, appealed, withdrawn).
* **At risk this week** (will miss the statutory deadline unless someone acts this week):
  a case without an approved offer (identified ... at panel, decided but not signed off,
  or told "no decision yet") where (a) its next milestone is overdue; or (b) its next
  milestone is one the council itself must meet (consult schools by, panel needed by,
  SEN offer day for an unapproved decision, the statutory deadline) and is due within
  7 days; or (c) it is not yet decided, has no panel date before the panel cut-off, and
  the cut-off is 7 days away or less. Milestones others meet while still in time (a
  family's preferences, a school's answer, a panel already booked) are not (b): they are
  amber on the board, but nobody needs to act yet.

Panels own panel dates, the cut-off and decisions. The core cannot import panels
(dependencies point offers -> panels -> phasetransfer), so panels registers providers
here when Django starts (``panels.apps.PanelsConfig.ready``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from phasetransfer.core import clock
from phasetransfer.models import CaseState, Round

S = CaseState
WEEK = dt.timedelta(days=7)

# --- The registry ---------------------------------------------------------------------

PanelDatesProvider = Callable[[Round], Mapping[int, dt.datetime]]
PanelCutoffProvider = Callable[[Round], dt.datetime]
DecidedSettingsProvider = Callable[[Round], Mapping[int, int | None]]


@dataclass
class _Providers:
    panel_dates: PanelDatesProvider | None = None
    panel_cutoff: PanelCutoffProvider | None = None
    decided_settings: DecidedSettingsProvider | None = None


_providers = _Providers()


def register_panel_dates(provider: PanelDatesProvider) -> None:
    """``provider(round)`` -> {case id: start of the panel session the case is scheduled in}."""
    _providers.panel_dates = provider


def register_panel_cutoff(provider: PanelCutoffProvider) -> None:
    """``provider(round)`` -> the instant before which a panel must sit to make offer day."""
    _providers.panel_cutoff = provider


def register_decided_settings(provider: DecidedSettingsProvider) -> None:
    """``provider(round)`` -> {case id: setting id named by its current final decision}.

    ``None`` for a decision that names only a type of setting. Cases whose decision is
    not final (deferred, further consultation) are left out.
    """
    _providers.decided_settings = provider


def panel_dates(round_: Round) -> Mapping[int, dt.datetime]:
    provider = _providers.panel_dates
    return provider(round_) if provider is not None else {}


def panel_cutoff(round_: Round) -> dt.datetime:
    """Panels' cut-off; without panels, offer day (or the statutory deadline) stands in."""
    provider = _providers.panel_cutoff
    if provider is not None:
        return provider(round_)
    return round_.offer_day_at or round_.statutory_deadline_at


def decided_settings(round_: Round) -> Mapping[int, int | None]:
    provider = _providers.decided_settings
    return provider(round_) if provider is not None else {}


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
    Stage.APPEALED: "Appealed",
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


@dataclass(frozen=True)
class CaseFacts:
    state: str
    # The latest due moment of the case's live consultations, if any is still pending.
    consultations_due: dt.datetime | None = None
    # The start of the panel session the case is scheduled in, if any.
    panel_at: dt.datetime | None = None


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


def next_milestone(case: CaseFacts, round_: RoundFacts) -> Milestone | None:
    """The first-due milestone still ahead of an open case; None once it is closed."""
    if case.state not in OPEN:
        return None
    deadline = Milestone(MilestoneKind.DEADLINE, round_.statutory_deadline_at)
    own = stage_milestone(case, round_)
    # On a tie the stage's own milestone is the more useful one to show.
    return own if own is not None and own.due <= deadline.due else deadline


def status_of(milestone: Milestone | None, now: dt.datetime) -> Status:
    if milestone is None:
        return Status.CLOSED
    if now >= milestone.due:
        return Status.OVERDUE
    if milestone.due - now <= WEEK:
        return Status.DUE_SOON
    return Status.ON_TRACK


# Milestones the council itself must meet (the others are a family's, a school's or a
# panel's, and are late only once overdue).
COUNCIL_MILESTONES = frozenset(
    {
        MilestoneKind.CONSULT_BY,
        MilestoneKind.PANEL_BY,
        MilestoneKind.OFFER_DAY,
        MilestoneKind.DEADLINE,
    }
)


def at_risk(
    case: CaseFacts,
    round_: RoundFacts,
    milestone: Milestone | None,
    status: Status,
    now: dt.datetime,
) -> bool:
    """Will miss the statutory deadline unless someone acts this week (see module docstring)."""
    if case.state not in WITHOUT_APPROVED_OFFER:
        return False
    if status == Status.OVERDUE:
        return True
    if status == Status.DUE_SOON and milestone is not None and milestone.kind in COUNCIL_MILESTONES:
        return True
    if case.state not in BEFORE_DECISION:
        return False
    in_time = case.panel_at is not None and case.panel_at < round_.panel_cutoff
    return not in_time and round_.panel_cutoff - now <= WEEK
