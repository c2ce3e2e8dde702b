"""After release: the family's answer to what they were told."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from offers.models import FamilyResponse, FollowUpKind, LetterKind, Release
from offers.services.followups import follow_up_from_response, follow_ups_close
from phasetransfer.cases.state import case_accept, case_appeal
from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record
from phasetransfer.models import Case, CaseState, User


class ResponseRefused(Exception):
    pass


def family_respond(
    *,
    case: Case,
    release: Release,
    actor: User,
    answer: str,
    wants_independent: bool = False,
    comments: str = "",
    now: dt.datetime | None = None,
) -> FamilyResponse:
    """Record what the family says to the offer they were given (``release``) and move the
    case to match. No legal effect: it does not change their right of appeal.

    Refused if the family is answering an offer that is no longer the latest (a page left
    open while an amended release was issued), or while the case's outcome is changing.
    """
    moment = now or clock.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        latest = (
            Release.objects.filter(case=locked, completed_at__isnull=False)
            .order_by("-number")
            .first()
        )
        if latest is None or latest.pk != release.pk:
            raise ResponseRefused(
                "Your child's outcome has changed since you opened this page. Read the new "
                "letter, then tell us what you want to do."
            )
        if latest.kind != LetterKind.OFFER or locked.state not in (
            CaseState.RELEASED,
            CaseState.ACCEPTED,
            CaseState.APPEALED,
        ):
            raise ResponseRefused(
                "Your child's outcome is being updated. We will email you when the new letter "
                "is ready; you can answer then."
            )
        response = FamilyResponse.objects.create(
            case=locked,
            release=latest,
            answer=answer,
            wants_independent=wants_independent,
            comments=comments.strip(),
            responded_by=actor,
            responded_at=moment,
        )
        follow_up_from_response(response=response, now=moment)
        # The family has answered: no one need chase them for it any more.
        follow_ups_close(
            case=locked,
            kind=FollowUpKind.NO_ANSWER,
            actor=None,
            note="The family answered",
            now=moment,
        )
        if answer == FamilyResponse.Answer.ACCEPT and locked.state == CaseState.RELEASED:
            case_accept(case=locked, actor=actor, now=moment)
        elif answer != FamilyResponse.Answer.ACCEPT and locked.state in (
            CaseState.RELEASED,
            CaseState.ACCEPTED,
        ):
            case_appeal(case=locked, actor=actor, reason=f"family: {answer}", now=moment)
        audit_record(
            case=locked,
            action="outcome.family_response",
            actor=actor,
            data={
                "answer": answer,
                "wants_independent": wants_independent,
                "release": latest.number,
            },
            now=moment,
        )
    return response
