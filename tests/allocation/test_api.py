"""The public API: direct construction is validated like a file, and no Django is needed."""

from __future__ import annotations

import ast
import copy
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import phasetransfer.allocation.engine as engine
from phasetransfer.allocation.engine import (
    ChildSpec,
    GroupSpec,
    Option,
    Problem,
    ProblemError,
    Reason,
    SettingSpec,
    parse_problem,
    solve,
)
from phasetransfer.allocation.engine.compiled import _explain_children
from tests.allocation.strategies import problems

PACKAGE = Path(engine.__file__).resolve().parent
PROJECT_PACKAGE = PACKAGE.parent.parent  # phasetransfer/


def _problem(**changes: object) -> Problem:
    values: dict = {
        "settings": (SettingSpec("a", 1, "g"), SettingSpec("b", 2)),
        "groups": (GroupSpec("g", 1),),
        "children": (
            ChildSpec("x", (Option("a", 0), Option("b", 3)), 10),
            ChildSpec("y", (Option("a", 1),), 10),
        ),
    }
    values.update(changes)
    return Problem(**values)


def test_built_in_code_and_parsed_from_json_agree() -> None:
    parsed = parse_problem(
        {
            "settings": [{"id": "a", "capacity": 1, "group": "g"}, {"id": "b", "capacity": 2}],
            "groups": [{"id": "g", "capacity": 1}],
            "children": [
                {
                    "id": "x",
                    "options": [{"setting": "a", "cost": 0}, {"setting": "b", "cost": 3}],
                    "unplaced_cost": 10,
                },
                {"id": "y", "options": [{"setting": "a", "cost": 1}], "unplaced_cost": 10},
            ],
        }
    )
    assert parsed == _problem()
    assert solve(parsed) == solve(_problem())
    # y can only go to a, so x moves to b: 3 + 1 beats 0 + 10.
    assert solve(parsed).reasons == {"x": [Reason("a", "full")]}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"settings": (SettingSpec("a", True),)}, 'settings[0] (id "a"): capacity must be'),
        ({"settings": (SettingSpec("a", 1, "nope"),)}, 'group "nope" is not in groups'),
        ({"groups": (GroupSpec("g", -1),)}, 'groups[0] (id "g"): capacity must be'),
        ({"children": (ChildSpec("x", (Option("a", 1.5),), 1),)}, "option 1 cost must be"),
        ({"children": (ChildSpec("x", (Option("z", 1),), 1),)}, 'unknown setting "z"'),
        ({"children": (ChildSpec("x", (), 1), ChildSpec("x", (), 1))}, "duplicate id"),
        ({"children": (ChildSpec(3, (), 1),)}, "children[0]: id must be a non-empty string"),
    ],
)
def test_hand_built_problems_are_validated(changes: dict, message: str) -> None:
    with pytest.raises(ProblemError, match=re.escape(message)):
        solve(_problem(**changes))


def test_problem_error_is_a_value_error_with_one_line() -> None:
    with pytest.raises(ValueError, match="children") as caught:
        parse_problem({"settings": [], "children": [{"id": "c\n1"}]})
    assert "\n" not in str(caught.value)


def test_public_names() -> None:
    for name in (
        "Problem",
        "SettingSpec",
        "GroupSpec",
        "ChildSpec",
        "Option",
        "Allocation",
        "Reason",
        "solve",
        "deferred_acceptance",
        "fairness_report",
        "compare",
        "ProblemError",
        "parse_problem",
        "allocation_to_json",
    ):
        assert name in engine.__all__
        assert hasattr(engine, name)


def test_no_module_imports_django() -> None:
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not [n for n in names if n.split(".")[0] == "django"], path


def test_runs_with_django_unimportable() -> None:
    # Load the engine without the project's own package __init__ files, and with any
    # "import django" failing.
    script = f"""
import sys, types
sys.modules["django"] = None
parent = types.ModuleType("phasetransfer")
parent.__path__ = [{str(PROJECT_PACKAGE)!r}]
sys.modules["phasetransfer"] = parent
from phasetransfer.allocation.engine import parse_problem, solve, compare
problem = parse_problem({{"settings": [{{"id": "s", "capacity": 1}}],
    "children": [{{"id": "c", "options": [{{"setting": "s", "cost": 0}}], "unplaced_cost": 5}}]}})
assert solve(problem).assignments == {{"c": "s"}}
compare(problem)
assert not [m for m in sys.modules if m.startswith("django") and sys.modules[m] is not None]
print("ok")
"""
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.stdout == "ok\n", run.stderr


CORRUPTIONS = [
    ("duplicate child id", lambda d: d["children"].append(dict(d["children"][0]))),
    ("unknown setting", lambda d: d["children"][0]["options"].append({"setting": "?", "cost": 1})),
    (
        "repeated setting",
        lambda d: d["children"][0]["options"].append(d["children"][0]["options"][0]),
    ),
    ("negative cost", lambda d: d["children"][0]["options"][0].update(cost=-1)),
    ("boolean option cost", lambda d: d["children"][0]["options"][0].update(cost=True)),
    ("huge option cost", lambda d: d["children"][0]["options"][0].update(cost=2**31)),
    ("boolean cost", lambda d: d["children"][-1].update(unplaced_cost=True)),
    ("float cost", lambda d: d["children"][-1].update(unplaced_cost=3.0)),
]


@settings(max_examples=100, deadline=None)
@given(problems(), st.sampled_from(CORRUPTIONS))
def test_fast_and_item_by_item_checks_agree(data: dict, corruption: tuple) -> None:
    """The vectorised check and the item-by-item explainer must accept the same problems."""
    problem = parse_problem(data)
    setting_pos = {setting.id: i for i, setting in enumerate(problem.settings)}
    _explain_children(problem.children, setting_pos)  # accepts what the fast path accepted
    assume(data["children"] and data["settings"] and data["children"][0]["options"])
    name, corrupt = corruption
    broken = copy.deepcopy(data)
    broken["settings"][0]["id"] = "s0"
    for child in broken["children"]:
        child["options"] = [o for o in child["options"] if o["setting"] != "s0"]
    broken["children"][0]["options"].insert(0, {"setting": "s0", "cost": 0})
    corrupt(broken)
    with pytest.raises(ProblemError):
        parse_problem(broken)
