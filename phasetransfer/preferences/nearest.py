"""Nearest settings to a child's home, by straight-line distance.

Kent tells families their nearest mainstream school before they choose (so the
travel implications are known) and always consults it.
"""

from __future__ import annotations

from dataclasses import dataclass

from phasetransfer.core import geo
from phasetransfer.models import (
    AdmissionsPolicy,
    Case,
    SchoolGender,
    Setting,
    SettingKind,
    Sex,
    serving_phase,
)


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


def admits_sex(sex: str, setting: Setting) -> bool:
    """Whether a single-sex school admits a child of ``sex`` (a child's ``sex``; blank when
    not recorded). Mixed schools, and schools whose intake is not known, admit anyone; a
    single-sex school admits a child whose sex is not recorded only once it is (so it is
    left out of the advice rather than guessed)."""
    if setting.gender == SchoolGender.GIRLS:
        return sex == Sex.FEMALE
    if setting.gender == SchoolGender.BOYS:
        return sex == Sex.MALE
    return True


def could_attend(sex: str, setting: Setting) -> bool:
    """A mainstream school a child of ``sex`` could go to without a test: it admits their
    sex and is not selective (grammar schools are shown apart: places depend on the Kent
    Test). The advice, the consultation of the nearest school and the model's fallback all
    use this one rule."""
    return (
        setting.kind in SettingKind.mainstream()
        and setting.admissions_policy != AdmissionsPolicy.SELECTIVE
        and admits_sex(sex, setting)
    )


def nearest_mainstream(
    case: Case, *, limit: int = 3, candidates: list[Setting] | None = None
) -> list[NearbySetting]:
    """The nearest mainstream schools this child could attend (see ``could_attend``): what
    the advice, the consultation of the nearest school and the travel note rely on."""
    pool = candidates if candidates is not None else phase_settings(case.round.phase)
    sex = case.child.sex
    return _by_distance(case, [s for s in pool if could_attend(sex, s)])[:limit]


def nearest_selective(
    case: Case, *, limit: int = 3, candidates: list[Setting] | None = None
) -> list[NearbySetting]:
    """The nearest selective (grammar) schools that admit this child's sex: shown apart,
    because a place depends on the Kent Test."""
    pool = candidates if candidates is not None else phase_settings(case.round.phase)
    sex = case.child.sex
    return _by_distance(
        case,
        [
            s
            for s in pool
            if s.kind in SettingKind.mainstream()
            and s.admissions_policy == AdmissionsPolicy.SELECTIVE
            and admits_sex(sex, s)
        ],
    )[:limit]


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
