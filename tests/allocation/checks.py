"""Independent checks of an allocation against the raw problem JSON.

Written against the file contract only (not the package's arrays), so a bug in the model's
own bookkeeping cannot hide itself.
"""

from __future__ import annotations

from collections import Counter

from phasetransfer.allocation.engine import Allocation


def loads(data: dict, assignments: dict[str, str | None]) -> tuple[Counter, Counter]:
    group_of = {s["id"]: s.get("group") for s in data["settings"]}
    per_setting = Counter(s for s in assignments.values() if s is not None)
    per_group = Counter(
        group_of[s] for s in assignments.values() if s is not None and group_of[s] is not None
    )
    return per_setting, per_group


def full_and_room(data: dict, assignments: dict[str, str | None]) -> tuple[set[str], set[str]]:
    """Settings that are full (setting or group at capacity), and settings with room in both."""
    per_setting, per_group = loads(data, assignments)
    group_capacity = {g["id"]: g["capacity"] for g in data.get("groups", [])}
    full, room = set(), set()
    for setting in data["settings"]:
        group = setting.get("group")
        setting_full = per_setting[setting["id"]] == setting["capacity"]
        group_full = group is not None and per_group[group] == group_capacity[group]
        (full if setting_full or group_full else room).add(setting["id"])
    return full, room


def assert_within_capacity(data: dict, allocation: Allocation) -> None:
    per_setting, per_group = loads(data, allocation.assignments)
    for setting in data["settings"]:
        assert per_setting[setting["id"]] <= setting["capacity"], setting
    for group in data.get("groups", []):
        assert per_group[group["id"]] <= group["capacity"], group


def assert_own_options(data: dict, allocation: Allocation) -> None:
    assert list(allocation.assignments) == [c["id"] for c in data["children"]]
    for child in data["children"]:
        setting = allocation.assignments[child["id"]]
        assert setting is None or setting in {o["setting"] for o in child["options"]}


def expected_objective(data: dict, assignments: dict[str, str | None]) -> int:
    total = 0
    for child in data["children"]:
        setting = assignments[child["id"]]
        costs = {o["setting"]: o["cost"] for o in child["options"]}
        total += child["unplaced_cost"] if setting is None else costs[setting]
    return total


def assert_truthful_reasons(data: dict, allocation: Allocation) -> None:
    """Reasons list exactly the options ranked above the placement, and say true things."""
    full, room = full_and_room(data, allocation.assignments)
    for child in data["children"]:
        listed = [o["setting"] for o in child["options"]]
        setting = allocation.assignments[child["id"]]
        if listed and setting == listed[0]:
            assert child["id"] not in allocation.reasons
            continue
        above = listed if setting is None else listed[: listed.index(setting)]
        reasons = allocation.reasons[child["id"]]
        assert [r.setting for r in reasons] == above
        for reason in reasons:
            assert reason.reason in {"full", "cost"}
            assert reason.setting in (full if reason.reason == "full" else room)
    assert set(allocation.reasons) <= {c["id"] for c in data["children"]}


def assert_sound(data: dict, allocation: Allocation) -> None:
    assert_own_options(data, allocation)
    assert_within_capacity(data, allocation)
    assert_truthful_reasons(data, allocation)
    assert allocation.objective == expected_objective(data, allocation.assignments)


def envious_children(data: dict, assignments: dict[str, str | None]) -> set[str]:
    """Children with justified envy, by brute force over every pair of children."""
    _, room = full_and_room(data, assignments)
    cost = {(c["id"], o["setting"]): o["cost"] for c in data["children"] for o in c["options"]}
    envious = set()
    for child in data["children"]:
        listed = [o["setting"] for o in child["options"]]
        own = assignments[child["id"]]
        for setting in listed if own is None else listed[: listed.index(own)]:
            mine = (cost[child["id"], setting], child["id"])
            holders = [c for c, s in assignments.items() if s == setting]
            if setting in room or any(mine < (cost[h, setting], h) for h in holders):
                envious.add(child["id"])
    return envious
