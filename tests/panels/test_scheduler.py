"""The CP-SAT model on its own: every rule, on generated calendars, feasible or not."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest

from panels.scheduler import FULL, WINDOW, CaseItem, SessionSlot, schedule_group

START = dt.datetime(2027, 1, 4, 10, 0, tzinfo=dt.UTC)


def _calendar(seed: int, sessions: int, cases: int, *, conflicts: float = 0.3):
    rng = random.Random(seed)
    slots = [
        SessionSlot(
            key=100 + i,
            starts_at=START + dt.timedelta(days=i * 2, hours=rng.choice([0, 4])),
            limit=rng.choice([10, 15, 20]),
            load=rng.choice([0, 0, 0, 3]),
        )
        for i in range(sessions)
    ]
    items = []
    for c in range(cases):
        not_before = START + dt.timedelta(days=rng.randint(-5, sessions * 2 + 3))
        conflicted = {}
        if rng.random() < conflicts:
            conflicted = {
                rng.choice(slots).key: rng.randint(1, 2) for _ in range(rng.randint(1, 3))
            }
        after = START + dt.timedelta(days=rng.randint(0, 6)) if rng.random() < 0.1 else None
        items.append(CaseItem(c, f"C{c:04d}", not_before, after, conflicted))
    return slots, items


def _check_rules(slots, items, result) -> None:
    by_key = {s.key: s for s in slots}
    fill = Counter(result.placements.values())
    # every case exactly once: placed or reported
    assert set(result.placements) | set(result.unplaced) == {c.key for c in items}
    assert not set(result.placements) & set(result.unplaced)
    for case in items:
        if case.key in result.placements:
            session = by_key[result.placements[case.key]]
            assert case.can_attend(session), "placed outside its time window"
    for key, added in fill.items():
        assert by_key[key].load + added <= by_key[key].limit, "over the case limit"
    for case in items:
        code = result.unplaced.get(case.key)
        open_ = [s for s in slots if case.can_attend(s)]
        if code == WINDOW:
            assert not open_
        elif code == FULL:
            assert open_
            assert all(s.load + fill[s.key] >= s.limit for s in open_), "room left but unplaced"


@pytest.mark.parametrize("seed", range(8))
def test_generated_calendars_respect_every_rule(seed: int) -> None:
    slots, items = _calendar(seed, sessions=random.Random(seed).randint(3, 12), cases=150)
    result = schedule_group(slots, items, time_limit=5)
    assert result.status == "OPTIMAL"
    _check_rules(slots, items, result)


def test_infeasible_calendar_reports_every_case_it_cannot_place() -> None:
    slots = [SessionSlot(1, START, limit=5), SessionSlot(2, START + dt.timedelta(days=7), limit=5)]
    late = START + dt.timedelta(days=30)
    items = [CaseItem(i, f"C{i:03d}", START) for i in range(14)] + [CaseItem(99, "C099", late)]
    result = schedule_group(slots, items)
    assert len(result.placements) == 10
    assert Counter(result.unplaced.values()) == {FULL: 4, WINDOW: 1}
    assert result.unplaced[99] == WINDOW
    # the first cases by label are placed; the rest of the class is reported
    assert set(result.placements) == set(range(10))


def test_no_sessions_reports_window_for_all() -> None:
    items = [CaseItem(i, f"C{i}") for i in range(3)]
    result = schedule_group([], items)
    assert result.unplaced == {0: WINDOW, 1: WINDOW, 2: WINDOW}


def test_sessions_are_filled_evenly() -> None:
    slots = [SessionSlot(k, START + dt.timedelta(days=k), limit=20) for k in range(5)]
    items = [CaseItem(i, f"C{i:03d}") for i in range(50)]
    result = schedule_group(slots, items)
    assert sorted(Counter(result.placements.values()).values()) == [10] * 5


def test_evenness_is_by_fill_ratio_and_counts_cases_already_there() -> None:
    slots = [
        SessionSlot(1, START, limit=40, load=20),
        SessionSlot(2, START + dt.timedelta(days=1), limit=20),
    ]
    items = [CaseItem(i, f"C{i:03d}") for i in range(30)]
    result = schedule_group(slots, items)
    fill = Counter(result.placements.values())
    # 50 cases over 60 places: both sessions end 5/6 full (33 of 40, 17 of 20)
    assert (20 + fill[1], fill[2]) == (33, 17)
    low, high = result.fill_ratio(slots)
    assert high - low < 0.05


def test_conflicted_sessions_are_avoided_when_another_fits() -> None:
    slots = [SessionSlot(k, START + dt.timedelta(days=k), limit=10) for k in range(3)]
    items = [CaseItem(i, f"C{i:02d}", conflicts={0: 1, 1: 2}) for i in range(8)]
    result = schedule_group(slots, items)
    assert set(result.placements.values()) == {2}
    assert result.conflicted == 0


def test_unavoidable_conflict_places_the_case_with_fewest_conflicted_members() -> None:
    slots = [SessionSlot(k, START + dt.timedelta(days=k), limit=10) for k in range(2)]
    items = [CaseItem(1, "C1", conflicts={0: 2, 1: 1})]
    result = schedule_group(slots, items)
    assert result.placements == {1: 1}
    assert result.conflicted == 1


def test_placing_beats_avoiding_a_conflict() -> None:
    slots = [SessionSlot(1, START, limit=1), SessionSlot(2, START, limit=1)]
    items = [CaseItem(1, "A", conflicts={1: 1, 2: 1}), CaseItem(2, "B", conflicts={2: 1})]
    result = schedule_group(slots, items)
    # B must take session 1 to avoid its conflict; A is still placed (with a recusal)
    assert result.placements == {1: 2, 2: 1}
    assert result.conflicted == 1


def test_deferred_case_goes_strictly_after_its_session() -> None:
    slots = [SessionSlot(k, START + dt.timedelta(days=k), limit=10) for k in range(3)]
    items = [CaseItem(1, "C1", after=slots[1].starts_at)]
    assert schedule_group(slots, items).placements == {1: 2}
    items = [CaseItem(1, "C1", after=slots[2].starts_at)]
    assert schedule_group(slots, items).unplaced == {1: WINDOW}


def test_deterministic() -> None:
    slots, items = _calendar(42, sessions=10, cases=300, conflicts=0.6)
    first = schedule_group(slots, items, time_limit=5)
    again = schedule_group(list(reversed(slots)), list(reversed(items)), time_limit=5)
    assert first.placements == again.placements
    assert first.unplaced == again.unplaced
