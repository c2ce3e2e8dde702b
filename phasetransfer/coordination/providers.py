"""What other apps tell the co-ordination board: a small registry of providers.

The core never imports panels or offers (dependencies point offers -> panels ->
phasetransfer), so they register functions here when Django starts:

* panels (``panels.apps.PanelsConfig.ready``, from ``panels/coordination.py``): panel dates,
  the panel cut-off, and the setting each current decision names;
* offers (``offers.apps.OffersConfig.ready``, from ``offers/coordination.py``): after offer
  day, what each family was told (published releases), mediations and SEND Tribunal
  appeals, with the orders they led to, and post-16 conditional offers with how and when
  each was settled.

Each provider answers for a whole round in one or two queries, as plain records defined
here, so the rules (``milestones.py``, ``figures.py``) stay computation on facts that tests
can build by hand. Without a provider the board behaves as if the app had nothing to say.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from phasetransfer.models import Round

# --- What offers tells the board (records) ------------------------------------------------


class MediationResult(StrEnum):
    """A mediation's outcome (the values of ``offers.models.MediationOutcome``)."""

    PENDING = "pending"
    AWAITING_APPROVAL = "awaiting"
    AGREED = "agreed"
    NOT_AGREED = "not_agreed"
    WITHDRAWN = "withdrawn"


OPEN_MEDIATION = frozenset({MediationResult.PENDING, MediationResult.AWAITING_APPROVAL})


class AppealResult(StrEnum):
    """A SEND Tribunal appeal's outcome (the values of ``offers.models.AppealOutcome``)."""

    DISMISSED = "dismissed"
    CONCEDED = "conceded"
    UPHELD = "upheld"
    WITHDRAWN = "withdrawn"
    PENDING = "pending"

    @property
    def label(self) -> str:
        return APPEAL_RESULT_LABELS[self]


APPEAL_RESULT_LABELS: dict[AppealResult, str] = {
    AppealResult.DISMISSED: "Dismissed",
    AppealResult.CONCEDED: "Conceded by the council",
    AppealResult.UPHELD: "Upheld by the Tribunal",
    AppealResult.WITHDRAWN: "Withdrawn by the family",
    AppealResult.PENDING: "Not decided yet",
}


@dataclass(frozen=True)
class ReleaseRecord:
    """One published release: what a family was told, and when (release 1 is offer day)."""

    case_id: int
    number: int
    completed_at: dt.datetime
    # An offer naming a setting; False for a type of setting only or "no decision yet".
    names_setting: bool


@dataclass(frozen=True)
class MediationRecord:
    case_id: int
    requested_on: dt.date
    meeting_on: dt.date | None
    ended_on: dt.date | None
    certificate_issued_on: dt.date | None
    outcome: MediationResult
    changed_decision: bool  # the agreement was approved and the decision changed

    @property
    def is_open(self) -> bool:
        return self.outcome in OPEN_MEDIATION


@dataclass(frozen=True)
class AppealRecord:
    case_id: int
    lodged_on: dt.date
    independent_requested: bool
    response_due_on: dt.date
    hearing_on: dt.date | None
    outcome: AppealResult
    # Set when the appeal was conceded or upheld with a setting to name (5 weeks).
    order_due_on: dt.date | None
    implemented_on: dt.date | None

    @property
    def is_open(self) -> bool:
        return self.outcome == AppealResult.PENDING

    @property
    def order_open(self) -> bool:
        """An order (or a concession) naming a setting, not yet carried out."""
        return self.order_due_on is not None and self.implemented_on is None


class SettledResult(StrEnum):
    """How a conditional offer was settled (the values of ``panels.models.Settled``)."""

    MET = "met"
    NOT_MET = "not_met"
    UNSETTLED = ""


@dataclass(frozen=True)
class ConditionalRecord:
    """A case's post-16 conditional offer: when the family was first told it, and how it ended.

    A case is recorded when a published release of it carried a conditional decision, or
    when its current decision is conditional and not yet released (``first_released_at``
    is None): the offer is decided, so it counts among decided cases, but it has not been
    made to the family yet.
    """

    case_id: int
    # completed_at of the first release publishing a conditional decision; None: not yet.
    first_released_at: dt.datetime | None
    # decided_at of the decision that settled it (``settled`` set, superseding it).
    settled_at: dt.datetime | None = None
    settled: SettledResult = SettledResult.UNSETTLED
    # decided_at of a decision that replaced it without settling it (a mediation agreed, a
    # tribunal's order, the panel changing its mind): no longer conditional, not settled.
    replaced_at: dt.datetime | None = None

    @property
    def closed_at(self) -> dt.datetime | None:
        """When the offer stopped being conditional: settled, or replaced."""
        return self.settled_at or self.replaced_at

    def open_at(self, moment: dt.datetime) -> bool:
        """Made to the family before ``moment`` and still conditional at it."""
        if self.first_released_at is None or self.first_released_at >= moment:
            return False
        return self.closed_at is None or self.closed_at >= moment


# --- The registry ---------------------------------------------------------------------

PanelDatesProvider = Callable[[Round], Mapping[int, dt.datetime]]
PanelCutoffProvider = Callable[[Round], dt.datetime]
DecidedSettingsProvider = Callable[[Round], Mapping[int, int | None]]
ReleasesProvider = Callable[[Round], Sequence[ReleaseRecord]]
MediationsProvider = Callable[[Round], Sequence[MediationRecord]]
AppealsProvider = Callable[[Round], Sequence[AppealRecord]]
ConditionalOffersProvider = Callable[[Round], Sequence[ConditionalRecord]]


@dataclass
class _Providers:
    panel_dates: PanelDatesProvider | None = None
    panel_cutoff: PanelCutoffProvider | None = None
    decided_settings: DecidedSettingsProvider | None = None
    releases: ReleasesProvider | None = None
    mediations: MediationsProvider | None = None
    appeals: AppealsProvider | None = None
    conditional_offers: ConditionalOffersProvider | None = None


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


def register_releases(provider: ReleasesProvider) -> None:
    """``provider(round)`` -> every published (completed) release of the round's cases."""
    _providers.releases = provider


def register_mediations(provider: MediationsProvider) -> None:
    """``provider(round)`` -> every mediation of the round's cases, open or ended."""
    _providers.mediations = provider


def register_appeals(provider: AppealsProvider) -> None:
    """``provider(round)`` -> every SEND Tribunal appeal of the round's cases."""
    _providers.appeals = provider


def register_conditional_offers(provider: ConditionalOffersProvider) -> None:
    """``provider(round)`` -> a record per case of the round with a conditional offer made
    (released) or decided and not yet released (:class:`ConditionalRecord`)."""
    _providers.conditional_offers = provider


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


def releases(round_: Round) -> Sequence[ReleaseRecord]:
    provider = _providers.releases
    return provider(round_) if provider is not None else ()


def mediations(round_: Round) -> Sequence[MediationRecord]:
    provider = _providers.mediations
    return provider(round_) if provider is not None else ()


def appeals(round_: Round) -> Sequence[AppealRecord]:
    provider = _providers.appeals
    return provider(round_) if provider is not None else ()


def conditional_offers(round_: Round) -> Sequence[ConditionalRecord]:
    provider = _providers.conditional_offers
    return provider(round_) if provider is not None else ()


def latest_releases(
    records: Sequence[ReleaseRecord], *, before: dt.datetime | None = None
) -> dict[int, ReleaseRecord]:
    """case id -> its latest release published before ``before`` (all of them without it)."""
    latest: dict[int, ReleaseRecord] = {}
    for record in records:
        if before is not None and record.completed_at >= before:
            continue
        known = latest.get(record.case_id)
        if known is None or record.number > known.number:
            latest[record.case_id] = record
    return latest
