"""A round of many cases across stages, areas and caseworkers, built with bulk inserts."""

from __future__ import annotations

import datetime as dt

from phasetransfer.core.roles import Role
from phasetransfer.models import Case, CaseState, Child, Round, User
from tests.factories.common import RoundFactory, UserFactory

STATES = [
    CaseState.IDENTIFIED,
    CaseState.INVITED,
    CaseState.PREFERENCES_RECEIVED,
    CaseState.CONSULTING,
    CaseState.PROPOSED,
    CaseState.DECIDED,
    CaseState.OFFER_APPROVED,
    CaseState.WITHDRAWN,
]
AREAS = ["North", "East", "South", "West"]


def caseworkers(count: int = 3) -> list[User]:
    return [
        UserFactory(
            email=f"worker{n}@example.org", full_name=f"Worker {n}", roles=[Role.CASEWORKER]
        )
        for n in range(count)
    ]


def many_cases(
    round_: Round | None = None, *, count: int = 150, workers: list[User] | None = None
) -> Round:
    """``count`` cases cycling through states, areas, districts and caseworkers (and none)."""
    round_ = round_ or RoundFactory()
    people = [*(workers or []), None]
    children = Child.objects.bulk_create(
        Child(
            first_name=f"Child{n}",
            last_name="Many",
            date_of_birth=dt.date(2015, 10, 1),
            ehcp_reference=f"MANY-{round_.pk}-{n:05d}",
            primary_need="ASD",
            home_postcode="ME15 6LX",
        )
        for n in range(count)
    )
    Case.objects.bulk_create(
        Case(
            reference=f"M{round_.pk}-{n:05d}",
            child=child,
            round=round_,
            state=STATES[n % len(STATES)],
            send_area=AREAS[n % len(AREAS)],
            district=f"ME{n % 5}",
            caseworker=people[n % len(people)],
        )
        for n, child in enumerate(children)
    )
    return round_
