"""The caseworker's work after offer day: each family's answer, or silence, becomes a task
on the case's caseworker with a due date (working days, England)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from offers.models import (
    Appeal,
    FamilyResponse,
    FollowUp,
    FollowUpKind,
    LetterKind,
    Mediation,
    Release,
)
from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record
from phasetransfer.core.workdays import add_working_days
from phasetransfer.models import Case, CaseState, User

# Working days to act on each kind of follow-up. Mediation itself must happen within 30
# days of the request; this is the time to arrange it (and to answer the family).
DUE_WORKING_DAYS = {
    FollowUpKind.ACCEPTED: 10,  # finalise the plan naming the setting
    FollowUpKind.APPEAL: 5,  # tell them about mediation and advice, and the appeal dates
    FollowUpKind.MEDIATION: 5,  # arrange the mediation
    FollowUpKind.NO_ANSWER: 5,  # contact the family
}
FROM_ANSWER: dict[str, FollowUpKind] = {
    FamilyResponse.Answer.ACCEPT: FollowUpKind.ACCEPTED,
    FamilyResponse.Answer.APPEAL: FollowUpKind.APPEAL,
    FamilyResponse.Answer.MEDIATION: FollowUpKind.MEDIATION,
}


class FollowUpRefused(Exception):
    pass


def follow_up_open(
    *,
    case: Case,
    kind: str,
    now: dt.datetime,
    response: FamilyResponse | None = None,
) -> FollowUp:
    """The case's open follow-up of ``kind`` (made now if there is none), for its caseworker."""
    today = now.astimezone(clock.LONDON).date()
    try:
        with transaction.atomic():
            return FollowUp.objects.create(
                case=case,
                kind=kind,
                response=response,
                assigned_to=case.caseworker,
                created_at=now,
                due_on=add_working_days(today, DUE_WORKING_DAYS[FollowUpKind(kind)]),
            )
    except IntegrityError:  # one open per case and kind: the family answered twice
        return FollowUp.objects.get(case=case, kind=kind, done_at__isnull=True)


def follow_up_from_response(*, response: FamilyResponse, now: dt.datetime) -> FollowUp | None:
    """The task the family's answer asks for; none when it is already in hand (they ask
    again for the mediation under way, or say they will appeal with an appeal open)."""
    in_hand: list[Mediation] | list[Appeal] = []
    if response.answer == FamilyResponse.Answer.MEDIATION:
        in_hand = list(Mediation.objects.filter(case=response.case))
    elif response.answer == FamilyResponse.Answer.APPEAL:
        in_hand = list(Appeal.objects.filter(case=response.case))
    if any(item.is_open for item in in_hand):
        return None
    return follow_up_open(
        case=response.case, kind=FROM_ANSWER[response.answer], response=response, now=now
    )


def follow_up_done(
    *, follow_up: FollowUp, actor: User, note: str = "", now: dt.datetime | None = None
) -> FollowUp:
    moment = now or clock.now()
    done = FollowUp.objects.filter(pk=follow_up.pk, done_at__isnull=True).update(
        done_at=moment, done_by=actor, note=note.strip()[:500]
    )
    if not done:
        raise FollowUpRefused("This task was already done.")
    audit_record(
        case=follow_up.case,
        action="follow_up.done",
        actor=actor,
        data={"kind": follow_up.kind},
        now=moment,
    )
    follow_up.refresh_from_db()
    return follow_up


def follow_ups_close(
    *, case: Case, kind: str, actor: User | None, note: str, now: dt.datetime
) -> int:
    """Done by the service itself (e.g. the mediation is arranged): no one need tick it."""
    return FollowUp.objects.filter(case=case, kind=kind, done_at__isnull=True).update(
        done_at=now, done_by=actor, note=note[:500]
    )


def follow_ups_no_answer(*, now: dt.datetime | None = None) -> int:
    """Families told of an offer ``OFFERS_NO_ANSWER_DAYS`` days ago or more who have not
    answered it: a task to contact them (once per case)."""
    moment = now or clock.now()
    cutoff = moment - dt.timedelta(days=settings.OFFERS_NO_ANSWER_DAYS)
    answered = FamilyResponse.objects.filter(release=OuterRef("pk"))
    newer = Release.objects.filter(case=OuterRef("case"), number__gt=OuterRef("number"))
    silent = (
        Release.objects.filter(kind=LetterKind.OFFER, completed_at__lte=cutoff)
        .exclude(Exists(answered))
        .exclude(Exists(newer))
        .filter(case__state=CaseState.RELEASED)
        .exclude(case__follow_ups__kind=FollowUpKind.NO_ANSWER)
        .select_related("case")
    )
    made = 0
    for release in silent:
        follow_up_open(case=release.case, kind=FollowUpKind.NO_ANSWER, now=moment)
        made += 1
    return made
