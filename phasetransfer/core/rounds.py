"""Reusable read queries. What a role may see is decided here."""

from __future__ import annotations

import re

from django.db.models import QuerySet

from phasetransfer.models import Round


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
