"""Nearest settings to a child's home, by straight-line distance.

Kent tells families their nearest mainstream school before they choose (so the
travel implications are known) and always consults it.
"""

from __future__ import annotations

from dataclasses import dataclass

from phasetransfer import geo
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


def nearest_mainstream(case: Case, *, limit: int = 3) -> list[NearbySetting]:
    settings = list(
        Setting.objects.filter(serving_phase(case.round.phase), kind__in=SettingKind.mainstream())
    )
    return _by_distance(case, settings)[:limit]


def nearest_for_need(case: Case, *, limit: int = 3) -> list[NearbySetting]:
    """Settings designated for the child's primary need (special schools, resourced provisions)."""
    need = case.child.primary_need
    settings = [
        s
        for s in Setting.objects.filter(serving_phase(case.round.phase))
        if need in s.designated_needs
    ]
    return _by_distance(case, settings)[:limit]


def distance_to(case: Case, setting: Setting) -> NearbySetting | None:
    found = _by_distance(case, [setting])
    return found[0] if found else None
