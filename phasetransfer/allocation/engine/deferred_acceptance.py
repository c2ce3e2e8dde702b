"""Student-proposing deferred acceptance (Gale-Shapley) on the same ``Problem``, for comparison.

Children propose in their family's order. A setting ranks children by the cost of that option
(lower cost = higher priority), ties broken by child id in string order. When a setting is
over capacity it rejects its lowest-priority held child; when a group is over capacity the
lowest-priority child held anywhere in the group is rejected (comparing each child's priority
at the setting holding them).
"""

from __future__ import annotations

import heapq

import numpy as np

from phasetransfer.allocation.engine.compiled import NO_GROUP, CompiledProblem
from phasetransfer.allocation.engine.problem import Problem
from phasetransfer.allocation.engine.reasons import build_allocation
from phasetransfer.allocation.engine.result import STATUS_STABLE, Allocation

# Heap entries are (-cost, -id_rank, child, option position): heapq is a min-heap, so the top
# is the lowest-priority child. Entries go stale when a child leaves; they are skipped lazily.
Entry = tuple[int, int, int, int]


def id_ranks(child_ids: list[str]) -> list[int]:
    """Position of each child when ids are sorted as strings (0 = highest tie priority)."""
    ranks = [0] * len(child_ids)
    for rank, child in enumerate(sorted(range(len(child_ids)), key=child_ids.__getitem__)):
        ranks[child] = rank
    return ranks


def _pop_lowest(heap: list[Entry], held: list[int]) -> int:
    while True:
        _, _, child, position = heapq.heappop(heap)
        # A child proposes to each option once, so a stale entry can never become valid again.
        if held[child] == position:
            return child


class _Rounds:
    """Mutable state of one deferred-acceptance run, as plain lists for speed."""

    def __init__(self, cp: CompiledProblem) -> None:
        self.start = cp.option_start.tolist()
        self.option_setting = cp.option_setting.tolist()
        self.option_cost = cp.option_cost.tolist()
        self.setting_group = cp.setting_group.tolist()
        self.setting_room = cp.setting_capacity.tolist()
        self.group_room = cp.group_capacity.tolist()
        self.id_rank = id_ranks(cp.child_ids)
        self.next_option = self.start[:-1]
        self.held = [-1] * cp.num_children
        self.setting_heaps: list[list[Entry]] = [[] for _ in range(cp.num_settings)]
        self.group_heaps: list[list[Entry]] = [[] for _ in range(cp.num_groups)]

    def propose(self, child: int) -> int | None:
        """Child proposes to its next option; returns a child who is now free, if any."""
        position = self.next_option[child]
        if position == self.start[child + 1]:
            return None  # options exhausted: the child stays unplaced
        self.next_option[child] = position + 1
        setting = self.option_setting[position]
        group = self.setting_group[setting]
        entry = (-self.option_cost[position], -self.id_rank[child], child, position)
        self.held[child] = position
        heapq.heappush(self.setting_heaps[setting], entry)
        self.setting_room[setting] -= 1
        if group != NO_GROUP:
            heapq.heappush(self.group_heaps[group], entry)
            self.group_room[group] -= 1
        if self.setting_room[setting] < 0:
            return self._reject(_pop_lowest(self.setting_heaps[setting], self.held))
        if group != NO_GROUP and self.group_room[group] < 0:
            return self._reject(_pop_lowest(self.group_heaps[group], self.held))
        return None

    def _reject(self, child: int) -> int:
        setting = self.option_setting[self.held[child]]
        self.held[child] = -1
        self.setting_room[setting] += 1
        group = self.setting_group[setting]
        if group != NO_GROUP:
            self.group_room[group] += 1
        return child


def deferred_acceptance_compiled(cp: CompiledProblem) -> np.ndarray:
    """Held option position per child (-1 = unplaced) once no child has anyone to propose to."""
    rounds = _Rounds(cp)
    free = list(range(cp.num_children - 1, -1, -1))  # stack: child 0 proposes first
    while free:
        # The rejected child may be the proposer itself; either way it proposes again later.
        rejected = rounds.propose(free.pop())
        if rejected is not None:
            free.append(rejected)
    return np.array(rounds.held, dtype=np.int64)


def deferred_acceptance(problem: Problem) -> Allocation:
    """Stable allocation by student-proposing deferred acceptance; same shape as ``solve``.

    ``objective`` is the total cost of the result under the same costs, for comparison.
    """
    cp = problem.compiled
    return build_allocation(cp, deferred_acceptance_compiled(cp), STATUS_STABLE)
