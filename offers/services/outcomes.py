"""After release: the family's answer, and the round's appeal figures."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from offers.models import FamilyResponse
from phasetransfer.cases.state import case_accept, case_appeal
from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record
from phasetransfer.models import Case, CaseState, User


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
