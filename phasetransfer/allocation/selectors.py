"""Reads of allocation: the round's policy, its latest finished run, what can be allocated."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from phasetransfer.allocation.codes import FULL_CODES
from phasetransfer.models import (
    AllocationPolicy,
    AllocationRun,
    CaseState,
    Proposal,
    Round,
    RunStatus,
)

# Cases the model (re)allocates. Cases already before a panel or decided keep their
# place, which is taken out of the capacity the model sees.
ALLOCATABLE = (CaseState.CONSULTING, CaseState.PROPOSED, CaseState.NO_DECISION_YET)
# Cases that hold a place the model does not give to anyone else.
HOLDING = (
    CaseState.AT_PANEL,
    CaseState.DECIDED,
    CaseState.OFFER_APPROVED,
    CaseState.RELEASED,
    CaseState.ACCEPTED,
    CaseState.APPEALED,
)


def policy_for(round_: Round) -> AllocationPolicy:
    """The round's policy; until an officer saves one, the defaults (not saved: a read)."""
    return AllocationPolicy.objects.filter(round=round_).first() or AllocationPolicy(round=round_)


def latest_run(round_: Round) -> AllocationRun | None:
    return AllocationRun.objects.filter(round=round_, status=RunStatus.DONE).first()


def held_by_proposals(round_: Round) -> Counter[int]:
    """Places taken by cases before a panel or decided, by their latest proposal; a case
    with a conditional offer holds places by the reservation rule instead
    (``reservation``), whatever it was proposed."""
    latest: dict[int, int | None] = {}
    for case_id, setting_id in (
        Proposal.objects.filter(case__round=round_, case__state__in=HOLDING, run__status="done")
        .exclude(case__conditional_hold__isnull=False)
        .order_by("case_id", "run__requested_at", "run_id")
        .values_list("case_id", "setting_id")
    ):
        latest[case_id] = setting_id
    return Counter(setting_id for setting_id in latest.values() if setting_id is not None)


def allocatable_count(round_: Round) -> int:
    return round_.cases.filter(state__in=ALLOCATABLE).count()


@dataclass(frozen=True)
class Holder:
    """A child placed at a setting in a run, and their claim there."""

    reference: str
    rank: int | None  # None: a fallback the family did not name
    group: int | None
    km: float | None

    @property
    def claim(self) -> tuple[float, ...]:
        return claim_order(self.rank, self.group, self.km)


def holders_at(run: AllocationRun, setting_ids: set[int]) -> dict[int, list[Holder]]:
    """Who the run placed at each setting, in the order of their claims (staff only: it
    names children)."""
    found: dict[int, list[Holder]] = {}
    rows = (
        Proposal.objects.filter(run=run, setting_id__in=setting_ids)
        .values_list(
            "setting_id", "case__reference", "preference_rank", "rule_group", "distance_km"
        )
        .order_by("case__reference")
    )
    for setting_id, reference, rank, group, km in rows:
        found.setdefault(setting_id, []).append(Holder(reference, rank, group, km))
    for holders in found.values():
        holders.sort(key=lambda holder: holder.claim)
    return found


def claim_order(rank: float | None, group: float | None, km: float | None) -> tuple[float, ...]:
    """A claim on a setting as a sort key, smaller first: the family's rank of it (a
    fallback they never named last), then the rule's group, then distance."""
    return tuple(float("inf") if value is None else value for value in (rank, group, km))


def holders_attach(run: AllocationRun, proposals: list[Proposal]) -> None:
    """Give each "full" reason of ``proposals`` the children holding that setting's places,
    each with whether their claim came before this child's (their rank there, then the
    rule's group, then distance)."""
    full = {
        reason["setting_id"]
        for proposal in proposals
        for reason in proposal.reasons
        if reason["code"] in FULL_CODES and reason.get("setting_id")
    }
    holders = holders_at(run, full) if full else {}
    for proposal in proposals:
        for reason in proposal.reasons:
            figures = reason.get("figures") or {}
            if reason["code"] in FULL_CODES and "group" in figures:
                mine = claim_order(reason["rank"], figures["group"], figures["km"])
                reason["holders"] = [
                    (holder, holder.claim <= mine)
                    for holder in holders.get(reason["setting_id"], [])
                ]
