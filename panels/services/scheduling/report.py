"""What a scheduling run reports, and the rules and messages its steps share."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from phasetransfer.models import CaseState

logger = logging.getLogger(__name__)


logger = logging.getLogger(__name__)


# A case in one of these states belongs in the session it was placed in; a live placement
# of a case in any other state (re-consulted, withdrawn) is stale and is ended.
PANEL_STATES = (
    CaseState.AT_PANEL,
    CaseState.DECIDED,
    CaseState.OFFER_APPROVED,
    CaseState.RELEASED,
    CaseState.NO_DECISION_YET,
    CaseState.ACCEPTED,
    CaseState.APPEALED,
)


REBUILT = "Panel schedule rebuilt"


DEFAULT_TIME_LIMIT = 10.0


STALE_ERROR = (
    "The run stopped without finishing: its worker was stopped or lost, and it showed no "
    "progress for {minutes} minutes. It changed nothing. Schedule again."
)


AGAIN = "run the scheduler again"


class SchedulingBusy(Exception):
    """Another scheduling run for the round is queued or running."""


class RunAbandoned(Exception):
    """The run was taken for dead (marked failed) while it worked: it must write nothing."""


@dataclass
class Unplaced:
    case_id: int
    reference: str
    area: str
    reason: str


@dataclass
class AreaSummary:
    area: str
    sessions: int
    cases: int
    placed: int
    unplaced: int
    conflicted: int
    lowest_fill: float
    highest_fill: float
    status: str
    seconds: float
    classes: int


@dataclass
class ScheduleReport:
    round_id: int
    last_panel_day: str
    scheduled: int = 0
    kept: int = 0  # undecided cases left in the session they were in
    decided: int = 0  # decided cases, never moved
    rebuilt: int = 0  # taken out by rebuild=True (most are scheduled again)
    stale_removed: int = 0
    recusals: int = 0
    unplaced: list[Unplaced] = field(default_factory=list)
    # Cases that changed while the run worked (decided, deferred, withdrawn...): not
    # waiting for a panel any more, so left exactly as they are.
    left_alone: list[Unplaced] = field(default_factory=list)
    areas: list[AreaSummary] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        rebuilt = f" ({self.rebuilt} taken out to rebuild)" if self.rebuilt else ""
        changed = (
            f" {len(self.left_alone)} changed meanwhile and were left as they are."
            if self.left_alone
            else ""
        )
        return (
            f"Scheduled {self.scheduled} case(s){rebuilt}; {self.kept} already at panel kept, "
            f"{self.decided} decided kept; {len(self.unplaced)} could not be placed; "
            f"{self.recusals} recusal(s). {self.seconds:.1f}s.{changed}"
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"summary": self.summary()}
