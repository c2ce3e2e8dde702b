"""Turning a round into an allocation Problem, per the round's policy.

A child's options are, in the family's order, the settings they named that did
not rule the child out on consultation and have places this round; then, as
fallbacks, the nearest mainstream setting and the nearest setting designated
for the child's primary need. Options removed here are kept with the reason,
so the explanation to the family covers every preference.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from phasetransfer.allocation.engine import ChildSpec, GroupSpec, Option, Problem, SettingSpec
from phasetransfer.allocation.selectors import ALLOCATABLE, policy_for
from phasetransfer.core.geo import EARTH_RADIUS_KM
from phasetransfer.models import (
    AllocationPolicy,
    Case,
    CaseState,
    Consultation,
    ConsultationStatus,
    Proposal,
    Round,
    Setting,
    SettingKind,
    SettingPlaces,
)

HOLDING = (
    CaseState.AT_PANEL,
    CaseState.DECIDED,
    CaseState.OFFER_APPROVED,
    CaseState.RELEASED,
    CaseState.ACCEPTED,
    CaseState.APPEALED,
)

RULED_OUT = "ruled_out"
NO_PLACES = "no_places"
NOT_LISTED = "not_listed"


@dataclass(frozen=True)
class OptionInfo:
    rank: int | None  # the family's rank; None for a fallback the family did not name
    km: float | None
    cost: int


@dataclass(frozen=True)
class Excluded:
    """A preference the model could not consider, and why."""

    rank: int
    name: str
    setting_id: int | None
    reason: str
    grounds: tuple[str, ...] = ()


@dataclass
class CompiledRound:
    problem: Problem
    cases: dict[str, Case]
    settings: dict[str, Setting]
    options: dict[tuple[str, str], OptionInfo] = field(default_factory=dict)
    excluded: dict[str, list[Excluded]] = field(default_factory=dict)

    @property
    def distances(self) -> dict[tuple[str, str], float]:
        return {key: info.km for key, info in self.options.items() if info.km is not None}


def band_cost(policy: AllocationPolicy, setting: Setting) -> int:
    kind = setting.kind
    if kind in SettingKind.independent():
        return policy.band_independent
    bands: dict[str, int] = {
        SettingKind.RESOURCED_PROVISION: policy.band_resourced,
        SettingKind.SPECIAL: policy.band_special,
        SettingKind.FE_COLLEGE: policy.band_college,
    }
    return bands.get(kind, policy.band_mainstream)


def places_held(round_: Round) -> Counter[int]:
    """Places already taken by cases before a panel or decided (their latest proposal)."""
    held: Counter[int] = Counter()
    latest: dict[int, int | None] = {}
    for case_id, setting_id in (
        Proposal.objects.filter(case__round=round_, case__state__in=HOLDING, run__status="done")
        .order_by("case_id", "run__requested_at", "run_id")
        .values_list("case_id", "setting_id")
    ):
        latest[case_id] = setting_id
    held.update(setting_id for setting_id in latest.values() if setting_id is not None)
    return held


def _capacities(
    round_: Round, held: Counter[int]
) -> tuple[dict[int, SettingPlaces], list[GroupSpec], dict[int, str]]:
    rows = {
        p.setting_id: p
        for p in SettingPlaces.objects.filter(round=round_).select_related(
            "setting", "setting__host"
        )
    }
    groups: list[GroupSpec] = []
    group_of: dict[int, str] = {}
    for row in rows.values():
        if row.site_places is None:
            continue
        members = [row.setting_id] + [
            p.setting_id for p in rows.values() if p.setting.host_id == row.setting_id
        ]
        group_id = f"site-{row.setting_id}"
        taken = sum(held[m] for m in members)
        groups.append(GroupSpec(group_id, max(row.site_places - taken, 0)))
        group_of.update(dict.fromkeys(members, group_id))
    return rows, groups, group_of


def _ruled_out(round_: Round) -> dict[tuple[int, int], tuple[str, ...]]:
    refused = Consultation.objects.filter(
        case__round=round_, status=ConsultationStatus.CANNOT_MEET, replaced_by__isnull=True
    ).values_list("case_id", "setting_id", "ground_unsuitable", "ground_others", "ground_resources")
    names = ("unsuitable", "others", "resources")
    return {
        (case_id, setting_id): tuple(n for n, flag in zip(names, flags, strict=True) if flag)
        for case_id, setting_id, *flags in refused
    }


class _Geometry:
    """Straight-line distances from every home to every setting with places, at once."""

    def __init__(self, settings: list[Setting]) -> None:
        located = [
            (s, s.latitude, s.longitude)
            for s in settings
            if s.latitude is not None and s.longitude is not None
        ]
        self.settings = [s for s, _, _ in located]
        self.index = {s.pk: i for i, s in enumerate(self.settings)}
        self.lat = np.radians([lat for _, lat, _ in located])
        self.lon = np.radians([lon for _, _, lon in located])

    def distances(self, lat: float, lon: float) -> np.ndarray:
        phi, lam = np.radians(lat), np.radians(lon)
        a = (
            np.sin((self.lat - phi) / 2) ** 2
            + np.cos(phi) * np.cos(self.lat) * np.sin((self.lon - lam) / 2) ** 2
        )
        return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def _nearest(km: np.ndarray | None, geometry: _Geometry, eligible: np.ndarray) -> Setting | None:
    if km is None or not eligible.any():
        return None
    masked = np.where(eligible, km, np.inf)
    return geometry.settings[int(np.argmin(masked))]


class _Compiler:
    def __init__(self, round_: Round, policy: AllocationPolicy) -> None:
        self.round = round_
        self.policy = policy
        self.held = places_held(round_)
        self.places, self.groups, self.group_of = _capacities(round_, self.held)
        self.ruled_out = _ruled_out(round_)
        settings = [row.setting for row in self.places.values()]
        self.geometry = _Geometry(settings)
        kinds = np.array([s.kind for s in self.geometry.settings], dtype=object)
        self.is_mainstream = np.isin(kinds, list(SettingKind.mainstream()))
        self.weights = list(policy.rank_weights)
        self.designated = {
            need: np.array([need in s.designated_needs for s in self.geometry.settings], dtype=bool)
            for need in {n for s in self.geometry.settings for n in s.designated_needs}
        }
        self.ruled_out_by_case: dict[int, set[int]] = defaultdict(set)
        for case_id, setting_id in self.ruled_out:
            self.ruled_out_by_case[case_id].add(setting_id)

    def _cost(self, setting: Setting, rank: int | None, km: float | None) -> int:
        if rank is None:
            base = self.policy.fallback_weight
        else:
            base = self.weights[min(rank, len(self.weights)) - 1]
        distance = round(self.policy.cost_per_km * km) if km is not None else 0
        return int(base + distance + band_cost(self.policy, setting))

    def _fallbacks(self, case: Case, km: np.ndarray | None, named: set[int]) -> list[Setting]:
        usable = np.ones(len(self.geometry.settings), dtype=bool)
        for setting_id in named | self.ruled_out_by_case.get(case.pk, set()):
            if (index := self.geometry.index.get(setting_id)) is not None:
                usable[index] = False
        designated = self.designated.get(case.child.primary_need)
        found = [_nearest(km, self.geometry, usable & self.is_mainstream)]
        if designated is not None:
            found.append(_nearest(km, self.geometry, usable & designated))
        unique: list[Setting] = []
        for setting in found:
            if setting is not None and setting not in unique:
                unique.append(setting)
        return unique

    def child(self, case: Case, compiled: CompiledRound) -> ChildSpec:
        key = str(case.pk)
        child = case.child
        km = (
            self.geometry.distances(child.home_latitude, child.home_longitude)
            if child.home_latitude is not None and child.home_longitude is not None
            else None
        )
        options: list[Option] = []
        excluded: list[Excluded] = []
        named: set[int] = set()
        for preference in case.preferences.all():
            setting = preference.setting
            if setting is None:
                excluded.append(Excluded(preference.rank, preference.other_name, None, NOT_LISTED))
                continue
            named.add(setting.pk)
            grounds = self.ruled_out.get((case.pk, setting.pk))
            if grounds is not None:
                excluded.append(
                    Excluded(preference.rank, setting.name, setting.pk, RULED_OUT, grounds)
                )
            elif setting.pk not in self.places:
                excluded.append(Excluded(preference.rank, setting.name, setting.pk, NO_PLACES))
            else:
                options.append(self._option(compiled, key, setting, preference.rank, km))
        for setting in self._fallbacks(case, km, named):
            options.append(self._option(compiled, key, setting, None, km))
        compiled.excluded[key] = excluded
        return ChildSpec(key, tuple(options), self.policy.unplaced_cost)

    def _option(
        self,
        compiled: CompiledRound,
        key: str,
        setting: Setting,
        rank: int | None,
        km: np.ndarray | None,
    ) -> Option:
        index = self.geometry.index.get(setting.pk)
        distance = float(km[index]) if km is not None and index is not None else None
        cost = self._cost(setting, rank, distance)
        compiled.options[(key, str(setting.pk))] = OptionInfo(rank, distance, cost)
        compiled.settings[str(setting.pk)] = setting
        return Option(str(setting.pk), cost)

    def settings(self) -> list[SettingSpec]:
        return [
            SettingSpec(
                str(setting_id),
                max(row.places - self.held[setting_id], 0),
                self.group_of.get(setting_id),
            )
            for setting_id, row in sorted(self.places.items())
        ]


def round_compile(*, round_: Round, policy: AllocationPolicy | None = None) -> CompiledRound:
    compiler = _Compiler(round_, policy or policy_for(round_))
    cases = list(
        Case.objects.filter(round=round_, state__in=ALLOCATABLE)
        .select_related("child")
        .prefetch_related("preferences__setting")
        .order_by("pk")
    )
    compiled = CompiledRound(
        problem=Problem(settings=(), children=()), cases={str(c.pk): c for c in cases}, settings={}
    )
    children = tuple(compiler.child(case, compiled) for case in cases)
    compiled.settings.update({str(row.setting_id): row.setting for row in compiler.places.values()})
    compiled.problem = Problem(
        settings=tuple(compiler.settings()), children=children, groups=tuple(compiler.groups)
    )
    return compiled
