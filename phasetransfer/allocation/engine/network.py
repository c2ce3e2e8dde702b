"""The allocation problem as a flow network (see ``solver.py`` for its shape)."""

from __future__ import annotations

import numpy as np

from phasetransfer.allocation.engine.compiled import NO_GROUP, CompiledProblem


class SolverError(RuntimeError):
    """OR-Tools did not prove optimality; never expected for a validated problem."""


def network_arcs(cp: CompiledProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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
