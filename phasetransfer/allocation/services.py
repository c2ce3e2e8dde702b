"""Running the allocation model for a round and storing its proposals.

A run is requested (one active run per round, enforced by the database), then
executed by a Celery worker or inline by the ``allocate`` command. Progress is
written to the run row so the officer's page can show it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict
from typing import Any, TypedDict

from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict

from phasetransfer.allocation.codes import FULL_CAME_FIRST, FULL_PLACING_OTHERS
from phasetransfer.allocation.comparison import compare_policies
from phasetransfer.allocation.compile import CompiledRound, round_compile
from phasetransfer.allocation.engine import (
    FULL,
    Allocation,
    Reason,
    deferred_acceptance,
    fairness_report,
    solve,
)
from phasetransfer.allocation.reasons import reason_text
from phasetransfer.allocation.selectors import claim_order, policy_for
from phasetransfer.cases.state import cases_move_bulk
from phasetransfer.core import clock
from phasetransfer.models import (
    AllocationPolicy,
    AllocationRun,
    CaseState,
    Objective,
    Proposal,
    Round,
    RunStatus,
    User,
)

logger = logging.getLogger(__name__)


def policy_save(*, round_: Round, values: dict[str, Any], actor: User) -> AllocationPolicy:
    """Save the round's policy (the first save creates it; two at once leave one row)."""
    policy, _ = AllocationPolicy.objects.update_or_create(
        round=round_, defaults={**values, "updated_by": actor}
    )
    return policy


class AllocationBusy(Exception):
    """Another run for the round is queued or running."""


def allocation_request(
    *, round_: Round, actor: User | None, now: dt.datetime | None = None, queue: bool = True
) -> AllocationRun:
    policy = policy_for(round_)
    snapshot = model_to_dict(policy, exclude=["id", "round", "updated_by"])
    try:
        with transaction.atomic():
            run = AllocationRun.objects.create(
                round=round_,
                requested_by=actor,
                requested_at=now or clock.now(),
                policy={k: v for k, v in snapshot.items() if k != "updated_at"},
            )
    except IntegrityError:
        raise AllocationBusy(f"An allocation for {round_} is already queued or running.") from None
    if queue:
        from phasetransfer.allocation.tasks import allocate_round

        transaction.on_commit(lambda: allocate_round.delay(run.pk))
    return run


def _progress(run: AllocationRun, percent: int, stage: str) -> None:
    AllocationRun.objects.filter(pk=run.pk).update(progress=percent, stage=stage)


class ReasonRow(TypedDict):
    """Why a preference ranked above the proposal was not proposed (stored on the proposal)."""

    rank: int
    setting_id: int | None
    name: str
    code: str
    grounds: list[str]
    text: str
    figures: dict[str, Any]


class _Claims:
    """Who holds each setting's places in an allocation, and how their claims compare."""

    def __init__(self, compiled: CompiledRound, allocation: Allocation) -> None:
        self.compiled = compiled
        self.holders: dict[str, list[tuple[float, ...]]] = {}
        for key, setting in allocation.assignments.items():
            if setting is not None:
                self.holders.setdefault(setting, []).append(self.claim(key, setting))

    def claim(self, key: str, setting: str) -> tuple[float, ...]:
        info = self.compiled.options[(key, setting)]
        return claim_order(info.rank, info.group, info.km)

    def code(self, key: str, setting: str) -> str:
        """ "full" when every holder came first (ranked it higher, or as high and earlier
        under the rule); otherwise some places went to others to place more children."""
        mine = self.claim(key, setting)
        if all(held <= mine for held in self.holders.get(setting, [])):
            return FULL_CAME_FIRST
        return FULL_PLACING_OTHERS


def _model_reason(
    compiled: CompiledRound, claims: _Claims, key: str, reason: Reason, rank: int
) -> ReasonRow:
    setting = compiled.settings[reason.setting]
    code, figures = reason.reason, {}
    if compiled.problem.objective == Objective.RANKS and reason.reason == FULL:
        code = claims.code(key, reason.setting)
        info = compiled.options[(key, reason.setting)]
        # This child's own claim there, so staff can see whose claims came before it.
        figures = {"rule": compiled.rule_label, "group": info.group, "km": info.km}
    return {
        "rank": rank,
        "setting_id": setting.pk,
        "name": setting.name,
        "code": code,
        "grounds": [],
        "text": reason_text(code, setting.name, detail=figures),
        "figures": figures,
    }


def _reasons(
    compiled: CompiledRound, allocation: Allocation, claims: _Claims, key: str
) -> list[ReasonRow]:
    assigned = allocation.assignments.get(key)
    info = compiled.options.get((key, assigned)) if assigned else None
    cutoff = info.rank if info is not None and info.rank is not None else None
    rows: list[ReasonRow] = []
    for reason in allocation.reasons.get(key, []):
        option = compiled.options[(key, reason.setting)]
        if option.rank is None:
            continue  # a fallback the family never named needs no explanation to them
        rows.append(_model_reason(compiled, claims, key, reason, option.rank))
    for excluded in compiled.excluded.get(key, []):
        if cutoff is None or excluded.rank < cutoff:
            figures: dict[str, Any] = (
                {"comparison": asdict(excluded.comparison)} if excluded.comparison else {}
            )
            rows.append(
                {
                    "rank": excluded.rank,
                    "setting_id": excluded.setting_id,
                    "name": excluded.name,
                    "code": excluded.reason,
                    "grounds": list(excluded.grounds),
                    "text": reason_text(
                        excluded.reason, excluded.name, excluded.grounds, detail=figures
                    ),
                    "figures": figures,
                }
            )
    return sorted(rows, key=lambda row: row["rank"])


def _family_rates(compiled: CompiledRound, allocation: Allocation) -> dict[str, object]:
    """First- and any-preference rates by the family's own ranks (not the model's options)."""
    total = len(compiled.cases)
    ranks = [
        compiled.options[(key, setting)].rank if setting else None
        for key, setting in allocation.assignments.items()
    ]
    placed = [rank for rank in ranks if rank is not None]
    return {
        "family_first_preference_rate": sum(1 for r in placed if r == 1) / total if total else None,
        "family_any_preference_rate": len(placed) / total if total else None,
        "fallback_placements": sum(
            1
            for key, s in allocation.assignments.items()
            if s and compiled.options[(key, s)].rank is None
        ),
    }


def _report(
    round_: Round, policy: AllocationPolicy, compiled: CompiledRound, allocation: Allocation
) -> dict[str, object]:
    distances = compiled.distances
    stable = deferred_acceptance(compiled.problem)
    return {
        "min_cost_flow": {
            **fairness_report(compiled.problem, allocation, distances),
            **_family_rates(compiled, allocation),
        },
        "deferred_acceptance": {
            **fairness_report(compiled.problem, stable, distances),
            **_family_rates(compiled, stable),
        },
        "children_placed_differently": sum(
            1 for child, s in allocation.assignments.items() if stable.assignments[child] != s
        ),
        "objective": policy.objective,
        "policies": compare_policies(
            round_=round_, policy=policy, compiled=compiled, allocation=allocation, stable=stable
        ),
    }


def _write(run: AllocationRun, compiled: CompiledRound, allocation: Allocation) -> None:
    claims = _Claims(compiled, allocation)
    proposals = []
    for key, case in compiled.cases.items():
        setting_key = allocation.assignments.get(key)
        info = compiled.options.get((key, setting_key)) if setting_key else None
        proposals.append(
            Proposal(
                run=run,
                case=case,
                setting=compiled.settings[setting_key] if setting_key else None,
                preference_rank=info.rank if info else None,
                is_fallback=info is not None and info.rank is None,
                cost=info.cost if info else None,
                distance_km=info.km if info else None,
                rule_group=info.group if info else None,
                reasons=_reasons(compiled, allocation, claims, key),
            )
        )
    Proposal.objects.bulk_create(proposals, batch_size=1000)


def allocation_execute(*, run_id: int, now: dt.datetime | None = None) -> AllocationRun | None:
    """Run a queued allocation. Safe to call twice: only the caller that claims it runs it."""
    claimed = AllocationRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, stage="Reading the round", progress=5
    )
    if not claimed:
        return None
    run = AllocationRun.objects.select_related("round").get(pk=run_id)
    try:
        policy = policy_for(run.round)
        compiled = round_compile(round_=run.round, policy=policy)
        _progress(run, 30, "Solving")
        allocation = solve(compiled.problem)
        _progress(run, 55, "Comparing with the other objective and deferred acceptance")
        report = _report(run.round, policy, compiled, allocation)
        _progress(run, 75, "Writing proposals")
        with transaction.atomic():
            _write(run, compiled, allocation)
            cases_move_bulk(
                name="propose",
                case_ids=[c.pk for c in compiled.cases.values() if c.state != CaseState.PROPOSED],
                actor=run.requested_by,
                now=now or clock.now(),
            )
            AllocationRun.objects.filter(pk=run.pk).update(
                status=RunStatus.DONE,
                progress=100,
                stage="Done",
                objective=allocation.objective,
                report=report,
                finished_at=clock.now(),
            )
    except Exception as exc:
        logger.exception("allocation run %s failed", run_id)
        AllocationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            stage="Failed",
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=clock.now(),
        )
        raise
    run.refresh_from_db()
    return run
