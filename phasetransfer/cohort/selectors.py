"""How far each family has got with naming preferences, and the round's engagement figure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, Min, OuterRef, Q, QuerySet

from phasetransfer.core import clock
from phasetransfer.models import (
    Case,
    CaseState,
    Contact,
    Invitation,
    Preference,
    PreferenceSubmission,
    Round,
)


class Engagement:
    NOT_INVITED = "Not invited"
    INVITED = "Invited"
    LINKED = "Signed up"
    STARTED = "Started"
    SUBMITTED = "Submitted"
    SUBMITTED_LATE = "Submitted late"

    ORDER = [NOT_INVITED, INVITED, LINKED, STARTED, SUBMITTED, SUBMITTED_LATE]
    RESPONDED = {SUBMITTED, SUBMITTED_LATE}


def cohort(round_: Round) -> QuerySet[Case]:
    """The round's cases, annotated with what engagement needs."""
    return (
        Case.objects.filter(round=round_)
        .select_related("child", "caseworker")
        .annotate(
            first_submitted_at=Min("submissions__submitted_at"),
            linked=Exists(Contact.objects.filter(case=OuterRef("pk"), user__isnull=False)),
            started=Exists(Preference.objects.filter(case=OuterRef("pk"))),
            late=Exists(PreferenceSubmission.objects.filter(case=OuterRef("pk"), late=True)),
            invited=Exists(Invitation.objects.filter(case=OuterRef("pk"))),
        )
        .order_by("reference")
    )


def engagement_of(case: Case) -> str:
    """The stage of a case from ``cohort()``'s annotations."""
    if getattr(case, "first_submitted_at", None) is not None:
        return Engagement.SUBMITTED_LATE if getattr(case, "late", False) else Engagement.SUBMITTED
    for flag, stage in (
        ("started", Engagement.STARTED),
        ("linked", Engagement.LINKED),
        ("invited", Engagement.INVITED),
    ):
        if getattr(case, flag, False):
            return stage
    return Engagement.NOT_INVITED


@dataclass(frozen=True)
class EngagementDay:
    day: dt.date
    submitted: int
    share: float  # of the whole cohort, 0..1


def engagement_by_date(round_: Round, *, today: dt.date | None = None) -> list[EngagementDay]:
    """Cumulative share of the cohort that has submitted, for each day of the window so far."""
    end = today or clock.today_in_london()
    total = Case.objects.filter(round=round_).count()
    firsts = (
        Case.objects.filter(round=round_)
        .annotate(first=Min("submissions__submitted_at"))
        .exclude(first__isnull=True)
        .values_list("first", flat=True)
    )
    first_days = sorted(moment.astimezone(clock.LONDON).date() for moment in firsts)
    start = round_.preference_opens_at.astimezone(clock.LONDON).date()
    closes = round_.preference_closes_at.astimezone(clock.LONDON).date()
    last = max(min(end, closes + dt.timedelta(days=60)), start)
    days: list[EngagementDay] = []
    index = 0
    day = start
    while day <= last:
        while index < len(first_days) and first_days[index] <= day:
            index += 1
        days.append(EngagementDay(day, index, index / total if total else 0.0))
        day += dt.timedelta(days=1)
    return days


def engagement_counts(cases: list[Case]) -> dict[str, int]:
    counts = dict.fromkeys(Engagement.ORDER, 0)
    for case in cases:
        counts[engagement_of(case)] += 1
    return counts


def primary_contact(case: Case) -> Contact | None:
    """The case's primary contact; from its prefetched contacts when a list page fetched them
    (one query for the page, not one per case)."""
    prefetched = getattr(case, "_prefetched_objects_cache", {}).get("contacts")
    if prefetched is not None:
        return next((c for c in prefetched if c.is_primary), None)
    return case.contacts.filter(is_primary=True).first()


def _primary_without_email() -> Exists:
    return Exists(
        Contact.objects.filter(case=OuterRef("pk"), is_primary=True).filter(
            Q(email="") | Q(email__isnull=True)
        )
    )


def _primary_with_email() -> Exists:
    return Exists(
        Contact.objects.filter(case=OuterRef("pk"), is_primary=True)
        .exclude(email="")
        .exclude(email__isnull=True)
    )


def letters_count(round_: Round) -> int:
    """How many cases ``cases_needing_letters`` gives, counted in the database."""
    return Case.objects.filter(
        _primary_without_email(), round=round_, state=CaseState.IDENTIFIED
    ).count()


def reminders_count(round_: Round) -> int:
    """How many cases ``cases_to_remind`` gives, counted in the database."""
    return Case.objects.filter(
        _primary_with_email(), round=round_, state=CaseState.INVITED, submissions=None
    ).count()


def cases_needing_letters(round_: Round) -> list[Case]:
    """Identified cases whose contact has no email: they are invited by post."""
    return [
        case
        for case in Case.objects.filter(round=round_, state=CaseState.IDENTIFIED)
        .select_related("child")
        .prefetch_related("contacts")
        .order_by("reference")
        if (contact := primary_contact(case)) is not None and not contact.email
    ]


def cases_to_remind(round_: Round) -> list[Case]:
    """Invited cases with no submission whose contact has an email address."""
    return [
        case
        for case in Case.objects.filter(round=round_, state=CaseState.INVITED, submissions=None)
        .prefetch_related("contacts")
        .order_by("reference")
        if (contact := primary_contact(case)) is not None and contact.email
    ]
