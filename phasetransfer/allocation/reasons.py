"""Plain-English reasons for not proposing a family's higher preferences.

They go into the panel pack and, later, the decision letter, so they name the
statutory ground where there is one (s39(4) Children and Families Act 2014).
"""

from __future__ import annotations

from phasetransfer.allocation.compile import NO_PLACES, NOT_LISTED, RULED_OUT
from phasetransfer.models import ConsultationGround

GROUND_TEXT = {
    "unsuitable": "it said it would be unsuitable for the child's age, ability, aptitude or "
    "special educational needs",
    "others": "it said placing the child there would be incompatible with the efficient "
    "education of the other children there",
    "resources": "it said it would be incompatible with the efficient use of resources",
}


def reason_text(code: str, name: str, grounds: tuple[str, ...] = ()) -> str:
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
    if code == NOT_LISTED:
        return f"{name} is not a setting the model can place in; the caseworker will consider it."
    return f"{name}: {code}"


def ground_label(code: str) -> str:
    return ConsultationGround(code).label
