"""Plain-English travel assistance notes shown before families choose.

Statutory walking distances (Education Act 1996, s508B and Schedule 35B): 2
miles for a child under 8, 3 miles from 8. After 16 there is no automatic
entitlement; the council's post-16 transport policy statement applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from phasetransfer.models import Case, Phase
from phasetransfer.preferences.nearest import NearbySetting


@dataclass(frozen=True)
class TravelNote:
    heading: str
    paragraphs: list[str]


def walking_distance_miles(phase: str) -> int:
    return 2 if phase == Phase.RECEPTION else 3


def travel_note(case: Case, nearest: NearbySetting | None) -> TravelNote:
    phase = case.round.phase
    if phase == Phase.POST16:
        return TravelNote(
            "Travel after 16",
            [
                "There is no automatic right to free travel after 16.",
                "Young people with an EHCP can apply for help under the council's post-16 "
                "transport policy. Help is usually for the nearest setting that can meet the "
                "young person's needs.",
            ],
        )
    limit = walking_distance_miles(phase)
    paragraphs = [
        f"Children usually get free travel to their nearest suitable school if it is more than "
        f"{limit} miles from home, or if their special educational needs mean they cannot "
        "reasonably walk there, even with an adult.",
        "If you prefer a school further away when a nearer school could meet your child's "
        "needs, you may have to arrange and pay for travel yourself.",
    ]
    if nearest is not None:
        side = "more" if nearest.miles > limit else "less"
        paragraphs.insert(
            0,
            f"Your nearest mainstream school, {nearest.setting.name}, is {nearest.miles:.1f} "
            f"miles away in a straight line: {side} than {limit} miles.",
        )
    return TravelNote("Travel to school", paragraphs)
