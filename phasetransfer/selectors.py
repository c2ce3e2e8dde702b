"""Reusable read queries. What a role may see is decided here."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from phasetransfer.models import Case, Round, Setting


class RoundNotFound(LookupError):
    pass


_ROUND_KEY = re.compile(r"^(?P<phase>[a-z0-9]+)-(?P<year>\d{4})$")


def round_by_key(key: str) -> Round:
    """A round by id ('3') or by phase and entry year ('secondary-2027')."""
    rounds: QuerySet[Round] = Round.objects.all()
    match = _ROUND_KEY.match(key.strip().lower())
    if key.strip().isdigit():
        found = rounds.filter(pk=int(key)).first()
    elif match:
        found = rounds.filter(phase=match["phase"], entry_year=int(match["year"])).first()
    else:
        found = None
    if found is None:
        known = ", ".join(f"{r.pk} ({r.phase}-{r.entry_year})" for r in rounds) or "none yet"
        raise RoundNotFound(f"No round {key!r}. Rounds: {known}.")
    return found


def cases_of_family(*, user: object) -> QuerySet[Case]:
    """The cases a parent, carer or young person has linked to their account, and only those."""
    return (
        Case.objects.filter(contacts__user=user)
        .select_related("child", "round")
        .distinct()
        .order_by("-round__entry_year", "reference")
    )


def case_for_family(*, user: object, reference: str) -> Case:
    """One of the user's own cases; any other reference is 404, so nothing is revealed."""
    from django.http import Http404

    case = cases_of_family(user=user).filter(reference=reference).first()
    if case is None:
        raise Http404("No such case")
    return case


def settings_search(*, query: str, limit: int = 20) -> QuerySet[Setting]:
    """Settings whose name or town contains ``query``, or whose postcode starts with it."""
    text = " ".join(query.split())
    if len(text) < 2:
        return Setting.objects.none()
    matches = Q(name__icontains=text) | Q(town__icontains=text) | Q(postcode__istartswith=text)
    return Setting.objects.filter(matches).order_by("name")[:limit]
