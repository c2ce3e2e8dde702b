"""Decode the problem file contract into a validated ``Problem``.

This module checks shape (objects, lists, keys); ``compiled`` then checks values and
references for both decoded and hand-built problems. The loops have a fast path for the
well-formed case and only work out a precise message once something is wrong, because a
national run has hundreds of thousands of options.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from phasetransfer.allocation.engine.compiled import label, render
from phasetransfer.allocation.engine.problem import (
    COST_OBJECTIVE,
    ChildSpec,
    GroupSpec,
    Option,
    Problem,
    ProblemError,
    SettingSpec,
)

_TOP_KEYS = ({"settings", "children"}, {"groups", "objective"})
_GROUP_KEYS = ({"id", "capacity"}, set[str]())
_SETTING_KEYS = ({"id", "capacity"}, {"group"})
_CHILD_KEYS = ({"id", "options", "unplaced_cost"}, set[str]())
_OPTION_KEYS = ({"setting", "cost"}, {"priority", "rank"})


def _kind(value: object) -> str:
    """JSON's name for a decoded value's type."""
    if value is None:
        return "null"
    names = {
        bool: "boolean",
        int: "number",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }
    return names.get(type(value), type(value).__name__)


def _check_keys(where: str, item: object, keys: tuple[set[str], set[str]]) -> dict[str, Any]:
    """Return ``item`` as a dict with every required key and no unknown key.

    Its values are still unchecked (``Any``): building the specs validates them.
    """
    if type(item) is not dict:
        raise ProblemError(f"{where}: must be an object, got {_kind(item)}")
    required, optional = keys
    for key in sorted(required):
        if key not in item:
            raise ProblemError(f'{where}: missing key "{key}"')
    for key in item:
        if key not in required and key not in optional:
            raise ProblemError(f"{where}: unknown key {render(key)}")
    return item


def _list(where: str, value: object) -> list[object]:
    if type(value) is not list:
        raise ProblemError(f"{where} must be an array, got {_kind(value)}")
    return value


def _parse_groups(raw: list[object]) -> tuple[GroupSpec, ...]:
    groups = []
    for i, item in enumerate(raw):
        where = label("groups", i, item.get("id") if type(item) is dict else None)
        group = _check_keys(where, item, _GROUP_KEYS)
        groups.append(GroupSpec(group["id"], group["capacity"]))
    return tuple(groups)


def _parse_settings(raw: list[object]) -> tuple[SettingSpec, ...]:
    settings = []
    for i, item in enumerate(raw):
        where = label("settings", i, item.get("id") if type(item) is dict else None)
        setting = _check_keys(where, item, _SETTING_KEYS)
        settings.append(SettingSpec(setting["id"], setting["capacity"], setting.get("group")))
    return tuple(settings)


def _child_error(index: int, item: object) -> ProblemError:
    """The precise shape error for a child that failed the fast path."""
    where = label("children", index, item.get("id") if type(item) is dict else None)
    child = _check_keys(where, item, _CHILD_KEYS)
    options = child["options"]
    if type(options) is not list:
        return ProblemError(f'{where}: "options" must be an array, got {_kind(options)}')
    for rank, option in enumerate(options):
        _check_keys(f"{where}: option {rank + 1}", option, _OPTION_KEYS)
    raise AssertionError("fast path rejected a well-formed child")


def _parse_options(options: object) -> tuple[Option, ...] | None:
    """The options of a well-formed child, or None for the slow path to explain."""
    if type(options) is not list:
        return None
    try:
        # Indexing by a string key fails (KeyError or TypeError) for anything but an object
        # that has the key, so only extra keys remain to be caught by the length check.
        parsed = tuple(
            [
                Option(
                    option["setting"],
                    option["cost"],
                    option.get("priority", 0),
                    option.get("rank"),
                )
                for option in options
            ]
        )
    except (KeyError, TypeError, AttributeError):
        return None
    # Only "setting", "cost", "priority" and "rank" may be there: count the optional ones.
    expected = 2 * len(options) + sum(
        ("priority" in option) + ("rank" in option) for option in options
    )
    if sum(map(len, options)) != expected:
        return None
    return parsed


def _fast_child(item: object) -> ChildSpec | None:
    """A well-formed child, or None for ``_child_error`` to explain."""
    if type(item) is not dict or len(item) != 3:
        return None
    try:
        options = _parse_options(item["options"])
        if options is None:
            return None
        return ChildSpec(item["id"], options, item["unplaced_cost"])
    except KeyError:
        return None


def _parse_children(raw: list[object]) -> tuple[ChildSpec, ...]:
    children = []
    for i, item in enumerate(raw):
        child = _fast_child(item)
        if child is None:
            raise _child_error(i, item)
        children.append(child)
    return tuple(children)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large acyclic structures.

    Decoding a national file creates about a million dicts and dataclasses; each batch of new
    containers triggers a collection that rescans them, which roughly triples parse time.
    Nothing built here forms a cycle, so pausing loses nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_problem(data: object) -> Problem:
    """Validate a decoded JSON value against the problem contract.

    Raises ``ProblemError`` whose message names the first bad item found, on one line.
    """
    with _gc_paused():
        return _parse(data)


def _parse(data: object) -> Problem:
    top = _check_keys("the problem", data, _TOP_KEYS)
    groups = _parse_groups(_list('"groups"', top.get("groups", [])))
    settings = _parse_settings(_list('"settings"', top["settings"]))
    children = _parse_children(_list('"children"', top["children"]))
    problem = Problem(
        settings=settings,
        children=children,
        groups=groups,
        objective=top.get("objective", COST_OBJECTIVE),
    )
    problem.validate()
    return problem


def decode_problem(raw: bytes, name: str) -> Problem:
    """Decode and validate JSON bytes; ``name`` says where they came from in messages."""
    with _gc_paused():
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ProblemError(
                f"{name} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
            ) from None
        except UnicodeDecodeError as error:
            raise ProblemError(f"{name} is not valid UTF-8 text: {error.reason}") from None
        except RecursionError:
            raise ProblemError(f"{name} is nested too deeply to be a problem file") from None
        return _parse(data)


def load_problem(path: str | Path) -> Problem:
    """Read and validate a problem file; every failure is a one-line ``ProblemError``."""
    name = render(str(path))
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise ProblemError(f"cannot read {name}: {error.strerror or error}") from None
    return decode_problem(raw, name)
