"""Min-cost flow: optimal (against HiGHS), feasible, truthful and deterministic."""

from __future__ import annotations

from hypothesis import given, settings

from phasetransfer.allocation.engine import allocation_to_json, parse_problem, solve
from tests.allocation.checks import assert_sound
from tests.allocation.lp_oracle import lp_optimum
from tests.allocation.strategies import problems


@settings(max_examples=200, deadline=None)
@given(problems())
def test_objective_matches_independent_lp_optimum(data: dict) -> None:
    assert solve(parse_problem(data)).objective == lp_optimum(data)


@settings(max_examples=200, deadline=None)
@given(problems())
def test_allocation_is_sound(data: dict) -> None:
    allocation = solve(parse_problem(data))
    assert allocation.status == "optimal"
    assert_sound(data, allocation)


@settings(max_examples=50, deadline=None)
@given(problems())
def test_same_input_gives_identical_output(data: dict) -> None:
    first = allocation_to_json(solve(parse_problem(data)))
    assert allocation_to_json(solve(parse_problem(data))) == first


def test_group_capacity_binds_across_settings() -> None:
    data = {
        "groups": [{"id": "school", "capacity": 2}],
        "settings": [
            {"id": "mainstream", "capacity": 2, "group": "school"},
            {"id": "resourced", "capacity": 2, "group": "school"},
            {"id": "special", "capacity": 5},
        ],
        "children": [
            {
                "id": f"c{i}",
                "options": [
                    {"setting": "resourced", "cost": i},
                    {"setting": "special", "cost": 10},
                ],
                "unplaced_cost": 100,
            }
            for i in range(3)
        ],
    }
    allocation = solve(parse_problem(data))
    assert allocation.assignments == {"c0": "resourced", "c1": "resourced", "c2": "special"}
    assert [(r.setting, r.reason) for r in allocation.reasons["c2"]] == [("resourced", "full")]
    assert allocation.objective == 0 + 1 + 10


def test_cost_reason_when_cheaper_overall() -> None:
    # a: c1 would rather have "near", but giving it to c2 saves more than it costs c1.
    data = {
        "settings": [
            {"id": "near", "capacity": 1},
            {"id": "far", "capacity": 1},
            {"id": "spare", "capacity": 1},
        ],
        "children": [
            {
                "id": "c1",
                "options": [{"setting": "near", "cost": 0}, {"setting": "far", "cost": 1}],
                "unplaced_cost": 50,
            },
            {
                "id": "c2",
                "options": [{"setting": "near", "cost": 0}, {"setting": "far", "cost": 9}],
                "unplaced_cost": 50,
            },
            {
                "id": "c3",
                "options": [{"setting": "far", "cost": 5}, {"setting": "spare", "cost": 3}],
                "unplaced_cost": 50,
            },
        ],
    }
    allocation = solve(parse_problem(data))
    assert allocation.assignments == {"c1": "far", "c2": "near", "c3": "spare"}
    assert allocation.objective == 4
    assert [(r.setting, r.reason) for r in allocation.reasons["c1"]] == [("near", "full")]
    assert [(r.setting, r.reason) for r in allocation.reasons["c3"]] == [("far", "full")]


def test_reason_cost_when_unplacing_is_cheaper() -> None:
    data = {
        "settings": [{"id": "s", "capacity": 3}],
        "children": [
            {"id": "c", "options": [{"setting": "s", "cost": 9}], "unplaced_cost": 2},
            {"id": "d", "options": [], "unplaced_cost": 1},
        ],
    }
    allocation = solve(parse_problem(data))
    assert allocation.assignments == {"c": None, "d": None}
    assert allocation_to_json(allocation) == (
        '{"assignments":{"c":null,"d":null},"objective":3,'
        '"reasons":{"c":[{"reason":"cost","setting":"s"}],"d":[]},"status":"optimal"}\n'
    )


def test_empty_problem() -> None:
    allocation = solve(parse_problem({"settings": [], "children": []}))
    assert allocation_to_json(allocation) == (
        '{"assignments":{},"objective":0,"reasons":{},"status":"optimal"}\n'
    )
