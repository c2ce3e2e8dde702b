"""The allocation problem as plain, immutable values.

These types are what the Django layer builds and what the JSON file contract decodes into.
Validation lives in :mod:`.compiled` (references, duplicates, number ranges) so that a
``Problem`` built in code is checked exactly like one read from a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phasetransfer.allocation.engine.compiled import CompiledProblem

# Costs and capacities are stored as int64 and OR-Tools scales costs by roughly the node
# count internally; capping inputs at 2**31 - 1 keeps every sum well inside int64.
MAX_VALUE = 2**31 - 1


class ProblemError(ValueError):
    """The problem is malformed; the message names the offending item on one line."""


# What the model optimises (the problem file's top-level "objective").
COST_OBJECTIVE = "cost"  # the least total cost: ranks, distance and bands all in one sum
RANKS_OBJECTIVE = "ranks"  # families' order first: see ``ranks.py``; cost only breaks ties
OBJECTIVES = (COST_OBJECTIVE, RANKS_OBJECTIVE)


@dataclass(frozen=True, slots=True)
class Option:
    """One setting a family listed, with the cost of placing the child there.

    ``priority``: the child's group at this setting under the published oversubscription
    rule (0 comes first); ``rank``: the family's rank of it (1 = first preference), when
    it is not its position, e.g. an earlier preference was refused before the solve.
    Only the ``"ranks"`` objective reads them.
    """

    setting: str
    cost: int
    priority: int = 0
    rank: int | None = None


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A capacity shared by several settings, e.g. a school and its resourced provision."""

    id: str
    capacity: int


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """A school or other provision with its own capacity, optionally inside a group."""

    id: str
    capacity: int
    group: str | None = None


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """A child, the options in the family's order (first = first preference) and the cost of
    leaving them unplaced."""

    id: str
    options: tuple[Option, ...]
    unplaced_cost: int


@dataclass(frozen=True)
class Problem:
    """Settings, groups and children. Order matters only for determinism: the network is
    built in input order, so the same input always gives the same allocation."""

    settings: tuple[SettingSpec, ...]
    children: tuple[ChildSpec, ...]
    groups: tuple[GroupSpec, ...] = field(default=())
    objective: str = COST_OBJECTIVE

    @cached_property
    def compiled(self) -> CompiledProblem:
        """Validated flat arrays, built once and shared by every algorithm.

        Raises ``ProblemError`` naming the first bad item.
        """
        from phasetransfer.allocation.engine.compiled import compile_problem

        return compile_problem(self)

    def validate(self) -> None:
        """Raise ``ProblemError`` if the problem is inconsistent."""
        _ = self.compiled
