"""Opening cases: one child in one round."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from phasetransfer.core import clock, geo
from phasetransfer.core.audit import audit_record
from phasetransfer.models import Case, Child, Phase, Round, User

PHASE_LETTERS = {
    Phase.RECEPTION: "R",
    Phase.JUNIOR: "J",
    Phase.SECONDARY: "S",
    Phase.POST16: "P",
}


def case_reference(*, round_: Round, sequence: int) -> str:
    """'27S-00042': year of entry, phase, then the case's number in its round."""
    return f"{round_.entry_year % 100:02d}{PHASE_LETTERS[Phase(round_.phase)]}-{sequence:05d}"


def cases_open(
    *,
    round_: Round,
    children: list[Child],
    caseworkers: list[User | None] | None = None,
    actor: User | None,
    now: dt.datetime | None = None,
    system_label: str = "system",
) -> list[Case]:
    """Open a case for each child in ``round``, numbered in order, each with an audit event."""
    moment = now or clock.now()
    with transaction.atomic():
        # Lock the round so two imports cannot hand out the same case numbers.
        Round.objects.select_for_update().get(pk=round_.pk)
        start = Case.objects.filter(round=round_).count() + 1
        workers = caseworkers or [None] * len(children)
        cases = Case.objects.bulk_create(
            Case(
                reference=case_reference(round_=round_, sequence=start + index),
                child=child,
                round=round_,
                caseworker=worker,
                district=geo.district_of(child.home_postcode),
                send_area=geo.area_of(child.home_postcode),
                state_changed_at=moment,
            )
            for index, (child, worker) in enumerate(zip(children, workers, strict=True))
        )
        if not all(case.pk for case in cases):  # SQLite before 3.35 returns no ids
            cases = list(
                Case.objects.filter(round=round_, child__in=children).order_by("reference")
            )
        for case in cases:
            audit_record(
                case=case,
                action="case.opened",
                actor=actor,
                to_state=case.state,
                now=moment,
                system_label=system_label,
            )
    return cases
