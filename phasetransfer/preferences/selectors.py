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


def why_not_editable(case: Case, now: dt.datetime | None = None) -> str:
    """Why a family cannot change their preferences now, in words that are true for this
    case (before the window, after it, or the case has moved on); "" if they can."""
    moment = now or clock.now()
    if preferences_editable(case, moment):
        return ""
    round_ = case.round
    if case.state not in (CaseState.IDENTIFIED, CaseState.INVITED, CaseState.PREFERENCES_RECEIVED):
        return (
            "We are already working on the preferences you sent (we have asked the schools or "
            "colleges, or are deciding), so they cannot be changed here. If something has "
            "changed, contact your caseworker."
        )
    if moment < round_.preference_opens_at:
        opens = round_.preference_opens_at.astimezone(clock.LONDON)
        return f"You can name your preferences from {opens:%-d %B %Y}."
    closed = round_.preference_closes_at.astimezone(clock.LONDON)
    return (
        f"The closing date ({closed:%-d %B %Y}) has passed and you have sent your preferences, "
        "so they cannot be changed here. If something has changed, contact your caseworker."
    )


def preferences_editable(case: Case, now: dt.datetime | None = None) -> bool:
    moment = now or clock.now()
    if case.state not in (CaseState.IDENTIFIED, CaseState.INVITED, CaseState.PREFERENCES_RECEIVED):
        return False
    if moment < case.round.preference_opens_at:
        return False
    return window_is_open(case, moment) or not case.submissions.exists()


def preferences_snapshot(case: Case) -> list[dict[str, object]]:
    """The case's preferences as a submission records them (what staff work from)."""
    return [
        {
            "rank": p.rank,
            "setting_urn": p.setting.urn if p.setting else None,
            "name": p.display_name,
            "reasons": p.reasons,
        }
        for p in case.preferences.select_related("setting").order_by("rank")
    ]


def changed_since_sent(case: Case) -> PreferenceSubmission | None:
    """The last submission when the preferences have changed since it was sent (so staff
    are not working from what the family now wants, and the family should send again);
    None when nothing was sent or nothing changed."""
    submission = latest_submission(case)
    if submission is None or submission.snapshot == preferences_snapshot(case):
        return None
    return submission
