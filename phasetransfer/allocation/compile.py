"""Turning a round into an allocation Problem, per the round's policy.

A child's options are, in the family's order, the settings they named that did
not rule the child out on consultation and have places this round; then, as
fallbacks, the nearest mainstream setting and the nearest setting designated
for the child's primary need. Options removed here are kept with the reason,
so the explanation to the family covers every preference.

A preference is removed only on that child's own grounds (s39(4) Children and
Families Act 2014): the setting said on consultation it cannot meet the need, it
does not take the phase, or, for an independent or non-maintained setting, its
annual cost to the council exceeds the council's alternative for this child by
more than the officer's threshold (both figures kept). These hold whichever
objective orders the rest, so comparing the objectives compares only that. Under
"ranks" the options' cost is only the tie-break (distance and cost band), and each
option carries the child's group under the published oversubscription rule.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from phasetransfer.allocation.codes import (
    COST_TEST,
    NO_PLACES,
    NOT_LISTED,
    RULED_OUT,
    WRONG_PHASE,
)
from phasetransfer.allocation.engine import ChildSpec, GroupSpec, Option, Problem, SettingSpec
from phasetransfer.allocation.reservation import conditional_reserved
from phasetransfer.allocation.selectors import ALLOCATABLE, held_by_proposals, policy_for
from phasetransfer.core.geo import EARTH_RADIUS_KM
from phasetransfer.models import (
    AllocationPolicy,
    Case,
    Consultation,
    ConsultationStatus,
    Objective,
    OversubscriptionRule,
    Round,
    Setting,
    SettingKind,
    SettingPlaces,
    Sex,
)
from phasetransfer.preferences.nearest import could_attend

# The annual-cost figure that applies to each kind of setting (AllocationPolicy.annual_costs).
COST_KEY: dict[str, str] = {
    SettingKind.MAINSTREAM_MAINTAINED: "mainstream",
    SettingKind.MAINSTREAM_ACADEMY: "mainstream",
    SettingKind.RESOURCED_PROVISION: "resourced",
    SettingKind.SPECIAL: "special",
    SettingKind.FE_COLLEGE: "college",
}


@dataclass(frozen=True)
class OptionInfo:
    rank: int | None  # the family's rank; None for a fallback the family did not name
    km: float | None
    cost: int
    group: int = 0  # the child's group here under the oversubscription rule (0 first)


@dataclass(frozen=True)
class CostComparison:
    """The two annual costs behind refusing an independent preference (pounds a year)."""

    placement: int  # fees and transport at the preferred setting
    fee: int
    transport: int
    alternative: int  # the council's alternative for this child, with its transport
    alternative_name: str
    threshold: int


@dataclass(frozen=True)
class Excluded:
    """A preference the model could not consider, and why."""

    rank: int
    name: str
    setting_id: int | None
    reason: str
    grounds: tuple[str, ...] = ()
    comparison: CostComparison | None = None


@dataclass
class CompiledRound:
    problem: Problem
    cases: dict[str, Case]
    settings: dict[str, Setting]
    options: dict[tuple[str, str], OptionInfo] = field(default_factory=dict)
    excluded: dict[str, list[Excluded]] = field(default_factory=dict)
    rule_label: str = ""  # the published oversubscription rule, as families read it
    annual_costs: dict[str, int] = field(default_factory=dict)  # pounds a year, per setting
    transport_per_km: int = 0  # pounds a year per km from home

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


def places_held(round_: Round, policy: AllocationPolicy | None = None) -> Counter[int]:
    """Places already taken by cases before a panel or decided: by their latest proposal,
    or, for a conditional offer, by the round's rule for conditional places (both
    branches' settings, or the likely one's with a margin for the other)."""
    held = held_by_proposals(round_)
    held.update(conditional_reserved(round_, policy=policy))
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


def _only_setting(round_: Round) -> set[tuple[int, int]]:
    """(case, setting) where the setting said on consultation only it can meet the need."""
    return set(
        Consultation.objects.filter(
            case__round=round_,
            status=ConsultationStatus.CAN_MEET,
            only_setting=True,
            replaced_by__isnull=True,
        ).values_list("case_id", "setting_id")
    )


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
        self.held = places_held(round_, policy)
        self.places, self.groups, self.group_of = _capacities(round_, self.held)
        self.ruled_out = _ruled_out(round_)
        settings = [row.setting for row in self.places.values()]
        self.geometry = _Geometry(settings)
        # The nearest mainstream fallback is one the child could attend, by the rule of the
        # family's nearest-school advice: a mask per sex (female, male, not recorded).
        self.attendable = {
            sex: np.array([could_attend(sex, s) for s in self.geometry.settings], dtype=bool)
            for sex in (*Sex.values, "")
        }
        self.weights = list(policy.rank_weights)
        self.designated = {
            need: np.array([need in s.designated_needs for s in self.geometry.settings], dtype=bool)
            for need in {n for s in self.geometry.settings for n in s.designated_needs}
        }
        self.ruled_out_by_case: dict[int, set[int]] = defaultdict(set)
        for case_id, setting_id in self.ruled_out:
            self.ruled_out_by_case[case_id].add(setting_id)
        self.ranks = policy.objective == Objective.RANKS
        self.only_setting = _only_setting(round_) if self.ranks else set()

    def _group(self, case: Case, setting: Setting) -> int:
        """The child's group at ``setting`` under the published rule (0 comes first); the
        rule's last step, distance, is the options' cost."""
        rule = self.policy.oversubscription_rule
        looked_after = case.child.looked_after
        if rule == OversubscriptionRule.NEEDS_LOOKED_AFTER_DISTANCE:
            if (case.pk, setting.pk) in self.only_setting:
                return 0
            return 1 if looked_after else 2
        if rule == OversubscriptionRule.LOOKED_AFTER_DISTANCE:
            return 0 if looked_after else 1
        return 0

    def annual_cost(self, setting: Setting) -> int:
        """The council's annual cost of a place (pounds): the round's fee, else the
        policy's figure for the kind of setting."""
        row = self.places.get(setting.pk)
        if row is not None and row.annual_fee is not None:
            return row.annual_fee
        key = (
            "independent"
            if setting.kind in SettingKind.independent()
            else COST_KEY.get(setting.kind, "mainstream")
        )
        return int(self.policy.annual_costs.get(key, 0))

    def _transport(self, km: float | None) -> int:
        return round(self.policy.transport_per_km * km) if km is not None else 0

    def _cost_test(
        self, setting: Setting, km: float | None, alternatives: list[tuple[Setting, float | None]]
    ) -> CostComparison | None:
        """The comparison that refuses an independent preference, or None if it passes
        (or there is no maintained alternative to compare it with)."""
        if not alternatives:
            return None
        fee, transport = self.annual_cost(setting), self._transport(km)
        cheapest = min(
            alternatives, key=lambda item: self.annual_cost(item[0]) + self._transport(item[1])
        )
        alternative = self.annual_cost(cheapest[0]) + self._transport(cheapest[1])
        if fee + transport - alternative <= self.policy.independent_threshold:
            return None
        return CostComparison(
            placement=fee + transport,
            fee=fee,
            transport=transport,
            alternative=alternative,
            alternative_name=cheapest[0].name,
            threshold=self.policy.independent_threshold,
        )

    def _cost(self, setting: Setting, rank: int | None, km: float | None) -> int:
        if self.ranks:  # only the tie-break: the families' order is the objective's own
            distance = round(self.policy.cost_per_km * km) if km is not None else 0
            return int(distance + band_cost(self.policy, setting))
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
        attendable = usable & self.attendable.get(case.child.sex, self.attendable[""])
        found = [_nearest(km, self.geometry, attendable)]
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
        independent: list[tuple[int, Setting]] = []  # (position in options, setting)
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
            elif not setting.serves(self.round.phase):
                excluded.append(Excluded(preference.rank, setting.name, setting.pk, WRONG_PHASE))
            elif setting.pk not in self.places:
                excluded.append(Excluded(preference.rank, setting.name, setting.pk, NO_PLACES))
            else:
                if setting.kind in SettingKind.independent():
                    independent.append((len(options), setting))
                options.append(self._option(compiled, case, setting, preference.rank, km))
        # Fallbacks rank after every preference a family may name, the same for everyone,
        # so a fallback never counts as anyone's preference.
        after = max(self.round.max_preferences, *(p.rank for p in case.preferences.all()), 0)
        for index, setting in enumerate(self._fallbacks(case, km, named), start=1):
            options.append(self._option(compiled, case, setting, None, km, after + index))
        if independent:
            options = self._apply_cost_test(compiled, case, options, independent, excluded)
        compiled.excluded[key] = excluded
        return ChildSpec(key, tuple(options), self.policy.unplaced_cost)

    def _apply_cost_test(
        self,
        compiled: CompiledRound,
        case: Case,
        options: list[Option],
        independent: list[tuple[int, Setting]],
        excluded: list[Excluded],
    ) -> list[Option]:
        """Remove the independent preferences that fail the per-child cost test."""
        key = str(case.pk)
        independent_ids = {str(setting.pk) for _, setting in independent}
        alternatives = [
            (compiled.settings[o.setting], compiled.options[(key, o.setting)].km)
            for o in options
            if o.setting not in independent_ids
        ]
        refused: set[str] = set()
        for _, setting in independent:
            info = compiled.options[(key, str(setting.pk))]
            comparison = self._cost_test(setting, info.km, alternatives)
            if comparison is not None and info.rank is not None:
                refused.add(str(setting.pk))
                excluded.append(
                    Excluded(info.rank, setting.name, setting.pk, COST_TEST, (), comparison)
                )
                del compiled.options[(key, str(setting.pk))]
        return [o for o in options if o.setting not in refused]

    def _option(
        self,
        compiled: CompiledRound,
        case: Case,
        setting: Setting,
        rank: int | None,
        km: np.ndarray | None,
        fallback_rank: int | None = None,
    ) -> Option:
        index = self.geometry.index.get(setting.pk)
        distance = float(km[index]) if km is not None and index is not None else None
        cost = self._cost(setting, rank, distance)
        group = self._group(case, setting) if self.ranks else 0
        compiled.options[(str(case.pk), str(setting.pk))] = OptionInfo(rank, distance, cost, group)
        compiled.settings[str(setting.pk)] = setting
        return Option(str(setting.pk), cost, group, rank if rank is not None else fallback_rank)

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
        problem=Problem(settings=(), children=()),
        cases={str(c.pk): c for c in cases},
        settings={},
        rule_label=OversubscriptionRule(compiler.policy.oversubscription_rule).label,
    )
    children = tuple(compiler.child(case, compiled) for case in cases)
    compiled.settings.update({str(row.setting_id): row.setting for row in compiler.places.values()})
    compiled.annual_costs = {
        key: compiler.annual_cost(setting) for key, setting in compiled.settings.items()
    }
    compiled.transport_per_km = compiler.policy.transport_per_km
    compiled.problem = Problem(
        settings=tuple(compiler.settings()),
        children=children,
        groups=tuple(compiler.groups),
        objective=compiler.policy.objective,
    )
    return compiled
