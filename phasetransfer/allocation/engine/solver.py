"""Exact minimum-cost allocation with OR-Tools min-cost flow.

Network (node numbers follow input order, so the result is deterministic):

    child --(cap 1, option cost)--> setting --(setting capacity)--> group --(group capacity)--> sink
    child --(cap 1, unplaced cost)------------------------------------------------------------> sink

A setting without a group sends its capacity arc straight to the sink. Each child node has a
supply of one unit and the sink a demand of one per child; that is the usual "source with a
cap-1 arc to every child" written as node supplies, which saves a node and N arcs. The unplaced
arcs make every problem feasible, and the constraint matrix is a network matrix, so the
integral flow OR-Tools returns is an optimal allocation.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from phasetransfer.allocation.engine.compiled import NO_GROUP, CompiledProblem
from phasetransfer.allocation.engine.problem import Problem
from phasetransfer.allocation.engine.reasons import build_allocation, objective
from phasetransfer.allocation.engine.result import STATUS_OPTIMAL, Allocation


class SolverError(RuntimeError):
    """OR-Tools did not prove optimality; never expected for a validated problem."""


def _arcs(cp: CompiledProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tails, heads, capacities and costs; option arcs first so arc i is option i."""
    n, s, g = cp.num_children, cp.num_settings, cp.num_groups
    sink = n + s + g
    children = np.arange(n, dtype=np.int64)
    setting_nodes = n + np.arange(s, dtype=np.int64)
    grouped = cp.setting_group != NO_GROUP
    setting_heads = np.where(grouped, n + s + cp.setting_group, sink)
    tails = np.concatenate(
        [cp.option_child, children, setting_nodes, n + s + np.arange(g, dtype=np.int64)]
    )
    heads = np.concatenate(
        [
            n + cp.option_setting,
            np.full(n, sink, dtype=np.int64),
            setting_heads,
            np.full(g, sink, dtype=np.int64),
        ]
    )
    capacities = np.concatenate(
        [np.ones(cp.num_options + n, dtype=np.int64), cp.setting_capacity, cp.group_capacity]
    )
    costs = np.concatenate([cp.option_cost, cp.unplaced_cost, np.zeros(s + g, dtype=np.int64)])
    return tails, heads, capacities, costs


def solve_compiled(cp: CompiledProblem) -> np.ndarray:
    """Chosen option position per child (-1 = unplaced) of a minimum-cost allocation."""
    assigned = np.full(cp.num_children, -1, dtype=np.int64)
    if cp.num_children == 0:
        return assigned
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(*_arcs(cp))
    sink = cp.num_children + cp.num_settings + cp.num_groups
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[: cp.num_children] = 1
    supplies[sink] = -cp.num_children
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise SolverError(f"min-cost flow finished with status {status!r}, not OPTIMAL")
    if cp.num_options:
        option_flows = flow.flows(np.arange(cp.num_options, dtype=np.int64))
        chosen = np.flatnonzero(option_flows > 0)
        assigned[cp.option_child[chosen]] = chosen
    if objective(cp, assigned) != flow.optimal_cost():
        raise SolverError("allocation cost does not match the solver's optimal cost")
    return assigned


def solve(problem: Problem) -> Allocation:
    """Minimum total cost allocation within setting and group capacities, with reasons.

    Raises ``ProblemError`` if the problem is invalid.
    """
    cp = problem.compiled
    return build_allocation(cp, solve_compiled(cp), STATUS_OPTIMAL)
