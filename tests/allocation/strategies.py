"""Hypothesis strategies for small problems in the file contract's JSON form.

Small ranges on purpose: zero capacities, equal costs, children with no options and shared
group capacities all turn up often, which is where allocation bugs live.
"""

from __future__ import annotations

from hypothesis import strategies as st


@st.composite
def problems(
    draw: st.DrawFn,
    *,
    with_groups: bool = True,
    max_settings: int = 6,
    max_children: int = 9,
    objective: str | None = None,
) -> dict:
    """``objective="ranks"`` also draws options' rule groups (``priority``), sometimes."""
    group_count = draw(st.integers(0, 3)) if with_groups else 0
    groups = [{"id": f"g{i}", "capacity": draw(st.integers(0, 4))} for i in range(group_count)]
    settings = []
    for i in range(draw(st.integers(0, max_settings))):
        setting: dict = {"id": f"s{i}", "capacity": draw(st.integers(0, 3))}
        if groups and draw(st.booleans()):
            setting["group"] = draw(st.sampled_from(groups))["id"]
        settings.append(setting)
    ids = [setting["id"] for setting in settings]
    children = []
    # Ids that sort differently as strings and numbers, to exercise the DA tie-break.
    for i in range(draw(st.integers(0, max_children))):
        listed = draw(st.permutations(ids)) if ids else []
        listed = listed[: draw(st.integers(0, len(listed)))]
        children.append(
            {
                "id": f"c{draw(st.sampled_from(['', '0', '1']))}{i}",
                "options": _options(draw, listed, objective),
                "unplaced_cost": draw(st.integers(0, 25)),
            }
        )
    # The prefix trick can repeat an id ("c1" + "1" vs "c11"): keep the first of each.
    unique = {child["id"]: child for child in reversed(children)}
    children = [child for child in children if unique.get(child["id"]) is child]
    problem: dict = {"settings": settings, "children": children}
    if objective is not None:
        problem["objective"] = objective
    if groups or draw(st.booleans()):
        problem["groups"] = groups
    return problem


def _options(draw: st.DrawFn, listed: list[str], objective: str | None) -> list[dict]:
    """Under "ranks", sometimes the family's ranks with gaps (preferences refused before
    the solve) and sometimes groups under the oversubscription rule."""
    options = []
    rank = 0
    gaps = objective == "ranks" and draw(st.booleans())
    for setting in listed:
        option: dict = {"setting": setting, "cost": draw(st.integers(0, 6))}
        rank += 1 + (draw(st.integers(0, 2)) if gaps else 0)
        if gaps:
            option["rank"] = rank
        if objective == "ranks" and draw(st.booleans()):
            option["priority"] = draw(st.integers(0, 2))
        options.append(option)
    return options
