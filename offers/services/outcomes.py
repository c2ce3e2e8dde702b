"""After release: the family's answer, and the round's appeal figures."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from offers.models import FamilyResponse
from phasetransfer.cases.state import case_accept, case_appeal
from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record
from phasetransfer.models import Case, CaseState, Round, User


def family_respond(
    *,
    case: Case,
    actor: User,
    answer: str,
    wants_independent: bool = False,
    comments: str = "",
    now: dt.datetime | None = None,
) -> FamilyResponse:
    """Record what the family says (no legal effect) and move the case to match."""
    moment = now or clock.now()
    with transaction.atomic():
        response = FamilyResponse.objects.create(
            case=case,
            answer=answer,
            wants_independent=wants_independent,
            comments=comments.strip(),
            responded_by=actor,
            responded_at=moment,
        )
        if answer == FamilyResponse.Answer.ACCEPT and case.state == CaseState.RELEASED:
            case_accept(case=case, actor=actor, now=moment)
        elif answer != FamilyResponse.Answer.ACCEPT and case.state in (
            CaseState.RELEASED,
            CaseState.ACCEPTED,
        ):
            case_appeal(case=case, actor=actor, reason=f"family: {answer}", now=moment)
        audit_record(
            case=case,
            action="outcome.family_response",
            actor=actor,
            data={"answer": answer, "wants_independent": wants_independent},
            now=moment,
        )
    return response


def round_outcome_figures(round_: Round) -> dict[str, object]:
    """Appeal rate and independent-setting requests, as the council reports them (9.7%; 47/120)."""
    released = Case.objects.filter(round=round_, release__completed_at__isnull=False).count()
    latest = {}
    for response in FamilyResponse.objects.filter(case__round=round_).order_by(
        "responded_at", "id"
    ):
        latest[response.case_id] = response
    appeals = [r for r in latest.values() if r.answer != FamilyResponse.Answer.ACCEPT]
    return {
        "released": released,
        "accepted": sum(1 for r in latest.values() if r.answer == FamilyResponse.Answer.ACCEPT),
        "appeals": len(appeals),
        "appeal_rate": len(appeals) / released if released else None,
        "asking_independent": sum(1 for r in appeals if r.wants_independent),
    }
