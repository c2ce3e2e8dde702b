"""Baseline for the benchmark: read a problem file with json and solve it with the same
vectorised OR-Tools arcs as the allocation model, with no validation, reasons or output
beyond the objective. The CLI is measured against this.
"""

from __future__ import annotations

import gc
import json
import sys

import numpy as np
from ortools.graph.python import min_cost_flow


def main(path: str) -> None:
    gc.disable()  # as the CLI does, so the ratio measures the CLI's own work
    with open(path, "rb") as handle:
        data = json.load(handle)
    groups = {group["id"]: i for i, group in enumerate(data.get("groups", []))}
    settings = {setting["id"]: i for i, setting in enumerate(data["settings"])}
    n, s, g = len(data["children"]), len(settings), len(groups)
    sink = n + s + g
    option_child: list[int] = []
    option_setting: list[int] = []
    option_cost: list[int] = []
    unplaced: list[int] = []
    for c, child in enumerate(data["children"]):
        for option in child["options"]:
            option_child.append(c)
            option_setting.append(settings[option["setting"]])
            option_cost.append(option["cost"])
        unplaced.append(child["unplaced_cost"])
    setting_heads = [
        n + s + groups[setting["group"]] if "group" in setting else sink
        for setting in data["settings"]
    ]
    tails = np.concatenate(
        [np.array(option_child), np.arange(n), n + np.arange(s), n + s + np.arange(g)]
    )
    heads = np.concatenate(
        [
            n + np.array(option_setting),
            np.full(n, sink),
            np.array(setting_heads, dtype=np.int64),
            np.full(g, sink),
        ]
    )
    capacities = np.concatenate(
        [
            np.ones(len(option_child) + n, dtype=np.int64),
            [x["capacity"] for x in data["settings"]],
            [x["capacity"] for x in data.get("groups", [])],
        ]
    )
    costs = np.concatenate([np.array(option_cost), np.array(unplaced), np.zeros(s + g)])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int64),
        heads.astype(np.int64),
        capacities.astype(np.int64),
        costs.astype(np.int64),
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n] = 1
    supplies[sink] = -n
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        sys.exit(f"status {status}")
    print(flow.optimal_cost())


if __name__ == "__main__":
    main(sys.argv[1])
