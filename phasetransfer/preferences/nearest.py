"""Nearest settings to a child's home, by straight-line distance.

Kent tells families their nearest mainstream school before they choose (so the
travel implications are known) and always consults it.
"""

from __future__ import annotations

from dataclasses import dataclass

from phasetransfer.core import geo
from phasetransfer.models import Case, Setting, SettingKind, serving_phase


@dataclass(frozen=True)
class NearbySetting:
    setting: Setting
    km: float

    @property
    def miles(self) -> float:
        return geo.km_to_miles(self.km)


def _by_distance(case: Case, settings: list[Setting]) -> list[NearbySetting]:
    child = case.child
    if child.home_latitude is None or child.home_longitude is None:
        return []
    nearby = [
        NearbySetting(
            s, geo.distance_km(child.home_latitude, child.home_longitude, s.latitude, s.longitude)
        )
        for s in settings
        if s.latitude is not None and s.longitude is not None
    ]
    return sorted(nearby, key=lambda n: (n.km, n.setting.urn))


def phase_settings(phase: str) -> list[Setting]:
    """Every setting taking children into ``phase``: fetch once when looking for many children."""
    return list(Setting.objects.filter(serving_phase(phase)))


def nearest_mainstream(
    case: Case, *, limit: int = 3, candidates: list[Setting] | None = None
) -> list[NearbySetting]:
    pool = candidates if candidates is not None else phase_settings(case.round.phase)
    mainstream = SettingKind.mainstream()
    return _by_distance(case, [s for s in pool if s.kind in mainstream])[:limit]


def nearest_for_need(
    case: Case, *, limit: int = 3, candidates: list[Setting] | None = None
) -> list[NearbySetting]:
    """Settings designated for the child's primary need (special schools, resourced provisions)."""
    need = case.child.primary_need
    pool = candidates if candidates is not None else phase_settings(case.round.phase)
    return _by_distance(case, [s for s in pool if need in s.designated_needs])[:limit]


def distance_to(case: Case, setting: Setting) -> NearbySetting | None:
    found = _by_distance(case, [setting])
    return found[0] if found else None
