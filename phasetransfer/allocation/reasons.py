"""Plain-English reasons for not proposing a family's higher preferences.

They go into the panel pack and, later, the decision letter, so they name the
statutory ground where there is one (s39(4) Children and Families Act 2014).
"""

from __future__ import annotations

from typing import Any

from phasetransfer.allocation.codes import (
    COST_TEST,
    FULL_CAME_FIRST,
    FULL_PLACING_OTHERS,
    NO_PLACES,
    NOT_LISTED,
    RULED_OUT,
    WRONG_PHASE,
)
from phasetransfer.allocation.compile import CostComparison
from phasetransfer.models import ConsultationGround

GROUND_TEXT = {
    "unsuitable": "it said it would be unsuitable for the child's age, ability, aptitude or "
    "special educational needs",
    "others": "it said placing the child there would be incompatible with the efficient "
    "education of the other children there",
    "resources": "it said it would be incompatible with the efficient use of resources",
}


def cost_text(name: str, c: CostComparison) -> str:
    return (
        f"{name} would cost the council £{c.placement:,} a year (fees £{c.fee:,} and "
        f"transport £{c.transport:,}), £{c.placement - c.alternative:,} more than the "
        f"£{c.alternative:,} a year of the council's alternative for this child, "
        f"{c.alternative_name}. The council refuses a preference on cost only when the "
        f"difference is more than £{c.threshold:,} a year: here it would be incompatible with "
        "the efficient use of resources (s39(4) Children and Families Act 2014)."
    )


def full_text(code: str, name: str, rule: str) -> str:
    """Said to the family, so it names no other child."""
    if code == FULL_PLACING_OTHERS:
        return (
            f"{name} had no places left. Its places went to children who ranked it as high "
            "as this family did or higher and came first under the council's published "
            f"rule ({rule[0].lower()}{rule[1:]}), and to other children where giving this "
            "child the place instead would have meant fewer children with a place, or fewer "
            "with a preference they ranked higher."
        )
    return (
        f"{name} had no places left. Its places went to children who ranked it as high as "
        "this family did or higher, and came first under the council's published rule "
        f"({rule[0].lower()}{rule[1:]})."
    )


def reason_text(
    code: str, name: str, grounds: tuple[str, ...] = (), detail: dict[str, Any] | None = None
) -> str:
    detail = detail or {}
    if code in (FULL_CAME_FIRST, FULL_PLACING_OTHERS) and "rule" in detail:
        return full_text(code, name, detail["rule"])
    if code == "full":
        return f"{name} had no places left: every place was needed for other children."
    if code == "cost":
        return (
            f"{name} had room, but the proposed setting meets the child's needs with a more "
            "efficient use of resources (distance, travel and cost)."
        )
    if code == RULED_OUT:
        said = "; and ".join(GROUND_TEXT[g] for g in grounds if g in GROUND_TEXT)
        return f"{name} was consulted and cannot meet the child's needs: {said}."
    if code == NO_PLACES:
        return f"{name} has no places recorded for this year of entry."
    if code == COST_TEST and "comparison" in detail:
        return cost_text(name, CostComparison(**detail["comparison"]))
    if code == WRONG_PHASE:
        return f"{name} does not take children at this phase of education."
    if code == NOT_LISTED:
        return f"{name} is not a setting the model can place in; the caseworker will consider it."
    return f"{name}: {code}"


def ground_label(code: str) -> str:
    return ConsultationGround(code).label
