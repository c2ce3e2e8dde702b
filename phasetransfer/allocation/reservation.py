"""Places held for post-16 conditional offers, by the rule officers choose per round.

A conditional offer names two branches, each a setting: the one the young person goes to
if the entry requirements are met, and the one otherwise (``ConditionalHold``). Until
results day nobody knows which, so the offer holds places by the round's policy
(``AllocationPolicy.conditional_places``):

* **Each branch** ("each_branch"): one place in the met branch's setting and one in the
  otherwise branch's setting. Safe, but ties up a second place per offer until results
  day. Capacity is per setting, so when both branches are the same setting (a Level 3
  course there, otherwise Level 2 there) the offer holds one place, not two.
* **Likely branch, with a margin** ("likely_branch"): one place in the likely branch's
  setting (the met branch's if the panel judged the requirements likely met, otherwise the
  otherwise branch's); and, per setting, a margin for those who land in the other branch:
  ``ceil(margin% x the number of offers whose unlikely branch is this setting)``. Offers
  whose branches are the same setting add nothing to the margin: their one place is
  already there.

The same function counts these places for the allocation model (``compile.places_held``)
and for the panel's places left (``panels.selectors.places_left``), so both see the same
capacity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from phasetransfer.allocation.selectors import HOLDING, held_by_proposals, policy_for
from phasetransfer.models import (
    AllocationPolicy,
    Case,
    ConditionalHold,
    ConditionalPlaces,
    Round,
    Setting,
    SettingPlaces,
)


@dataclass(frozen=True)
class Hold:
    """One conditional offer's two settings, and the panel's judgement of which is likely."""

    met_setting_id: int
    otherwise_setting_id: int
    likely_met: bool = True

    @property
    def likely_setting_id(self) -> int:
        return self.met_setting_id if self.likely_met else self.otherwise_setting_id

    @property
    def unlikely_setting_id(self) -> int:
        return self.otherwise_setting_id if self.likely_met else self.met_setting_id


def margin_places(offers: int, margin: int) -> int:
    """``ceil(margin% x offers)`` in whole numbers, so no float rounding decides a place."""
    return (offers * margin + 99) // 100


def places_reserved(holds: Iterable[Hold], *, rule: str, margin: int) -> Counter[int]:
    """Places held per setting id for ``holds`` under ``rule`` (a ``ConditionalPlaces``)
    and ``margin`` (per cent, used by the likely-branch rule only)."""
    reserved: Counter[int] = Counter()
    if rule == ConditionalPlaces.EACH_BRANCH:
        for hold in holds:
            reserved.update({hold.met_setting_id, hold.otherwise_setting_id})
        return reserved
    if rule != ConditionalPlaces.LIKELY_BRANCH:
        raise ValueError(f"unknown rule for conditional places {rule!r}")
    unlikely: Counter[int] = Counter()
    for hold in holds:
        reserved[hold.likely_setting_id] += 1
        if hold.unlikely_setting_id != hold.likely_setting_id:
            unlikely[hold.unlikely_setting_id] += 1
    for setting_id, offers in unlikely.items():
        if extra := margin_places(offers, margin):
            reserved[setting_id] += extra
    return reserved


def holds_for(round_: Round, *, exclude_case: Case | None = None) -> list[Hold]:
    """The round's conditional offers, for cases that hold places (withdrawn ones do not;
    ``exclude_case`` is the case being decided, not counted against itself)."""
    rows = ConditionalHold.objects.filter(case__round=round_, case__state__in=HOLDING)
    if exclude_case is not None:
        rows = rows.exclude(case=exclude_case)
    return [
        Hold(met, otherwise, likely)
        for met, otherwise, likely in rows.order_by("case_id").values_list(
            "met_setting_id", "otherwise_setting_id", "likely_met"
        )
    ]


def conditional_reserved(
    round_: Round, *, policy: AllocationPolicy | None = None, exclude_case: Case | None = None
) -> Counter[int]:
    """Places held per setting for the round's conditional offers, by its policy."""
    policy = policy or policy_for(round_)
    return places_reserved(
        holds_for(round_, exclude_case=exclude_case),
        rule=policy.conditional_places,
        margin=policy.conditional_margin,
    )


def rule_sentence(rule: str, margin: int) -> str:
    """The rule as officers read it on the allocation pages."""
    if rule == ConditionalPlaces.LIKELY_BRANCH:
        return (
            "Conditional offers hold a place in the likely branch's setting, "
            f"plus {margin}% for the other"
        )
    return "Conditional offers hold a place in each branch's setting"


@dataclass(frozen=True)
class Committed:
    """One setting's places this round, and what conditional offers hold of them."""

    setting: Setting
    capacity: int
    held_by_others: int  # cases before a panel or decided, by their latest proposal
    met_here: int  # conditional offers whose met branch is this setting
    otherwise_here: int  # ... whose otherwise branch is this setting
    reserved: int  # places held for conditional offers here, by the round's rule

    @property
    def left(self) -> int:
        return self.capacity - self.held_by_others - self.reserved


def places_committed(round_: Round, *, policy: AllocationPolicy | None = None) -> list[Committed]:
    """Per setting with places this round and any conditional offer or place held for one:
    its capacity, what the model takes out of it, and what is left (as the model sees it)."""
    policy = policy or policy_for(round_)
    holds = holds_for(round_)
    reserved = places_reserved(
        holds, rule=policy.conditional_places, margin=policy.conditional_margin
    )
    met = Counter(hold.met_setting_id for hold in holds)
    otherwise = Counter(hold.otherwise_setting_id for hold in holds)
    involved = set(reserved) | set(met) | set(otherwise)
    if not involved:
        return []
    others = held_by_proposals(round_)
    rows = (
        SettingPlaces.objects.filter(round=round_, setting_id__in=involved)
        .select_related("setting")
        .order_by("setting__name", "setting_id")
    )
    return [
        Committed(
            setting=row.setting,
            capacity=row.places,
            held_by_others=others[row.setting_id],
            met_here=met[row.setting_id],
            otherwise_here=otherwise[row.setting_id],
            reserved=reserved[row.setting_id],
        )
        for row in rows
    ]
