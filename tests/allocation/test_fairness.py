"""Fairness figures on a small example worked out by hand."""

from __future__ import annotations

import pytest

from phasetransfer.allocation.engine import (
    compare,
    deferred_acceptance,
    fairness_report,
    parse_problem,
)
from phasetransfer.allocation.engine import solve as solve_mcf


def _child(cid: str, options: list[tuple[str, int]], unplaced: int) -> dict:
    return {
        "id": cid,
        "options": [{"setting": s, "cost": c} for s, c in options],
        "unplaced_cost": unplaced,
    }


# c1 and c2 both rank A first. Priority at A goes to c1 (cost 2 < 3), but min-cost flow puts c2
# at A and c1 at B (3 + 3 beats 2 + 100), so c1 has justified envy under min-cost flow only.
# C has no places; D and E share group G with room for one, taken by c6 (cheaper to unplace c5).
EXAMPLE = {
    "groups": [{"id": "G", "capacity": 1}],
    "settings": [
        {"id": "A", "capacity": 1},
        {"id": "B", "capacity": 1},
        {"id": "C", "capacity": 0},
        {"id": "D", "capacity": 2, "group": "G"},
        {"id": "E", "capacity": 1, "group": "G"},
    ],
    "children": [
        _child("c1", [("A", 2), ("B", 3)], 100),
        _child("c2", [("A", 3), ("B", 100)], 100),
        _child("c3", [], 7),
        _child("c4", [("C", 4)], 50),
        _child("c5", [("D", 1)], 30),
        _child("c6", [("E", 0), ("D", 2)], 40),
    ],
}
DISTANCES = {
    ("c1", "A"): 1.5,
    ("c1", "B"): 4.0,
    ("c2", "A"): 2.0,
    ("c2", "B"): 6.5,
    ("c4", "C"): 1.0,
    ("c5", "D"): 1.0,
    ("c6", "E"): 0.5,
    ("c6", "D"): 1.0,
}


def test_min_cost_flow_figures() -> None:
    problem = parse_problem(EXAMPLE)
    allocation = solve_mcf(problem)
    assert allocation.assignments == {
        "c1": "B",
        "c2": "A",
        "c3": None,
        "c4": None,
        "c5": None,
        "c6": "E",
    }
    assert {c: [(r.setting, r.reason) for r in rs] for c, rs in allocation.reasons.items()} == {
        "c1": [("A", "full")],
        "c3": [],
        "c4": [("C", "full")],
        "c5": [("D", "full")],
    }
    assert fairness_report(problem, allocation, DISTANCES) == {
        "children": 6,
        "first_preference": 2,
        "first_preference_rate": pytest.approx(2 / 6),
        "any_preference_rate": 0.5,
        "unplaced": 3,
        "objective": 3 + 3 + 7 + 50 + 30 + 0,
        "justified_envy": 1,
        "mean_distance": pytest.approx((4.0 + 2.0 + 0.5) / 3),
    }


def test_deferred_acceptance_figures() -> None:
    problem = parse_problem(EXAMPLE)
    allocation = deferred_acceptance(problem)
    assert allocation.assignments == {
        "c1": "A",
        "c2": "B",
        "c3": None,
        "c4": None,
        "c5": None,
        "c6": "E",
    }
    report = fairness_report(problem, allocation)
    assert report["objective"] == 2 + 100 + 7 + 50 + 30 + 0
    assert report["justified_envy"] == 0
    assert report["mean_distance"] is None


def test_compare_side_by_side() -> None:
    result = compare(parse_problem(EXAMPLE), DISTANCES)
    assert result["children_placed_differently"] == 2
    assert result["min_cost_flow"]["objective"] == 93
    assert result["deferred_acceptance"]["objective"] == 189
    assert result["deferred_acceptance"]["mean_distance"] == pytest.approx(8.5 / 3)


def test_spare_capacity_counts_as_justified_envy() -> None:
    # The only option is cheap to skip, so the optimum leaves the child out despite the room.
    data = {"settings": [{"id": "s", "capacity": 1}], "children": [_child("c", [("s", 9)], 1)]}
    problem = parse_problem(data)
    assert fairness_report(problem, solve_mcf(problem))["justified_envy"] == 1


def test_allocation_that_does_not_fit_the_problem_is_refused() -> None:
    problem = parse_problem(EXAMPLE)
    allocation = solve_mcf(problem)
    allocation.assignments["c4"] = "A"
    with pytest.raises(ValueError, match="c4"):
        fairness_report(problem, allocation)


def test_empty_problem_has_no_rates() -> None:
    problem = parse_problem({"settings": [], "children": []})
    report = fairness_report(problem, solve_mcf(problem))
    assert report["first_preference_rate"] is None
    assert report["unplaced"] == 0
