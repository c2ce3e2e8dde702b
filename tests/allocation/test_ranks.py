"""The "ranks" objective: lexicographically optimal against HiGHS, sound, and what it
promises families (a first preference with room is never refused)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings

from phasetransfer.allocation.engine import ProblemError, allocation_to_json, parse_problem, solve
from phasetransfer.allocation.engine.ranks import (
    cost_budget,
    levels,
    plan,
    solve_ranks_compiled,
)
from phasetransfer.allocation.engine.reasons import build_allocation
from tests.allocation.checks import assert_sound
from tests.allocation.lex_oracle import lexicographic_optimum, signature_of
from tests.allocation.strategies import problems


@settings(max_examples=300, deadline=None)
@given(problems(objective="ranks"))
def test_every_level_matches_an_independent_lexicographic_optimum(data: dict) -> None:
    allocation = solve(parse_problem(data))
    assert signature_of(data, allocation.assignments) == lexicographic_optimum(data)


@settings(max_examples=150, deadline=None)
@given(problems(objective="ranks", max_settings=5, max_children=12))
def test_many_solves_cut_down_between_them_still_match_the_oracle(data: dict) -> None:
    # A budget that barely fits the largest level alone forces several solves, so the cuts
    # of the network between them (potentials, fixed arcs) are exercised.
    cp = parse_problem(data).compiled
    found = levels(cp)
    budget = max((int(max(lv.option.max(initial=0), lv.unplaced.max())) for lv in found), default=1)
    cycle = min(cp.num_children, cp.num_settings + cp.num_groups + 1)
    assert len(plan(found, cycle, budget)) > 1 or len(found) <= 2
    allocation = build_allocation(cp, solve_ranks_compiled(cp, budget), "optimal")
    assert signature_of(data, allocation.assignments) == lexicographic_optimum(data)


@settings(max_examples=150, deadline=None)
@given(problems(objective="ranks"))
def test_allocation_is_sound_and_no_preference_with_room_is_refused(data: dict) -> None:
    allocation = solve(parse_problem(data))
    assert allocation.status == "optimal"
    assert_sound(data, allocation)
    # Room at a setting the child ranked higher would be a better allocation: never.
    for reasons in allocation.reasons.values():
        assert {reason.reason for reason in reasons} <= {"full"}


@settings(max_examples=50, deadline=None)
@given(problems(objective="ranks"))
def test_same_input_gives_identical_output(data: dict) -> None:
    first = allocation_to_json(solve(parse_problem(data)))
    assert allocation_to_json(solve(parse_problem(data))) == first


def _two_children() -> dict:
    """A's first preference (far) has room; B's only option is near A's second."""
    return {
        "settings": [
            {"id": "far-first", "capacity": 1},
            {"id": "near-second", "capacity": 1},
        ],
        "children": [
            {
                "id": "A",
                "options": [
                    {"setting": "far-first", "cost": 0 + 4 * 30},
                    {"setting": "near-second", "cost": 60 + 4 * 2},
                ],
                "unplaced_cost": 100000,
            },
        ],
    }


def test_a_first_preference_with_room_is_met_where_the_cost_objective_refuses_it() -> None:
    data = _two_children()
    cost = solve(parse_problem(data))
    assert cost.assignments == {"A": "near-second"}  # 68 < 120: cheaper in those units
    assert [(r.setting, r.reason) for r in cost.reasons["A"]] == [("far-first", "cost")]
    ranked = solve(parse_problem({**data, "objective": "ranks"}))
    assert ranked.assignments == {"A": "far-first"}
    assert "A" not in ranked.reasons


def test_more_children_placed_comes_before_more_first_preferences() -> None:
    data = {
        "objective": "ranks",
        "settings": [{"id": "x", "capacity": 1}, {"id": "y", "capacity": 1}],
        "children": [
            # A could have x first, but then B (only x) would be unplaced.
            {"id": "A", "options": [{"setting": "x", "cost": 0}, {"setting": "y", "cost": 0}],
             "unplaced_cost": 0},
            {"id": "B", "options": [{"setting": "x", "cost": 0}], "unplaced_cost": 0},
        ],
    }  # fmt: skip
    allocation = solve(parse_problem(data))
    assert allocation.assignments == {"A": "y", "B": "x"}
    assert [(r.setting, r.reason) for r in allocation.reasons["A"]] == [("x", "full")]


def test_the_published_rule_decides_between_equal_claims_before_distance() -> None:
    data = {
        "objective": "ranks",
        "settings": [{"id": "x", "capacity": 1}, {"id": "y", "capacity": 5}],
        "children": [
            # Both put x first; N is nearer, but the school says L's needs can only be met
            # there (rule group 0).
            {"id": "N", "options": [{"setting": "x", "cost": 1, "priority": 2},
                                    {"setting": "y", "cost": 9, "priority": 2}],
             "unplaced_cost": 0},
            {"id": "L", "options": [{"setting": "x", "cost": 50, "priority": 0},
                                    {"setting": "y", "cost": 9, "priority": 2}],
             "unplaced_cost": 0},
        ],
    }  # fmt: skip
    assert solve(parse_problem(data)).assignments == {"N": "y", "L": "x"}
    for child in data["children"]:
        for option in child["options"]:
            option["priority"] = 2
    assert solve(parse_problem(data)).assignments == {"N": "x", "L": "y"}


def test_the_cli_reads_the_objective_and_rejects_an_unknown_one(tmp_path) -> None:
    data = {**_two_children(), "objective": "ranks"}
    good = tmp_path / "ranks.json"
    good.write_text(json.dumps(data))
    run = subprocess.run(
        [sys.executable, "-m", "phasetransfer.allocation", "solve", str(good)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["assignments"] == {"A": "far-first"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**data, "objective": "fairest"}))
    run = subprocess.run(
        [sys.executable, "-m", "phasetransfer.allocation", "solve", str(bad)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stdout == ""
    assert 'objective must be one of "cost", "ranks", got "fairest"' in run.stderr


def test_a_priority_that_is_not_a_count_is_named() -> None:
    data = {**_two_children(), "objective": "ranks"}
    data["children"][0]["options"][1]["priority"] = -1
    with pytest.raises(ProblemError, match=r'children\[0\] \(id "A"\): option 2 priority must'):
        parse_problem(data)


def test_the_budget_shrinks_with_the_network() -> None:
    assert cost_budget(10) > cost_budget(100_000) > 2**40


def test_the_familys_own_rank_counts_not_the_options_position() -> None:
    # B's first preference was refused before the solve: their option at position 1 is
    # their second preference, so A (on their true first) gets the one place.
    data = {
        "objective": "ranks",
        "settings": [{"id": "x", "capacity": 1}, {"id": "y", "capacity": 1}],
        "children": [
            {"id": "A", "options": [{"setting": "x", "cost": 9}, {"setting": "y", "cost": 0}],
             "unplaced_cost": 0},
            {"id": "B", "options": [{"setting": "x", "cost": 0, "rank": 2},
                                    {"setting": "y", "cost": 0, "rank": 3}],
             "unplaced_cost": 0},
        ],
    }  # fmt: skip
    assert solve(parse_problem(data)).assignments == {"A": "x", "B": "y"}
    del data["children"][1]["options"][0]["rank"], data["children"][1]["options"][1]["rank"]
    assert solve(parse_problem(data)).assignments == {"A": "y", "B": "x"}  # cost decides


def test_ranks_out_of_the_familys_order_are_named() -> None:
    data = {**_two_children(), "objective": "ranks"}
    data["children"][0]["options"][0]["rank"] = 3
    data["children"][0]["options"][1]["rank"] = 2
    with pytest.raises(ProblemError, match=r"option 2 rank must be more than option 1's \(3\)"):
        parse_problem(data)
