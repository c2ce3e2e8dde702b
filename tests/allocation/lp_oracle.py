"""An independent optimum: the allocation LP solved by HiGHS, built straight from the JSON.

Variables are x[child, option] and u[child] in [0, 1]; each child's variables sum to 1, each
setting's and each group's placements stay within capacity. Rows are one partition (children)
plus a laminar family (settings inside groups), so the matrix is totally unimodular and the LP
optimum equals the best integral allocation. Nothing here uses the allocation package.
"""

from __future__ import annotations

import highspy
import numpy as np


def _matrix(data: dict) -> tuple[list[int], list[int], list[float], list[float]]:
    """Column starts, row indices, costs and upper row bounds for the allocation LP."""
    children, settings = data["children"], data["settings"]
    groups = data.get("groups", [])
    n, s = len(children), len(settings)
    setting_row = {setting["id"]: n + i for i, setting in enumerate(settings)}
    group_row = {group["id"]: n + s + i for i, group in enumerate(groups)}
    extra_row = {
        setting["id"]: group_row[setting["group"]]
        for setting in settings
        if setting.get("group") is not None
    }
    starts: list[int] = [0]
    rows: list[int] = []
    costs: list[float] = []
    for c, child in enumerate(children):
        for option in child["options"]:
            rows.extend((c, setting_row[option["setting"]]))
            if option["setting"] in extra_row:
                rows.append(extra_row[option["setting"]])
            starts.append(len(rows))
            costs.append(option["cost"])
    for c, child in enumerate(children):  # the "unplaced" columns
        rows.append(c)
        starts.append(len(rows))
        costs.append(child["unplaced_cost"])
    upper = [1.0] * n + [x["capacity"] for x in settings] + [x["capacity"] for x in groups]
    return starts, rows, costs, upper


def lp_optimum(data: dict) -> int:
    """The minimum total cost of the problem ``data`` (file-contract JSON object)."""
    if not data["children"]:
        return 0
    starts, rows, costs, upper = _matrix(data)
    n = len(data["children"])
    lp = highspy.HighsLp()
    lp.num_col_ = len(costs)
    lp.num_row_ = len(upper)
    lp.col_cost_ = np.array(costs, dtype=np.float64)
    lp.col_lower_ = np.zeros(len(costs))
    lp.col_upper_ = np.ones(len(costs))
    lower = np.full(len(upper), -highspy.kHighsInf)
    lower[:n] = 1.0  # every child is placed or explicitly unplaced
    lp.row_lower_ = lower
    lp.row_upper_ = np.array(upper, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(rows, dtype=np.int32)
    lp.a_matrix_.value_ = np.ones(len(rows))
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp)
    highs.run()
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"HiGHS did not find an optimum: {highs.modelStatusToString(status)}")
    value = highs.getInfo().objective_function_value
    rounded = round(value)
    # Total unimodularity makes the optimum integral; allow only float noise around it.
    if abs(value - rounded) > 1e-6 * max(1.0, abs(value)):
        raise RuntimeError(f"LP optimum {value} is not integral")
    return int(rounded)
