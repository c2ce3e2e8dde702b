"""The ``"ranks"`` objective: families' order first, exactly, with min-cost flow.

Among allocations within setting and group capacities the model takes, in this order:

1. as many children placed as possible;
2. then as many on their first preference as possible, then on one of their first two,
   and so on (a rank-maximal allocation among the maximum ones), by the family's own ranks
   (an option's ``rank``, or its position);
3. then, under the published oversubscription rule, as few claims of the rule's first group
   left unmet as possible (a setting a child ranked above their placement where they are in
   that group), then of its first two groups...: so a contested place goes to the claim
   that comes first under the rule;
4. then the least total cost (distance, cost band): the last tie-break;
5. then the input order, through the solver's determinism (same file, same allocation).

Each level is an integer "metric" per option and per unplaced child, minimised in turn.
Several consecutive levels are solved at once as one weighted cost. The weights are exact,
not a hope: two allocations differ by simple cycles of the residual graph, and a simple
cycle passes through at most ``S + G + 1`` children (a child sits between two setting,
group or sink nodes, each used once), so a weight above ``S + G + 1`` times everything
below it cannot be outvoted. When the weights would overflow OR-Tools' int64 costs, the
levels are split across solves, and between solves the network is cut down to the flows
optimal so far: by complementary slackness, with node potentials (shortest distances in
the residual graph), a flow is optimal exactly when it uses no arc of positive reduced
cost and fills every arc of negative reduced cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from phasetransfer.allocation.engine.compiled import CompiledProblem
from phasetransfer.allocation.engine.network import SolverError, network_arcs

INT64_MAX = np.iinfo(np.int64).max
UNPLACED = "unplaced"


@dataclass(frozen=True)
class Level:
    """One criterion: a metric per option and per unplaced child, lower is better."""

    name: str
    option: np.ndarray  # int64[M]
    unplaced: np.ndarray  # int64[N]

    @property
    def spread(self) -> int:
        """How far one child's metric can move between two allocations."""
        values = np.concatenate([self.option, self.unplaced])
        return int(values.max() - values.min()) if values.size else 0


def levels(cp: CompiledProblem) -> list[Level]:
    """The criteria of the ``"ranks"`` objective, most important first (constant ones left
    out: they cannot tell two allocations apart)."""
    n, m = cp.num_children, cp.num_options
    found = [Level(UNPLACED, np.zeros(m, dtype=np.int64), np.ones(n, dtype=np.int64))]
    # "Not on one of their preferences ranked r or higher": minimising these in turn, for
    # each rank the families gave, maximises first preferences, then second... The family's
    # own rank, not the option's position: a child whose first preference was refused
    # before the solve is not on a first preference at their second.
    for threshold in np.unique(cp.option_pref)[:-1].tolist():
        found.append(
            Level(
                f"not within preference {threshold}",
                (cp.option_pref > threshold).astype(np.int64),
                np.ones(n, dtype=np.int64),
            )
        )
    # The published rule: fewest unmet claims of the rule's first group (a higher option
    # the child is not placed in, where they are in group 0), then of its first two groups...
    # Counting unmet claims, not placements, is what makes the rule decide at the setting
    # in dispute: a looked-after child is in group 0 everywhere, so only the claim they
    # lose tells two rank-equal allocations apart.
    groups = np.unique(cp.option_priority)
    for group in groups[:-1].tolist():
        # Claims at earlier options, counted over all children, then from each child's first.
        before = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(cp.option_priority <= group, out=before[1:])
        start = before[cp.option_start[:-1]]
        found.append(
            Level(
                f"unmet claims within rule group {group}",
                before[:-1] - np.repeat(start, np.diff(cp.option_start)),
                before[cp.option_start[1:]] - start,
            )
        )
    found.append(Level("cost", cp.option_cost, cp.unplaced_cost))
    return [level for level in found if level.spread > 0]


def _weights(group: list[Level], cycle: int) -> list[int]:
    """Exact weights for levels solved together: each is more than what all the levels
    after it can move in one cycle (Python ints, so they are checked before any cast)."""
    weights = [1] * len(group)
    below = 0
    for k in range(len(group) - 2, -1, -1):
        below += weights[k + 1] * cycle * group[k + 1].spread
        weights[k] = below + 1
    return weights


def _largest(group: list[Level], weights: list[int]) -> int:
    """The largest weighted arc cost these levels can make."""
    return sum(
        weight * int(np.abs(np.concatenate([level.option, level.unplaced])).max(initial=0))
        for weight, level in zip(weights, group, strict=True)
    )


def plan(found: list[Level], cycle: int, budget: int) -> list[tuple[list[Level], list[int]]]:
    """Consecutive levels packed into solves whose weighted costs stay within ``budget``."""
    solves: list[tuple[list[Level], list[int]]] = []
    group: list[Level] = []
    for level in found:
        trial = [*group, level]
        if group and _largest(trial, _weights(trial, cycle)) > budget:
            solves.append((group, _weights(group, cycle)))
            trial = [level]
        if _largest(trial, _weights(trial, cycle)) > budget:
            raise SolverError(f"level {level.name!r} alone exceeds the solver's cost range")
        group = trial
    if group:
        solves.append((group, _weights(group, cycle)))
    return solves


class _Network:
    """The flow network of ``solver.py`` as arrays, cut down level after level.

    ``fixed`` holds flow already forced onto an arc (taken out of ``capacity`` and moved
    into the supplies), so the final flow is ``fixed`` + the last solve's flow.
    """

    def __init__(self, cp: CompiledProblem) -> None:
        self.tails, self.heads, capacity, _ = network_arcs(cp)
        self.capacity = capacity.copy()
        self.fixed = np.zeros_like(capacity)
        self.nodes = cp.num_children + cp.num_settings + cp.num_groups + 1
        self.supplies = np.zeros(self.nodes, dtype=np.int64)
        self.supplies[: cp.num_children] = 1
        self.supplies[-1] = -cp.num_children
        self.options = cp.num_options
        self.children = cp.num_children

    def cost(self, group: list[Level], weights: list[int]) -> np.ndarray:
        arcs = self.tails.shape[0]
        cost = np.zeros(arcs, dtype=np.int64)
        for level, weight in zip(group, weights, strict=True):
            cost[: self.options] += level.option * weight
            cost[self.options : self.options + self.children] += level.unplaced * weight
        return cost

    def solve(self, cost: np.ndarray) -> np.ndarray:
        # Only the arcs still open: each cut leaves most of them at capacity 0, and the
        # solver's time grows with the arcs it is given, used or not.
        open_arcs = np.flatnonzero(self.capacity > 0)
        flow = min_cost_flow.SimpleMinCostFlow()
        flow.add_arcs_with_capacity_and_unit_cost(
            self.tails[open_arcs], self.heads[open_arcs], self.capacity[open_arcs], cost[open_arcs]
        )
        flow.set_nodes_supplies(np.arange(self.nodes, dtype=np.int64), self.supplies)
        status = flow.solve()
        if status != flow.OPTIMAL:
            raise SolverError(f"min-cost flow finished with status {status!r}, not OPTIMAL")
        flows = np.zeros(self.tails.shape[0], dtype=np.int64)
        flows[open_arcs] = flow.flows(np.arange(open_arcs.shape[0], dtype=np.int64))
        return flows

    def place_most(self, unplaced: Level) -> None:
        """Level one (fewest unplaced) as a maximum flow, which is several times faster
        than a min-cost solve of the same network; then cut the network to its optima."""
        options, children = self.options, self.children
        placing = np.ones(self.tails.shape[0], dtype=bool)
        placing[options : options + children] = False  # the "unplaced" arcs
        source, sink = self.nodes, self.nodes - 1
        solver = max_flow.SimpleMaxFlow()
        solver.add_arcs_with_capacity(
            np.concatenate([np.full(children, source, dtype=np.int64), self.tails[placing]]),
            np.concatenate([np.arange(children, dtype=np.int64), self.heads[placing]]),
            np.concatenate([np.ones(children, dtype=np.int64), self.capacity[placing]]),
        )
        if solver.solve(source, sink) != solver.OPTIMAL:
            raise SolverError("maximum flow did not finish OPTIMAL")
        if solver.optimal_flow() == children:
            # Everyone can be placed: no optimum leaves a child unplaced.
            self.capacity[~placing] = 0
            return
        flow = np.zeros(self.tails.shape[0], dtype=np.int64)
        flow[placing] = solver.flows(np.arange(children, solver.num_arcs(), dtype=np.int64))
        placed = np.zeros(children, dtype=np.int64)
        np.add.at(placed, self.tails[:options], flow[:options])
        flow[~placing] = 1 - placed
        self.keep_optimal(self.cost([unplaced], [1]), flow)

    def keep_optimal(self, cost: np.ndarray, flow: np.ndarray) -> None:
        """Cut the network to the flows as good as ``flow`` under ``cost``."""
        forward = flow < self.capacity
        backward = flow > 0
        tails = np.concatenate([self.tails[forward], self.heads[backward]])
        heads = np.concatenate([self.heads[forward], self.tails[backward]])
        costs = np.concatenate([cost[forward], -cost[backward]])
        potential = shortest_distances(self.nodes, tails, heads, costs)
        reduced = cost + potential[self.tails] - potential[self.heads]
        # Positive reduced cost: no optimal flow uses the arc (its flow is 0 here).
        self.capacity[reduced > 0] = 0
        # Negative: every optimal flow fills it; take it out as fixed flow.
        full = np.flatnonzero(reduced < 0)
        amount = self.capacity[full]
        self.fixed[full] += amount
        np.subtract.at(self.supplies, self.tails[full], amount)
        np.add.at(self.supplies, self.heads[full], amount)
        self.capacity[full] = 0


def shortest_distances(
    nodes: int, tails: np.ndarray, heads: np.ndarray, costs: np.ndarray
) -> np.ndarray:
    """Distances from a virtual source joined to every node at cost 0 (so each is <= 0).

    Label-correcting (Bellman-Ford) a frontier at a time: only arcs leaving nodes whose
    distance just fell are relaxed, so the work is the relaxations actually needed, in
    numpy. The residual graph of an optimal flow has no negative cycle; if one were found
    the flow was not optimal, and that is an error.
    """
    order = np.argsort(tails, kind="stable")
    tails, heads, costs = tails[order], heads[order], costs[order]
    starts = np.zeros(nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails, minlength=nodes), out=starts[1:])
    distance = np.zeros(nodes, dtype=np.int64)
    active = np.flatnonzero(np.diff(starts) > 0)
    for _ in range(nodes + 1):
        counts = starts[active + 1] - starts[active]
        total = int(counts.sum())
        if total == 0:
            return distance
        offsets = np.repeat(starts[active] - (np.cumsum(counts) - counts), counts)
        arcs = offsets + np.arange(total, dtype=np.int64)
        candidate = distance[tails[arcs]] + costs[arcs]
        improved = distance.copy()
        np.minimum.at(improved, heads[arcs], candidate)
        active = np.flatnonzero(improved < distance)
        distance = improved
    raise SolverError("the residual graph has a negative cycle: the flow was not optimal")


def cost_budget(nodes: int) -> int:
    """The largest arc cost OR-Tools' cost scaling takes for a network of ``nodes`` nodes
    (it multiplies costs by about the node count), with a factor of 4 to spare."""
    return INT64_MAX // (4 * (nodes + 1))


def solve_ranks_compiled(cp: CompiledProblem, budget: int | None = None) -> np.ndarray:
    """Chosen option position per child (-1 = unplaced) of the ``"ranks"`` optimum.

    ``budget``: the largest arc cost one solve may use (tests set it low to force a solve
    per level); by default what OR-Tools takes for this network.
    """
    assigned = np.full(cp.num_children, -1, dtype=np.int64)
    if cp.num_children == 0:
        return assigned
    network = _Network(cp)
    cycle = min(cp.num_children, cp.num_settings + cp.num_groups + 1)
    found = levels(cp)
    if found and found[0].name == UNPLACED:
        network.place_most(found.pop(0))
    solves = plan(found, cycle, budget or cost_budget(network.nodes))
    if not solves:  # nothing tells allocations apart: any feasible flow will do
        none = Level(
            "none", np.zeros(cp.num_options, np.int64), np.zeros(cp.num_children, np.int64)
        )
        solves = [([none], [1])]
    for index, (group, weights) in enumerate(solves):
        cost = network.cost(group, weights)
        flow = network.solve(cost)
        if index < len(solves) - 1:
            network.keep_optimal(cost, flow)
    total = network.fixed + flow
    if cp.num_options:
        chosen = np.flatnonzero(total[: cp.num_options] > 0)
        assigned[cp.option_child[chosen]] = chosen
    return assigned


def signature(cp: CompiledProblem, assigned: np.ndarray) -> list[int]:
    """Each level's total for an allocation, most important first: what "ranks" minimises
    in lexicographic order (tests compare it with an independent solver's)."""
    placed = assigned >= 0
    totals = []
    for level in levels(cp):
        totals.append(int(level.option[assigned[placed]].sum() + level.unplaced[~placed].sum()))
    return totals
