"""Reads of the family journey."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from phasetransfer.core import clock, geo
from phasetransfer.models import (
    Case,
    CaseState,
    PreferenceSubmission,
    Setting,
)

SEARCH_PAGE = 20


@dataclass(frozen=True)
class SearchResults:
    """One page of a family's search, and what the whole search found."""

    results: list[tuple[Setting, float | None]]  # (setting, km from home) on this page
    total: int  # settings that take the child's phase and match
    other_phase: int  # matches that do not take the child's phase (not shown)
    page: int
    pages: int


def _relevance(setting: Setting, text: str) -> int:
    """0 is best: the name is the search, starts with it, has it as a word, contains it;
    then the town; then the postcode."""
    name, query = setting.name.lower(), text.lower()
    if name == query:
        return 0
    if name.startswith(query):
        return 1
    if f" {query}" in f" {name}":
        return 2
    if query in name:
        return 3
    if query in (setting.town or "").lower():
        return 4
    return 5


def settings_search_for(case: Case, *, query: str, page: int = 1) -> SearchResults:
    """Settings matching ``query`` that take the child's phase, most relevant first and
    then nearest home; with how many matched but do not take the phase."""
    matches = list(settings_search(query=query, limit=None))
    phase = case.round.phase
    fitting = [s for s in matches if s.serves(phase)]
    lat, lon = case.child.home_latitude, case.child.home_longitude

    def km(setting: Setting) -> float | None:
        if lat is None or lon is None or setting.latitude is None or setting.longitude is None:
            return None
        return geo.distance_km(lat, lon, setting.latitude, setting.longitude)

    text = " ".join(query.split())
    ranked = sorted(
        ((s, km(s)) for s in fitting),
        key=lambda item: (
            _relevance(item[0], text),
            item[1] if item[1] is not None else float("inf"),
            item[0].name,
        ),
    )
    pages = max(1, -(-len(ranked) // SEARCH_PAGE))
    page = min(max(page, 1), pages)
    start = (page - 1) * SEARCH_PAGE
    return SearchResults(
        results=ranked[start : start + SEARCH_PAGE],
        total=len(ranked),
        other_phase=len(matches) - len(fitting),
        page=page,
        pages=pages,
    )


def settings_search(*, query: str, limit: int | None = 20) -> QuerySet[Setting]:
    """Settings whose name or town contains ``query``, or whose postcode starts with it."""
    text = " ".join(query.split())
    if len(text) < 2:
        return Setting.objects.none()
    matches = Q(name__icontains=text) | Q(town__icontains=text) | Q(postcode__istartswith=text)
    found = Setting.objects.filter(matches).order_by("name")
    return found if limit is None else found[:limit]


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
