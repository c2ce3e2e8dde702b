"""The command line: exact output contract, determinism and one-line errors (exit 2).

Every bad-input class runs through a real ``python -m phasetransfer.allocation`` process. The
processes are started together by one module fixture, since interpreter start-up dominates.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from phasetransfer.allocation.engine import allocation_to_json, parse_problem, solve

ROOT = Path(__file__).resolve().parents[2]

VALID = {
    "groups": [{"id": "g1", "capacity": 2}],
    "settings": [
        {"id": "s1", "capacity": 1},
        {"id": "s2", "capacity": 2, "group": "g1"},
        {"id": "s3", "capacity": 1, "group": "g1"},
    ],
    "children": [
        {
            "id": "c1",
            "options": [{"setting": "s1", "cost": 0}, {"setting": "s2", "cost": 4}],
            "unplaced_cost": 100,
        },
        {"id": "c2", "options": [{"setting": "s1", "cost": 1}], "unplaced_cost": 100},
        {
            "id": "c3",
            "options": [{"setting": "s3", "cost": 0}, {"setting": "s1", "cost": 2}],
            "unplaced_cost": 100,
        },
        {"id": "c4", "options": [], "unplaced_cost": 9},
    ],
}


def _edit(change: Callable[[dict], object]) -> bytes:
    data = copy.deepcopy(VALID)
    change(data)
    return json.dumps(data).encode()


def _set(path: tuple, value: object) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path: tuple) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


# (case name, file bytes or None for "no such file", text the single stderr line must contain)
BAD_INPUTS: list[tuple[str, bytes | None, str]] = [
    ("malformed json", b'{"settings": [', "is not valid JSON"),
    ("empty file", b"", "is not valid JSON"),
    ("deeply nested", b"[" * 100_000 + b"]" * 100_000, "is nested too deeply"),
    ("not utf-8", b'{"settings": ["\xff"]}', "not valid UTF-8"),
    ("missing file", None, "cannot read"),
    ("top level not object", b"[]", "the problem: must be an object, got array"),
    ("missing settings", _edit(_delete(("settings",))), 'the problem: missing key "settings"'),
    ("missing children", _edit(_delete(("children",))), 'missing key "children"'),
    ("unknown top key", _edit(_set(("extra",), 1)), 'the problem: unknown key "extra"'),
    ("settings not array", _edit(_set(("settings",), {})), '"settings" must be an array'),
    ("groups null", _edit(_set(("groups",), None)), '"groups" must be an array, got null'),
    (
        "unknown setting",
        _edit(_set(("children", 2, "options", 1, "setting"), "s999")),
        'children[2] (id "c3"): option 2 names unknown setting "s999"',
    ),
    (
        "unknown group",
        _edit(_set(("settings", 0, "group"), "g9")),
        'settings[0] (id "s1"): group "g9" is not in groups',
    ),
    (
        "duplicate setting",
        _edit(_set(("settings", 2, "id"), "s1")),
        'settings[2] (id "s1"): duplicate id (also settings[0])',
    ),
    (
        "duplicate group",
        _edit(lambda d: d["groups"].append({"id": "g1", "capacity": 1})),
        'groups[1] (id "g1"): duplicate id (also groups[0])',
    ),
    (
        "duplicate child",
        _edit(_set(("children", 3, "id"), "c2")),
        'children[3] (id "c2"): duplicate id (also children[1])',
    ),
    (
        "repeated option",
        _edit(_set(("children", 0, "options", 1, "setting"), "s1")),
        'children[0] (id "c1"): option 2 repeats setting "s1" (also option 1)',
    ),
    (
        "negative capacity",
        _edit(_set(("settings", 1, "capacity"), -1)),
        'settings[1] (id "s2"): capacity must be an integer from 0 to 2147483647, got -1',
    ),
    (
        "negative group capacity",
        _edit(_set(("groups", 0, "capacity"), -3)),
        'groups[0] (id "g1"): capacity must be an integer',
    ),
    (
        "negative cost",
        _edit(_set(("children", 0, "options", 0, "cost"), -2)),
        'children[0] (id "c1"): option 1 cost must be an integer from 0 to 2147483647, got -2',
    ),
    (
        "negative unplaced cost",
        _edit(_set(("children", 3, "unplaced_cost"), -1)),
        'children[3] (id "c4"): unplaced_cost must be an integer',
    ),
    (
        "float capacity",
        _edit(_set(("settings", 0, "capacity"), 1.0)),
        'settings[0] (id "s1"): capacity must be an integer from 0 to 2147483647, got 1.0',
    ),
    (
        "float cost",
        _edit(_set(("children", 1, "options", 0, "cost"), 2.5)),
        'children[1] (id "c2"): option 1 cost must be an integer from 0 to 2147483647, got 2.5',
    ),
    (
        "float unplaced cost",
        _edit(_set(("children", 1, "unplaced_cost"), 1e3)),
        'children[1] (id "c2"): unplaced_cost must be an integer',
    ),
    (
        "boolean capacity",
        _edit(_set(("groups", 0, "capacity"), True)),
        'groups[0] (id "g1"): capacity must be an integer from 0 to 2147483647, got true',
    ),
    (
        "boolean cost",
        _edit(_set(("children", 0, "options", 1, "cost"), False)),
        'children[0] (id "c1"): option 2 cost must be an integer from 0 to 2147483647, got false',
    ),
    (
        "too large",
        _edit(_set(("settings", 0, "capacity"), 2**31)),
        'settings[0] (id "s1"): capacity must be an integer',
    ),
    (
        "string capacity",
        _edit(_set(("settings", 0, "capacity"), "3")),
        'settings[0] (id "s1"): capacity must be an integer from 0 to 2147483647, got "3"',
    ),
    (
        "numeric setting id",
        _edit(_set(("settings", 0, "id"), 5)),
        "settings[0]: id must be a non-empty string, got 5",
    ),
    (
        "empty child id",
        _edit(_set(("children", 1, "id"), "")),
        'children[1]: id must be a non-empty string, got ""',
    ),
    (
        "group not a string",
        _edit(_set(("settings", 0, "group"), 7)),
        'settings[0] (id "s1"): group must be a string or absent, got 7',
    ),
    (
        "option setting not a string",
        _edit(_set(("children", 0, "options", 0, "setting"), [1])),
        'children[0] (id "c1"): option 1 setting must be a string, got [1]',
    ),
    (
        "options not array",
        _edit(_set(("children", 1, "options"), "s1")),
        'children[1] (id "c2"): "options" must be an array, got string',
    ),
    (
        "child not object",
        _edit(_set(("children", 2), ["c3"])),
        "children[2]: must be an object, got array",
    ),
    (
        "option not object",
        _edit(_set(("children", 0, "options", 1), "s2")),
        'children[0] (id "c1"): option 2: must be an object, got string',
    ),
    (
        "setting missing capacity",
        _edit(_delete(("settings", 2, "capacity"))),
        'settings[2] (id "s3"): missing key "capacity"',
    ),
    (
        "child missing unplaced cost",
        _edit(_delete(("children", 0, "unplaced_cost"))),
        'children[0] (id "c1"): missing key "unplaced_cost"',
    ),
    (
        "option missing cost",
        _edit(_delete(("children", 2, "options", 0, "cost"))),
        'children[2] (id "c3"): option 1: missing key "cost"',
    ),
    (
        "unknown child key",
        _edit(_set(("children", 1, "name"), "Sam")),
        'children[1] (id "c2"): unknown key "name"',
    ),
    (
        "misspelt group key",
        _edit(_set(("settings", 0, "grup"), "g1")),
        'settings[0] (id "s1"): unknown key "grup"',
    ),
    (
        "id with newline",
        _edit(lambda d: [_set(("children", i, "id"), "c\n1")(d) for i in (0, 1)]),
        'children[1] (id "c\\n1"): duplicate id (also children[0])',
    ),
]

USAGE_ERRORS: list[tuple[str, list[str]]] = [
    ("no arguments", []),
    ("wrong command", ["allocate", "x.json"]),
    ("no file", ["solve"]),
    ("two files", ["solve", "a.json", "b.json"]),
    ("unknown option", ["solve", "--fast", "a.json"]),
]


def run_cli(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "phasetransfer.allocation", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def bad_input_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("bad")
    jobs: dict[str, list[str]] = {}
    for i, (name, content, _) in enumerate(BAD_INPUTS):
        path = folder / f"case{i}.json"
        if content is not None:
            path.write_bytes(content)
        jobs[name] = ["solve", str(path)]
    for name, args in USAGE_ERRORS:
        jobs[name] = args
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {name: pool.submit(run_cli, args) for name, args in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def _assert_one_line_failure(run: subprocess.CompletedProcess[bytes]) -> str:
    assert run.returncode == 2, run.stderr
    assert run.stdout == b""
    text = run.stderr.decode()
    assert text.endswith("\n")
    assert text.count("\n") == 1, text
    return text


@pytest.mark.parametrize(
    ("name", "expected"), [(name, expected) for name, _, expected in BAD_INPUTS]
)
def test_bad_input_fails_with_one_line(bad_input_runs: dict, name: str, expected: str) -> None:
    text = _assert_one_line_failure(bad_input_runs[name])
    assert text.startswith("error: ")
    assert expected in text


@pytest.mark.parametrize("name", [name for name, _ in USAGE_ERRORS])
def test_usage_error(bad_input_runs: dict, name: str) -> None:
    text = _assert_one_line_failure(bad_input_runs[name])
    assert text.startswith("usage: python -m phasetransfer.allocation solve")


def test_valid_file_matches_library_output(tmp_path: Path) -> None:
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(VALID))
    run = run_cli(["solve", str(path)])
    assert run.returncode == 0, run.stderr
    assert run.stderr == b""
    assert run.stdout.decode() == allocation_to_json(solve(parse_problem(VALID)))
    # c1 yields s1 to c2: 4 + 1 beats 0 + 100 for leaving c2 out.
    assert run.stdout == (
        b'{"assignments":{"c1":"s2","c2":"s1","c3":"s3","c4":null},"objective":14,'
        b'"reasons":{"c1":[{"reason":"full","setting":"s1"}],"c4":[]},"status":"optimal"}\n'
    )


def _tie_heavy_problem(seed: int) -> dict:
    """Many equal costs, so any order-dependence in building the network would show."""
    rng = np.random.default_rng(seed)
    settings = [{"id": f"s{i}", "capacity": int(rng.integers(0, 4))} for i in range(40)]
    children = []
    for c in range(300):
        listed = rng.choice(40, size=int(rng.integers(0, 6)), replace=False)
        children.append(
            {
                "id": f"c{c}",
                "options": [{"setting": f"s{s}", "cost": int(rng.integers(0, 2))} for s in listed],
                "unplaced_cost": 10,
            }
        )
    return {"settings": settings, "children": children}


def test_cli_output_is_byte_identical_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "ties.json"
    path.write_text(json.dumps(_tie_heavy_problem(7)))
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(run_cli, [["solve", str(path)]] * 2)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout
    assert first.stdout.endswith(b"\n")
    assert first.stdout.count(b"\n") == 1


def test_standard_input_and_compare(tmp_path: Path) -> None:
    data = json.dumps(VALID).encode()
    path = tmp_path / "problem.json"
    path.write_bytes(data)
    jobs = [
        (["solve", "-"], data),
        (["solve", "-"], b"[1,"),
        (["solve", "--compare", str(path)], None),
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        piped, bad_piped, compared = pool.map(lambda job: run_cli(*job), jobs)
    assert piped.stdout.decode() == allocation_to_json(solve(parse_problem(VALID)))
    text = _assert_one_line_failure(bad_piped)
    assert text.startswith("error: standard input is not valid JSON")
    report = json.loads(compared.stdout)
    assert set(report) == {"min_cost_flow", "deferred_acceptance", "children_placed_differently"}


def test_help_goes_to_stdout() -> None:
    run = run_cli(["--help"])
    assert run.returncode == 0
    assert run.stdout.startswith(b"usage: python -m phasetransfer.allocation solve")
