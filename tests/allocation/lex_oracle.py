"""An independent optimum for the "ranks" objective: lexicographic integer programs in HiGHS.

Built straight from the JSON with the same rows as ``lp_oracle`` (each child placed once or
left unplaced, settings and groups within capacity), plus one row per level already
optimised that holds it at its optimum. The extra rows break total unimodularity, so the
variables are integers (a MIP): exact, and quick on the small problems Hypothesis draws.
Nothing here uses the allocation package.
"""

from __future__ import annotations

import highspy
import numpy as np

from tests.allocation.lp_oracle import _matrix


def level_columns(data: dict) -> list[list[int]]:
    """Each level's metric per column (options child by child, then one "unplaced" column
    per child), most important first, as the objective's definition in docs/allocation.md
    states it: unplaced; not within the family's first r preferences; claims in the rule's
    first g groups left unmet; cost. Constant levels are kept: they must come out equal."""
    children = data["children"]
    # Each option with the family's rank of it: given, or its position counting from 1.
    options = [
        (o.get("rank", position + 1), o)
        for c in children
        for position, o in enumerate(c["options"])
    ]
    n = len(children)
    ranks = sorted({rank for rank, _ in options})
    priorities = sorted({o.get("priority", 0) for _, o in options})
    found = [[0] * len(options) + [1] * n]
    for r in ranks[:-1]:
        found.append([int(rank > r) for rank, _ in options] + [1] * n)
    for g in priorities[:-1]:
        # Claims in the rule's groups up to g that the placement leaves unmet: the options
        # ranked above it (all of them when the child is unplaced).
        column: list[int] = []
        unplaced: list[int] = []
        for child in children:
            inside = [int(o.get("priority", 0) <= g) for o in child["options"]]
            column += [sum(inside[:rank]) for rank in range(len(inside))]
            unplaced.append(sum(inside))
        found.append(column + unplaced)
    found.append([o["cost"] for _, o in options] + [c["unplaced_cost"] for c in children])
    return found


def lexicographic_optimum(data: dict) -> list[int]:
    """The optimal value of every level in turn, most important first."""
    found = level_columns(data)
    if not data["children"]:
        return [0] * len(found)
    starts, rows, _costs, upper = _matrix(data)
    n = len(data["children"])
    columns = len(starts) - 1
    row_lower = np.full(len(upper), -highspy.kHighsInf)
    row_lower[:n] = 1.0
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.setOptionValue("mip_abs_gap", 0.0)
    lp = highspy.HighsLp()
    lp.num_col_ = columns
    lp.num_row_ = len(upper)
    lp.col_cost_ = np.zeros(columns)
    lp.col_lower_ = np.zeros(columns)
    lp.col_upper_ = np.ones(columns)
    lp.row_lower_ = row_lower
    lp.row_upper_ = np.array(upper, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(rows, dtype=np.int32)
    lp.a_matrix_.value_ = np.ones(len(rows))
    lp.integrality_ = [highspy.HighsVarType.kInteger] * columns
    highs.passModel(lp)
    values: list[int] = []
    everything = np.arange(columns, dtype=np.int32)
    for metric in found:
        highs.changeColsCost(columns, everything, np.array(metric, dtype=np.float64))
        highs.run()
        status = highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"HiGHS: {highs.modelStatusToString(status)}")
        best = round(highs.getInfo().objective_function_value)
        values.append(best)
        # Hold this level at its optimum while the next ones are optimised.
        used = np.flatnonzero(metric).astype(np.int32)
        highs.addRow(
            -highspy.kHighsInf,
            float(best),
            len(used),
            used,
            np.array(metric, dtype=np.float64)[used],
        )
    return values


def signature_of(data: dict, assignments: dict[str, str | None]) -> list[int]:
    """Every level's total for an allocation, by the same definition, from the JSON."""
    found = level_columns(data)
    children = data["children"]
    chosen = []
    position = 0
    for child in children:
        listed = [o["setting"] for o in child["options"]]
        setting = assignments[child["id"]]
        chosen.append(None if setting is None else position + listed.index(setting))
        position += len(listed)
    unplaced_base = position
    totals = []
    for metric in found:
        total = 0
        for c, column in enumerate(chosen):
            total += metric[unplaced_base + c] if column is None else metric[column]
        totals.append(total)
    return totals
