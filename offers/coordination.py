"""What offers tells the core's co-ordination board (registered in ``OffersConfig.ready``).

The core cannot import offers, so it asks through the providers registered here, each
one query for a whole round: what each family was told (published releases), and the
round's mediations and SEND Tribunal appeals. The board's stages after offer day, its
"until every child has a school" milestones and the round figures are computed from
these records in ``phasetransfer/coordination/``.
"""

from __future__ import annotations

from offers.models import Appeal, LetterKind, Mediation, Release
from phasetransfer.coordination.providers import (
    AppealRecord,
    AppealResult,
    MediationRecord,
    MediationResult,
    ReleaseRecord,
)
from phasetransfer.models import Round


def releases(round_: Round) -> list[ReleaseRecord]:
    """Every published release of the round's cases; an offer names a setting when its
    decision does (a decision naming only a type of setting names none)."""
    rows = Release.objects.filter(round=round_, completed_at__isnull=False).values_list(
        "case_id", "number", "completed_at", "kind", "decision__setting_id"
    )
    return [
        ReleaseRecord(
            case_id=case_id,
            number=number,
            completed_at=completed_at,
            names_setting=kind == LetterKind.OFFER and setting_id is not None,
        )
        for case_id, number, completed_at, kind, setting_id in rows
        if completed_at is not None  # as filtered: the type does not know it
    ]


def mediations(round_: Round) -> list[MediationRecord]:
    rows = Mediation.objects.filter(case__round=round_).values_list(
        "case_id",
        "requested_on",
        "meeting_on",
        "ended_on",
        "certificate_issued_on",
        "outcome",
        "changed_decision_id",
    )
    return [
        MediationRecord(
            case_id=case_id,
            requested_on=requested_on,
            meeting_on=meeting_on,
            ended_on=ended_on,
            certificate_issued_on=certificate_issued_on,
            outcome=MediationResult(outcome),
            changed_decision=changed_decision_id is not None,
        )
        for (
            case_id,
            requested_on,
            meeting_on,
            ended_on,
            certificate_issued_on,
            outcome,
            changed_decision_id,
        ) in rows
    ]


def appeals(round_: Round) -> list[AppealRecord]:
    rows = Appeal.objects.filter(case__round=round_).values_list(
        "case_id",
        "lodged_on",
        "independent_requested",
        "response_due_on",
        "hearing_on",
        "outcome",
        "ordered_setting_id",
        "order_due_on",
        "implemented_on",
    )
    return [
        AppealRecord(
            case_id=case_id,
            lodged_on=lodged_on,
            independent_requested=independent,
            response_due_on=response_due_on,
            hearing_on=hearing_on,
            outcome=AppealResult(outcome),
            # Only an order (or a concession) naming a setting is carried out.
            order_due_on=order_due_on if ordered_setting_id is not None else None,
            implemented_on=implemented_on,
        )
        for (
            case_id,
            lodged_on,
            independent,
            response_due_on,
            hearing_on,
            outcome,
            ordered_setting_id,
            order_due_on,
            implemented_on,
        ) in rows
    ]
