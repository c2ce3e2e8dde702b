"""What each API caller may list: built from scopes, so lists never leak past them.

DRF checks object permissions only for single objects, never for lists, so every list
starts from one of these querysets.
"""

from __future__ import annotations

from django.db.models import QuerySet

from phasetransfer.api.scopes import Scope
from phasetransfer.models import Case, Preference, Round


def rounds_visible(*, scopes: frozenset[Scope]) -> QuerySet[Round]:
    """Any caller of the API may read the rounds (it needs their ids for everything else)."""
    return Round.objects.all() if scopes else Round.objects.none()


def cases_visible(*, scopes: frozenset[Scope]) -> QuerySet[Case]:
    if Scope.CASES_READ not in scopes:
        return Case.objects.none()
    return Case.objects.select_related("child__current_setting", "caseworker").order_by("pk")


def preferences_visible(*, scopes: frozenset[Scope]) -> QuerySet[Preference]:
    if Scope.PREFERENCES_READ not in scopes:
        return Preference.objects.none()
    return Preference.objects.select_related("case", "setting").order_by("case_id", "rank", "pk")
