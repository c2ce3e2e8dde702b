"""Deferred acceptance: stable without groups, sound with them, ties broken by id."""

from __future__ import annotations

from hypothesis import given, settings

from phasetransfer.allocation.engine import (
    deferred_acceptance,
    fairness_report,
    parse_problem,
    solve,
)
from tests.allocation.checks import assert_sound, envious_children
from tests.allocation.strategies import problems


@settings(max_examples=200, deadline=None)
@given(problems(with_groups=False))
def test_stable_without_groups(data: dict) -> None:
    problem = parse_problem(data)
    allocation = deferred_acceptance(problem)
    assert envious_children(data, allocation.assignments) == set()
    assert fairness_report(problem, allocation)["justified_envy"] == 0


@settings(max_examples=200, deadline=None)
@given(problems())
def test_sound_with_groups(data: dict) -> None:
    allocation = deferred_acceptance(parse_problem(data))
    assert allocation.status == "stable"
    assert_sound(data, allocation)


@settings(max_examples=200, deadline=None)
@given(problems())
def test_envy_count_matches_brute_force(data: dict) -> None:
    problem = parse_problem(data)
    for allocation in (solve(problem), deferred_acceptance(problem)):
        expected = len(envious_children(data, allocation.assignments))
        assert fairness_report(problem, allocation)["justified_envy"] == expected


def test_ties_go_to_the_smaller_id_as_a_string() -> None:
    data = {
        "settings": [{"id": "a", "capacity": 1}],
        "children": [
            {"id": cid, "options": [{"setting": "a", "cost": 5}], "unplaced_cost": 9}
            for cid in ("c9", "c10")
        ],
    }
    assert deferred_acceptance(parse_problem(data)).assignments == {"c9": None, "c10": "a"}


def test_lower_cost_has_priority_and_rejections_cascade() -> None:
    data = {
        "settings": [{"id": "a", "capacity": 1}, {"id": "b", "capacity": 1}],
        "children": [
            {
                "id": "x",
                "options": [{"setting": "a", "cost": 3}, {"setting": "b", "cost": 4}],
                "unplaced_cost": 50,
            },
            {"id": "y", "options": [{"setting": "b", "cost": 1}], "unplaced_cost": 50},
            {
                "id": "z",
                "options": [{"setting": "a", "cost": 2}, {"setting": "b", "cost": 0}],
                "unplaced_cost": 50,
            },
        ],
    }
    # z displaces x at a (cost 2 beats 3); at b, y's cost 1 beats x's 4, so x ends unplaced.
    allocation = deferred_acceptance(parse_problem(data))
    assert allocation.assignments == {"x": None, "y": "b", "z": "a"}
    assert [(r.setting, r.reason) for r in allocation.reasons["x"]] == [
        ("a", "full"),
        ("b", "full"),
    ]


def test_group_overflow_rejects_lowest_priority_in_the_group() -> None:
    data = {
        "groups": [{"id": "g", "capacity": 1}],
        "settings": [
            {"id": "d", "capacity": 2, "group": "g"},
            {"id": "e", "capacity": 1, "group": "g"},
        ],
        "children": [
            {"id": "c5", "options": [{"setting": "d", "cost": 1}], "unplaced_cost": 30},
            {"id": "c6", "options": [{"setting": "e", "cost": 0}], "unplaced_cost": 40},
        ],
    }
    allocation = deferred_acceptance(parse_problem(data))
    assert allocation.assignments == {"c5": None, "c6": "e"}
    assert [(r.setting, r.reason) for r in allocation.reasons["c5"]] == [("d", "full")]
