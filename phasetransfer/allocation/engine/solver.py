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

from phasetransfer.allocation.engine.compiled import CompiledProblem
from phasetransfer.allocation.engine.network import SolverError, network_arcs
from phasetransfer.allocation.engine.problem import RANKS_OBJECTIVE, Problem
from phasetransfer.allocation.engine.ranks import solve_ranks_compiled
from phasetransfer.allocation.engine.reasons import build_allocation, objective
from phasetransfer.allocation.engine.result import STATUS_OPTIMAL, Allocation

__all__ = ["SolverError", "solve", "solve_compiled"]


def solve_compiled(cp: CompiledProblem) -> np.ndarray:
    """Chosen option position per child (-1 = unplaced) of a minimum-cost allocation."""
    assigned = np.full(cp.num_children, -1, dtype=np.int64)
    if cp.num_children == 0:
        return assigned
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(*network_arcs(cp))
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
    """The optimal allocation within setting and group capacities for the problem's
    objective (least total cost, or ``"ranks"``: see ``ranks.py``), with reasons.

    Raises ``ProblemError`` if the problem is invalid.
    """
    cp = problem.compiled
    solver = solve_ranks_compiled if cp.objective == RANKS_OBJECTIVE else solve_compiled
    return build_allocation(cp, solver(cp), STATUS_OPTIMAL)
