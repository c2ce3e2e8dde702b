"""Fairness figures for an allocation, and a min-cost-flow vs deferred-acceptance comparison."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from phasetransfer.allocation.engine.compiled import NO_GROUP, CompiledProblem
from phasetransfer.allocation.engine.deferred_acceptance import deferred_acceptance, id_ranks
from phasetransfer.allocation.engine.problem import Problem
from phasetransfer.allocation.engine.reasons import UNPLACED, assigned_ranks, loads, objective
from phasetransfer.allocation.engine.result import Allocation
from phasetransfer.allocation.engine.solver import solve

Distances = Mapping[tuple[str, str], float]


def assigned_options(cp: CompiledProblem, allocation: Allocation) -> np.ndarray:
    """Option position per child (-1 = unplaced); ValueError if the allocation does not fit."""
    setting_pos = {setting: i for i, setting in enumerate(cp.setting_ids)}
    settings = np.full(cp.num_children, UNPLACED, dtype=np.int64)
    for c, child in enumerate(cp.child_ids):
        setting = allocation.assignments.get(child)
        if setting is not None:
            if setting not in setting_pos:
                raise ValueError(f"child {child!r} is assigned to unknown setting {setting!r}")
            settings[c] = setting_pos[setting]
    matches = np.flatnonzero(cp.option_setting == settings[cp.option_child])
    assigned = np.full(cp.num_children, -1, dtype=np.int64)
    assigned[cp.option_child[matches]] = matches
    wrong = np.flatnonzero((settings != UNPLACED) & (assigned < 0))
    if wrong.size:
        child = cp.child_ids[int(wrong[0])]
        raise ValueError(f"child {child!r} is assigned to a setting that is not one of its options")
    return assigned


def priority_keys(cp: CompiledProblem) -> np.ndarray:
    """One integer per option: lower = higher priority at that setting (cost, then child id)."""
    ranks = np.array(id_ranks(cp.child_ids), dtype=np.int64)
    return cp.option_cost * max(cp.num_children, 1) + ranks[cp.option_child]


def justified_envy(cp: CompiledProblem, assigned: np.ndarray) -> int:
    """Children who rank some setting above their placement (any option, if unplaced) that
    either holds a lower-priority child or has room in both the setting and its group."""
    keys = priority_keys(cp)
    placed = np.flatnonzero(assigned >= 0)
    held = assigned[placed]
    settings = np.full(cp.num_children, UNPLACED, dtype=np.int64)
    settings[placed] = cp.option_setting[held]
    lowest_held = np.full(cp.num_settings, -1, dtype=np.int64)
    np.maximum.at(lowest_held, cp.option_setting[held], keys[held])
    setting_load, group_load = loads(cp, settings)
    spare = setting_load < cp.setting_capacity
    grouped = cp.setting_group != NO_GROUP
    group_of = cp.setting_group[grouped]
    spare[grouped] &= group_load[group_of] < cp.group_capacity[group_of]
    above = cp.option_rank < assigned_ranks(cp, assigned)[cp.option_child]
    option_settings = cp.option_setting
    envious = above & (spare[option_settings] | (keys < lowest_held[option_settings]))
    return int(np.unique(cp.option_child[envious]).size)


def _mean_distance(
    cp: CompiledProblem, allocation: Allocation, distances: Distances | None
) -> float | None:
    if distances is None:
        return None
    placed = [(child, allocation.assignments.get(child)) for child in cp.child_ids]
    values = [distances[(child, setting)] for child, setting in placed if setting is not None]
    return float(np.mean(values)) if values else None


def fairness_report(
    problem: Problem, allocation: Allocation, distances: Distances | None = None
) -> dict[str, object]:
    """Headline figures for one allocation of ``problem``.

    Rates are over all children (a child with no options counts as not placed on a
    preference). ``distances`` maps ``(child_id, setting_id)`` to a distance; when given, the
    mean distance of placed children is reported (KeyError if a placed pair is missing).
    """
    cp = problem.compiled
    assigned = assigned_options(cp, allocation)
    placed = assigned >= 0
    n = cp.num_children
    first = int(np.count_nonzero(placed & (assigned_ranks(cp, assigned) == 0)))
    any_preference = int(np.count_nonzero(placed))
    return {
        "children": n,
        "first_preference": first,
        "first_preference_rate": first / n if n else None,
        "any_preference_rate": any_preference / n if n else None,
        "unplaced": n - any_preference,
        "objective": objective(cp, assigned),
        "justified_envy": justified_envy(cp, assigned),
        "mean_distance": _mean_distance(cp, allocation, distances),
    }


def compare(problem: Problem, distances: Distances | None = None) -> dict[str, object]:
    """Side-by-side fairness of the min-cost-flow and deferred-acceptance allocations."""
    optimal = solve(problem)
    stable = deferred_acceptance(problem)
    differ = sum(
        1 for child, setting in optimal.assignments.items() if stable.assignments[child] != setting
    )
    return {
        "min_cost_flow": fairness_report(problem, optimal, distances),
        "deferred_acceptance": fairness_report(problem, stable, distances),
        "children_placed_differently": differ,
    }
