"""What a policy costs families: the run's allocation beside the other objective's and
deferred acceptance's on the same round, in the figures officers weigh before a run is
accepted (issue 16: first and any preference, placed, distances, independent places and
their annual cost)."""

from __future__ import annotations

import copy
from typing import TypedDict

from phasetransfer.allocation.compile import CompiledRound, round_compile
from phasetransfer.allocation.engine import Allocation, solve
from phasetransfer.core import charts
from phasetransfer.models import AllocationPolicy, Objective, Round, SettingKind

DEFERRED_ACCEPTANCE = "deferred_acceptance"
LABELS = {
    Objective.RANKS: "Families' order first",
    Objective.COST: "Least total cost",
    DEFERRED_ACCEPTANCE: "Deferred acceptance",
}
SHORT: dict[str, str] = {Objective.RANKS: "Families' order", Objective.COST: "Least cost"}


class PolicyFigures(TypedDict):
    key: str
    label: str
    chosen: bool
    children: int
    placed: int
    first_preference: int
    any_preference: int
    first_preference_rate: float | None
    any_preference_rate: float | None
    mean_km: float | None
    max_km: float | None
    independent: int
    independent_annual_cost: int


def figures(
    compiled: CompiledRound, allocation: Allocation, key: str, chosen: bool
) -> PolicyFigures:
    """The figures of one allocation of ``compiled``, by the family's own ranks."""
    total = len(compiled.cases)
    placed = first = named = independent = independent_cost = 0
    distances: list[float] = []
    for case_key, setting_key in allocation.assignments.items():
        if setting_key is None:
            continue
        placed += 1
        info = compiled.options[(case_key, setting_key)]
        first += info.rank == 1
        named += info.rank is not None
        if info.km is not None:
            distances.append(info.km)
        setting = compiled.settings[setting_key]
        if setting.kind in SettingKind.independent():
            independent += 1
            independent_cost += compiled.annual_costs.get(setting_key, 0) + round(
                compiled.transport_per_km * (info.km or 0.0)
            )
    return {
        "key": key,
        "label": LABELS[key],
        "chosen": chosen,
        "children": total,
        "placed": placed,
        "first_preference": first,
        "any_preference": named,
        "first_preference_rate": first / total if total else None,
        "any_preference_rate": named / total if total else None,
        "mean_km": round(sum(distances) / len(distances), 2) if distances else None,
        "max_km": round(max(distances), 2) if distances else None,
        "independent": independent,
        "independent_annual_cost": independent_cost,
    }


def compare_policies(
    *,
    round_: Round,
    policy: AllocationPolicy,
    compiled: CompiledRound,
    allocation: Allocation,
    stable: Allocation,
) -> list[PolicyFigures]:
    """The run's own allocation first, then the other objective's, then ``stable``:
    deferred acceptance on the run's own problem (each family's order, the run's options),
    which the run's fairness report has already computed."""
    other = copy.copy(policy)
    other.objective = Objective.COST if policy.objective == Objective.RANKS else Objective.RANKS
    other_compiled = round_compile(round_=round_, policy=other)
    return [
        figures(compiled, allocation, policy.objective, chosen=True),
        figures(other_compiled, solve(other_compiled.problem), other.objective, chosen=False),
        figures(compiled, stable, DEFERRED_ACCEPTANCE, chosen=False),
    ]


def comparison_chart(rows: list[PolicyFigures]) -> charts.BarChart:
    """First and any preference per policy, as bars (the table beside it has every figure)."""
    items: list[tuple[str, float, str]] = []
    colours: dict[str, str] = {}
    for row in rows:
        name = SHORT.get(row["key"], row["label"])
        for what, rate, colour in (
            ("first", row["first_preference_rate"], charts.BLUE),
            ("any", row["any_preference_rate"], charts.GREEN),
        ):
            share = rate or 0.0
            label = f"{name}, {what}"
            items.append((label, share, f"{share:.1%}"))
            colours[label] = colour
    return charts.bars(items, maximum=1.0, colours=colours, label_width=240)
