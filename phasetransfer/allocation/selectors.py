"""Reads of allocation: the round's policy, its latest finished run, what can be allocated."""

from __future__ import annotations

from phasetransfer.models import AllocationPolicy, AllocationRun, CaseState, Round, RunStatus

# Cases the model (re)allocates. Cases already before a panel or decided keep their
# place, which is taken out of the capacity the model sees.
ALLOCATABLE = (CaseState.CONSULTING, CaseState.PROPOSED, CaseState.NO_DECISION_YET)


def policy_for(round_: Round) -> AllocationPolicy:
    """The round's policy; until an officer saves one, the defaults (not saved: a read)."""
    return AllocationPolicy.objects.filter(round=round_).first() or AllocationPolicy(round=round_)


def latest_run(round_: Round) -> AllocationRun | None:
    return AllocationRun.objects.filter(round=round_, status=RunStatus.DONE).first()


def allocatable_count(round_: Round) -> int:
    return round_.cases.filter(state__in=ALLOCATABLE).count()
