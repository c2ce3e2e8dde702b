"""Turn a raw assignment vector into an ``Allocation`` with truthful reasons.

Both algorithms end here, so "full" and "cost" mean the same thing whichever produced the
allocation: they describe the final allocation, not the path an algorithm took to it.
"""

from __future__ import annotations

import numpy as np

from phasetransfer.allocation.engine.compiled import NO_GROUP, CompiledProblem
from phasetransfer.allocation.engine.result import COST, FULL, Allocation, Reason

UNPLACED = -1


def assigned_settings(cp: CompiledProblem, assigned_option: np.ndarray) -> np.ndarray:
    """Setting position per child, ``UNPLACED`` for unplaced children."""
    placed = assigned_option >= 0
    settings = np.full(cp.num_children, UNPLACED, dtype=np.int64)
    settings[placed] = cp.option_setting[assigned_option[placed]]
    return settings


def loads(cp: CompiledProblem, settings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Children placed per setting and per group."""
    placed = settings[settings >= 0]
    setting_load = np.bincount(placed, minlength=cp.num_settings).astype(np.int64)
    groups = cp.setting_group[placed]
    group_load = np.bincount(groups[groups != NO_GROUP], minlength=cp.num_groups).astype(np.int64)
    return setting_load, group_load


def full_settings(cp: CompiledProblem, settings: np.ndarray) -> np.ndarray:
    """True where the setting, or its group, has no room left."""
    setting_load, group_load = loads(cp, settings)
    full = setting_load >= cp.setting_capacity
    grouped = cp.setting_group != NO_GROUP
    group_of = cp.setting_group[grouped]
    full[grouped] |= group_load[group_of] >= cp.group_capacity[group_of]
    return full


def objective(cp: CompiledProblem, assigned_option: np.ndarray) -> int:
    placed = assigned_option >= 0
    return int(cp.option_cost[assigned_option[placed]].sum() + cp.unplaced_cost[~placed].sum())


def assigned_ranks(cp: CompiledProblem, assigned_option: np.ndarray) -> np.ndarray:
    """Preference rank of each child's placement; unplaced children rank after every option."""
    ranks = np.diff(cp.option_start)
    placed = assigned_option >= 0
    ranks[placed] = cp.option_rank[assigned_option[placed]]
    return ranks


def build_reasons(
    cp: CompiledProblem, assigned_option: np.ndarray, settings: np.ndarray
) -> dict[str, list[Reason]]:
    ranks = assigned_ranks(cp, assigned_option)
    full = full_settings(cp, settings)
    # Every child not on their first option gets a key, even one with no options at all.
    reasons: dict[str, list[Reason]] = {
        cp.child_ids[c]: [] for c in np.flatnonzero((ranks > 0) | (settings == UNPLACED)).tolist()
    }
    above = np.flatnonzero(cp.option_rank < ranks[cp.option_child])
    children = cp.option_child[above].tolist()
    above_settings = cp.option_setting[above]
    codes = np.where(full[above_settings], FULL, COST).tolist()
    setting_ids = cp.setting_ids
    child_ids = cp.child_ids
    for child, setting, code in zip(children, above_settings.tolist(), codes, strict=True):
        reasons[child_ids[child]].append(Reason(setting_ids[setting], code))
    return reasons


def build_allocation(cp: CompiledProblem, assigned_option: np.ndarray, status: str) -> Allocation:
    """``assigned_option`` holds, per child, the position of its chosen option or -1."""
    settings = assigned_settings(cp, assigned_option)
    # Index -1 (unplaced) lands on the trailing None.
    names: list[str | None] = [*cp.setting_ids, None]
    assignments = dict(zip(cp.child_ids, [names[s] for s in settings.tolist()], strict=True))
    return Allocation(
        status=status,
        objective=objective(cp, assigned_option),
        assignments=assignments,
        reasons=build_reasons(cp, assigned_option, settings),
    )
