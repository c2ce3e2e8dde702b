"""Placing proposed cases into panel sessions: the CP-SAT model for one (area, round) group.

Plain Python and OR-Tools, no Django, so it can be tested and benchmarked on its own.
``panels.services.scheduling`` builds the input from the database and writes the result.

The model. Cases that the model cannot tell apart (the same sessions open to them, the
same conflicts in each) form one *class*; the variables are the number of each class's
cases put in each session. A Kent round has a few hundred classes per area instead of
thousands of cases, so the model stays small however large the cohort. The objectives,
in strict order of priority (``_solve_stages`` fixes each optimum before the next):

1. place as many cases as possible (every unplaced case is reported with a reason);
2. avoid conflicts of interest: each placement costs the number of members of that
   session whose school is involved in the case (they would have to be recused);
3. fill sessions evenly: minimise the highest fill ratio (cases / case limit, per mille);
4. then the spread: maximise the lowest fill ratio among sessions that can take a case;
5. then, as a tie-break with a small fixed budget, prefer earlier sessions.

Determinism: one worker, a fixed seed and a *deterministic* time limit, so the same
input gives the same schedule on any machine; cases of a class are handed out to the
chosen sessions in a fixed order (their label, then the sessions' start).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

PER_MILLE = 1000
WINDOW = "window"  # no session in the case's time window (consultations due .. cut-off)
FULL = "full"  # sessions in the window exist but have no room left
TIMEOUT = "timeout"  # the solver found no solution in time


@dataclass(frozen=True)
class SessionSlot:
    key: int
    starts_at: dt.datetime
    limit: int  # the session's case limit
    load: int = 0  # cases already there (kept, decided)

    @property
    def room(self) -> int:
        return max(self.limit - self.load, 0)


@dataclass(frozen=True)
class CaseItem:
    key: int
    label: str  # a stable order (the case reference)
    not_before: dt.datetime | None = None  # the session must start at or after this
    after: dt.datetime | None = None  # ...and strictly after this (deferred from that session)
    conflicts: Mapping[int, int] = field(default_factory=dict)  # session key -> members

    def can_attend(self, session: SessionSlot) -> bool:
        if self.not_before is not None and session.starts_at < self.not_before:
            return False
        return self.after is None or session.starts_at > self.after


@dataclass
class GroupResult:
    placements: dict[int, int] = field(default_factory=dict)  # case key -> session key
    unplaced: dict[int, str] = field(default_factory=dict)  # case key -> WINDOW/FULL/TIMEOUT
    status: str = "EMPTY"
    seconds: float = 0.0
    classes: int = 0
    conflicted: int = 0  # placements in a session with a conflicted member
    fill: dict[int, int] = field(default_factory=dict)  # session key -> cases after placing

    def fill_ratio(self, sessions: Sequence[SessionSlot]) -> tuple[float, float]:
        """(lowest, highest) fill of the sessions, as fractions."""
        ratios = [self.fill.get(s.key, s.load) / s.limit for s in sessions if s.limit]
        return (min(ratios), max(ratios)) if ratios else (0.0, 0.0)


@dataclass
class _Class:
    sessions: tuple[int, ...]  # indices into the ordered session list
    penalties: tuple[int, ...]  # conflicted members, per session above
    cases: list[CaseItem] = field(default_factory=list)


def _classes(sessions: list[SessionSlot], cases: Sequence[CaseItem]) -> list[_Class]:
    by_key: dict[tuple[tuple[int, ...], tuple[int, ...]], _Class] = {}
    for case in sorted(cases, key=lambda c: (c.label, c.key)):
        open_ = tuple(i for i, s in enumerate(sessions) if case.can_attend(s))
        penalties = tuple(case.conflicts.get(sessions[i].key, 0) for i in open_)
        cls = by_key.setdefault((open_, penalties), _Class(open_, penalties))
        cls.cases.append(case)
    return list(by_key.values())


@dataclass
class _Model:
    model: cp_model.CpModel
    flows: dict[tuple[int, int], cp_model.IntVar]  # (class, session index) -> cases
    # sum() of nothing is 0: an expression or a plain int.
    unplaced: cp_model.LinearExpr | int
    conflicts: cp_model.LinearExpr | int
    top: cp_model.IntVar
    bottom: cp_model.IntVar
    worst_conflicts: int
    ceiling: int
    lateness: cp_model.LinearExpr | int  # sum of the session positions used: lower is earlier


def _build(sessions: list[SessionSlot], classes: list[_Class]) -> _Model:
    model = cp_model.CpModel()
    flows: dict[tuple[int, int], cp_model.IntVar] = {}
    unplaced: list[cp_model.IntVar] = []
    for k, cls in enumerate(classes):
        size = len(cls.cases)
        for i in cls.sessions:
            room = sessions[i].room
            if room:
                flows[(k, i)] = model.new_int_var(0, min(size, room), f"y{k}_{i}")
        miss = model.new_int_var(0, size, f"u{k}")
        unplaced.append(miss)
        model.add(sum(flows[(k, i)] for i in cls.sessions if (k, i) in flows) + miss == size)

    incoming: dict[int, list[cp_model.IntVar]] = {}
    for (_, i), var in flows.items():
        incoming.setdefault(i, []).append(var)
    for i, variables in incoming.items():
        model.add(sum(variables) <= sessions[i].room)

    # Fill ratios, per mille (rounded down), as exact integers: CP-SAT reasons about
    # "38 of 40" far better than about the linear form load * 1000 <= top * limit.
    ceiling = max(math.ceil(PER_MILLE * max(s.load, s.limit) / s.limit) for s in sessions)
    top = model.new_int_var(0, ceiling, "top")
    bottom = model.new_int_var(0, ceiling, "bottom")
    receiving = {i for cls in classes for i in cls.sessions if sessions[i].room}
    for i, session in enumerate(sessions):
        load = model.new_int_var(session.load, session.load + session.room, f"load{i}")
        model.add(load == session.load + sum(incoming.get(i, [])))
        ratio = model.new_int_var(0, ceiling, f"ratio{i}")
        model.add_division_equality(ratio, load * PER_MILLE, session.limit)
        model.add(ratio <= top)
        if i in receiving:
            model.add(ratio >= bottom)
    model.add(bottom <= top)
    conflicts = sum(
        cls.penalties[cls.sessions.index(i)] * var
        for (k, i), var in flows.items()
        if (cls := classes[k]).penalties[cls.sessions.index(i)]
    )
    worst = sum(len(cls.cases) * max(cls.penalties, default=0) for cls in classes)
    lateness = sum(i * var for (_, i), var in flows.items())
    return _Model(model, flows, sum(unplaced), conflicts, top, bottom, worst, ceiling, lateness)


TIE_BREAK_SECONDS = 0.3  # deterministic seconds for the last, least important stage


def _solve_stages(built: _Model, *, time_limit: float, seed: int) -> tuple[str, dict]:
    """Solve the priorities one after another, fixing each optimum before the next.

    One weighted objective would do the same in theory, but its weights grow with the
    problem and CP-SAT then proves optimality slowly; three small solves are quick. The
    status returned is that of the evenness stage; the tie-break only polishes it.
    """
    model = built.model
    ceiling = built.ceiling
    stages = [
        # Placing a case always beats avoiding any number of conflicts for it.
        (built.unplaced * (built.worst_conflicts + 1) + built.conflicts, time_limit * 0.4),
        # One per mille off the highest fill beats any change in the spread.
        (built.top * (ceiling + 1) + built.top - built.bottom, time_limit * 0.6),
        # Among equally even schedules, the earlier sessions: families hear sooner.
        (built.lateness, min(TIE_BREAK_SECONDS, time_limit)),
    ]
    status_name = "UNKNOWN"
    values: dict = {}
    for number, (objective, budget) in enumerate(stages):
        model.minimize(objective)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed
        # The deterministic limit stops a long search at the same point on every machine;
        # the wall-clock limit is only a safety net above it.
        solver.parameters.max_deterministic_time = budget
        solver.parameters.max_time_in_seconds = time_limit * 3
        # Stronger LP relaxation: it proves the fill bounds quickly (measured: 3x faster).
        solver.parameters.linearization_level = 2
        if number == 2:
            solver.parameters.cp_model_presolve = False
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        if number < 2:
            status_name = solver.status_name(status)
        values = {key: int(solver.value(var)) for key, var in built.flows.items()}
        model.clear_hints()
        for key, var in built.flows.items():
            model.add_hint(var, values[key])
        model.add(objective <= int(solver.objective_value))
    return status_name, values


def _hand_out(
    sessions: list[SessionSlot],
    classes: list[_Class],
    counts: dict[tuple[int, int], int],
    result: GroupResult,
) -> None:
    """Turn per-class counts into one session per case, in a fixed order."""
    for k, cls in enumerate(classes):
        queue = list(cls.cases)
        for i in cls.sessions:
            for _ in range(counts.get((k, i), 0)):
                case = queue.pop(0)
                result.placements[case.key] = sessions[i].key
                if case.conflicts.get(sessions[i].key):
                    result.conflicted += 1
                result.fill[sessions[i].key] = result.fill.get(sessions[i].key, 0) + 1
        for case in queue:
            result.unplaced[case.key] = FULL if cls.sessions else WINDOW


def schedule_group(
    sessions: Sequence[SessionSlot],
    cases: Sequence[CaseItem],
    *,
    time_limit: float = 10.0,
    seed: int = 0,
) -> GroupResult:
    """Place ``cases`` in ``sessions`` (all of one area and round), per the module docstring."""
    started = time.perf_counter()
    ordered = sorted(sessions, key=lambda s: (s.starts_at, s.key))
    result = GroupResult(fill={s.key: s.load for s in ordered})
    if not cases:
        return result
    if not ordered:
        result.unplaced = {case.key: WINDOW for case in cases}
        result.status = "NO_SESSIONS"
        return result
    classes = _classes(ordered, cases)
    result.classes = len(classes)
    built = _build(ordered, classes)
    result.status, counts = _solve_stages(built, time_limit=time_limit, seed=seed)
    if counts or result.status in ("OPTIMAL", "FEASIBLE"):
        _hand_out(ordered, classes, counts, result)
    else:
        result.unplaced = {case.key: TIMEOUT for case in cases}
    result.seconds = time.perf_counter() - started
    return result
