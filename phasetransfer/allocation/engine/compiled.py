"""Validate a ``Problem`` and flatten it into numpy arrays indexed by input position.

Every algorithm (min-cost flow, deferred acceptance, reasons, fairness) works on these
arrays: it keeps the hot loops out of Python objects and makes node/arc order a pure
function of input order, which is what makes the output deterministic.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from phasetransfer.allocation.engine.problem import (
    MAX_VALUE,
    OBJECTIVES,
    ChildSpec,
    GroupSpec,
    Problem,
    ProblemError,
    SettingSpec,
)

NO_GROUP = -1


@dataclass(frozen=True, eq=False)
class CompiledProblem:
    """Flat view of a validated problem. Options are stored child by child in family order:
    child ``c`` owns option positions ``option_start[c]:option_start[c + 1]``."""

    child_ids: list[str]
    setting_ids: list[str]
    group_ids: list[str]
    setting_capacity: np.ndarray  # int64[S]
    setting_group: np.ndarray  # int64[S], NO_GROUP when the setting has no group
    group_capacity: np.ndarray  # int64[G]
    option_start: np.ndarray  # int64[N + 1]
    option_child: np.ndarray  # int64[M]
    option_setting: np.ndarray  # int64[M]
    option_cost: np.ndarray  # int64[M]
    option_rank: np.ndarray  # int64[M], 0 = first preference
    unplaced_cost: np.ndarray  # int64[N]
    option_priority: np.ndarray  # int64[M], 0 = first under the oversubscription rule
    option_pref: np.ndarray  # int64[M], the family's rank (1 = first preference)
    objective: str = "cost"

    @property
    def num_children(self) -> int:
        return len(self.child_ids)

    @property
    def num_settings(self) -> int:
        return len(self.setting_ids)

    @property
    def num_groups(self) -> int:
        return len(self.group_ids)

    @property
    def num_options(self) -> int:
        return int(self.option_setting.shape[0])


def render(value: object, limit: int = 60) -> str:
    """Show a value the way it appeared in JSON (true, 1.0, "x"), kept short and on one line."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value).replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def label(kind: str, index: int, item_id: object) -> str:
    """``children[3] (id "c17")``: the position always, the id when it is a usable string."""
    if type(item_id) is str and item_id:
        return f"{kind}[{index}] (id {render(item_id)})"
    return f"{kind}[{index}]"


def _is_count(value: object) -> bool:
    # ``type(...) is int`` rejects bool (a subclass of int) and floats such as 1.0.
    return type(value) is int and 0 <= value <= MAX_VALUE


def _range_error(where: str, name: str, value: object) -> ProblemError:
    return ProblemError(
        f"{where}: {name} must be an integer from 0 to {MAX_VALUE}, got {render(value)}"
    )


def _check_id(where: str, item_id: object) -> None:
    if type(item_id) is not str or not item_id:
        raise ProblemError(f"{where}: id must be a non-empty string, got {render(item_id)}")


def _index_groups(groups: Sequence[GroupSpec]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for i, group in enumerate(groups):
        where = label("groups", i, group.id)
        _check_id(where, group.id)
        if group.id in positions:
            raise ProblemError(f"{where}: duplicate id (also groups[{positions[group.id]}])")
        if not _is_count(group.capacity):
            raise _range_error(where, "capacity", group.capacity)
        positions[group.id] = i
    return positions


def _index_settings(
    settings: Sequence[SettingSpec], group_pos: dict[str, int]
) -> tuple[dict[str, int], list[int]]:
    positions: dict[str, int] = {}
    setting_group: list[int] = []
    for i, setting in enumerate(settings):
        where = label("settings", i, setting.id)
        _check_id(where, setting.id)
        if setting.id in positions:
            raise ProblemError(f"{where}: duplicate id (also settings[{positions[setting.id]}])")
        if not _is_count(setting.capacity):
            raise _range_error(where, "capacity", setting.capacity)
        if setting.group is None:
            setting_group.append(NO_GROUP)
        elif type(setting.group) is not str:
            raise ProblemError(
                f"{where}: group must be a string or absent, got {render(setting.group)}"
            )
        elif setting.group in group_pos:
            setting_group.append(group_pos[setting.group])
        else:
            raise ProblemError(f"{where}: group {render(setting.group)} is not in groups")
        positions[setting.id] = i
    return positions, setting_group


def _check_option(where: str, child: ChildSpec, rank: int, setting_pos: dict[str, int]) -> None:
    """Raise for option ``rank`` (0-based) of a child if it is bad."""
    option = child.options[rank]
    name = f"option {rank + 1}"
    if type(option.setting) is not str:
        raise ProblemError(
            f"{where}: {name} setting must be a string, got {render(option.setting)}"
        )
    if option.setting not in setting_pos:
        raise ProblemError(f"{where}: {name} names unknown setting {render(option.setting)}")
    for earlier in range(rank):
        if child.options[earlier].setting == option.setting:
            raise ProblemError(
                f"{where}: {name} repeats setting {render(option.setting)} "
                f"(also option {earlier + 1})"
            )
    if not _is_count(option.cost):
        raise _range_error(where, f"{name} cost", option.cost)
    if not _is_count(option.priority):
        raise _range_error(where, f"{name} priority", option.priority)
    if option.rank is not None:
        if not _is_count(option.rank) or option.rank < 1:
            raise ProblemError(
                f"{where}: {name} rank must be an integer from 1 to {MAX_VALUE}, "
                f"got {render(option.rank)}"
            )
        earlier = _rank_of(child, rank - 1) if rank else 0
        if option.rank <= earlier:
            raise ProblemError(
                f"{where}: {name} rank must be more than option {rank}'s ({earlier}), "
                f"got {option.rank}: options are in the family's order"
            )


def _rank_of(child: ChildSpec, position: int) -> int:
    """The family's rank of option ``position`` (0-based): given, or its position + 1."""
    rank = child.options[position].rank
    return position + 1 if rank is None else rank


def _explain_children(children: Sequence[ChildSpec], setting_pos: dict[str, int]) -> None:
    """Find the first bad child, in input order, and raise naming it.

    Only called once the fast check below has failed, so clarity wins over speed here.
    """
    seen: dict[str, int] = {}
    for i, child in enumerate(children):
        where = label("children", i, child.id)
        _check_id(where, child.id)
        if child.id in seen:
            raise ProblemError(f"{where}: duplicate id (also children[{seen[child.id]}])")
        seen[child.id] = i
        if not _is_count(child.unplaced_cost):
            raise _range_error(where, "unplaced_cost", child.unplaced_cost)
        for rank in range(len(child.options)):
            _check_option(where, child, rank, setting_pos)


def _all_counts(values: Sequence[Any]) -> bool:
    """Every value is an int (not bool or float) from 0 to MAX_VALUE; C-speed for big lists.

    ``Any``: the values come from callers' data, so their types are what is being checked.
    """
    return not values or (
        set(map(type, values)) == {int} and min(values) >= 0 and max(values) <= MAX_VALUE
    )


@dataclass(frozen=True)
class _Flat:
    child_ids: list[str]
    counts: np.ndarray
    option_setting: np.ndarray
    option_cost: np.ndarray
    option_priority: np.ndarray
    option_pref: np.ndarray
    unplaced: np.ndarray


def _flatten_children(
    children: Sequence[ChildSpec], setting_pos: dict[str, int], num_settings: int
) -> _Flat | None:
    """The children as flat arrays, or None if anything is wrong.

    The same rules as ``_explain_children``, checked a whole column at a time with
    comprehensions and numpy rather than item by item: a national problem has hundreds of
    thousands of options and this is on the path of every run.
    """
    ids = [child.id for child in children]
    id_set = set(ids) if set(map(type, ids)) <= {str} else None
    if id_set is None or len(id_set) != len(ids) or "" in id_set:
        return None
    unplaced = [child.unplaced_cost for child in children]
    options = [option for child in children for option in child.options]
    costs = [option.cost for option in options]
    priorities = [option.priority for option in options]
    if not _all_counts(unplaced) or not _all_counts(costs) or not _all_counts(priorities):
        return None
    prefs = [
        position + 1 if option.rank is None else option.rank
        for child in children
        for position, option in enumerate(child.options)
    ]
    if not _all_counts(prefs) or (prefs and min(prefs) < 1):
        return None
    try:
        positions = [setting_pos[option.setting] for option in options]
    except (KeyError, TypeError):  # unknown or unhashable setting id
        return None
    counts = np.array([len(child.options) for child in children], dtype=np.int64)
    option_setting = np.array(positions, dtype=np.int64)
    option_child = np.repeat(np.arange(len(ids), dtype=np.int64), counts)
    keys = np.sort(option_child * max(num_settings, 1) + option_setting)
    if np.any(keys[1:] == keys[:-1]):
        return None  # some child lists a setting twice
    pref = np.array(prefs, dtype=np.int64)
    same_child = option_child[1:] == option_child[:-1]
    if np.any(same_child & (pref[1:] <= pref[:-1])):
        return None  # ranks out of the family's order
    return _Flat(
        child_ids=ids,
        counts=counts,
        option_setting=option_setting,
        option_cost=np.array(costs, dtype=np.int64),
        option_priority=np.array(priorities, dtype=np.int64),
        option_pref=pref,
        unplaced=np.array(unplaced, dtype=np.int64),
    )


def compile_problem(problem: Problem) -> CompiledProblem:
    """Validate ``problem`` and build its flat arrays; raises ``ProblemError``."""
    if problem.objective not in OBJECTIVES:
        raise ProblemError(
            f"the problem: objective must be one of {', '.join(map(render, OBJECTIVES))}, "
            f"got {render(problem.objective)}"
        )
    group_pos = _index_groups(problem.groups)
    setting_pos, setting_group = _index_settings(problem.settings, group_pos)
    flat = _flatten_children(problem.children, setting_pos, len(setting_pos))
    if flat is None:
        _explain_children(problem.children, setting_pos)
        raise AssertionError("the fast check rejected children the slow check accepts")
    option_start = np.zeros(len(flat.counts) + 1, dtype=np.int64)
    np.cumsum(flat.counts, out=option_start[1:])
    option_child = np.repeat(np.arange(len(flat.counts), dtype=np.int64), flat.counts)
    option_rank = np.arange(len(option_child), dtype=np.int64) - option_start[option_child]
    return CompiledProblem(
        child_ids=flat.child_ids,
        setting_ids=list(setting_pos),
        group_ids=list(group_pos),
        setting_capacity=np.array([s.capacity for s in problem.settings], dtype=np.int64),
        setting_group=np.array(setting_group, dtype=np.int64),
        group_capacity=np.array([g.capacity for g in problem.groups], dtype=np.int64),
        option_start=option_start,
        option_child=option_child,
        option_setting=flat.option_setting,
        option_cost=flat.option_cost,
        option_rank=option_rank,
        unplaced_cost=flat.unplaced,
        option_priority=flat.option_priority,
        option_pref=flat.option_pref,
        objective=problem.objective,
    )
