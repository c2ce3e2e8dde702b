"""Reads of the family journey."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from phasetransfer.core import clock
from phasetransfer.models import (
    Case,
    CaseState,
    PreferenceSubmission,
    Setting,
)


def settings_search(*, query: str, limit: int = 20) -> QuerySet[Setting]:
    """Settings whose name or town contains ``query``, or whose postcode starts with it."""
    text = " ".join(query.split())
    if len(text) < 2:
        return Setting.objects.none()
    matches = Q(name__icontains=text) | Q(town__icontains=text) | Q(postcode__istartswith=text)
    return Setting.objects.filter(matches).order_by("name")[:limit]


def window_is_open(case: Case, now: dt.datetime) -> bool:
    round_ = case.round
    return round_.preference_opens_at <= now < round_.preference_closes_at


def latest_submission(case: Case) -> PreferenceSubmission | None:
    return case.submissions.order_by("-submitted_at", "-id").first()


def preferences_editable(case: Case, now: dt.datetime | None = None) -> bool:
    moment = now or clock.now()
    if case.state not in (CaseState.IDENTIFIED, CaseState.INVITED, CaseState.PREFERENCES_RECEIVED):
        return False
    if moment < case.round.preference_opens_at:
        return False
    return window_is_open(case, moment) or not case.submissions.exists()
