"""Conflicts of interest: a member must not decide a case involving their own school.

A school is *involved* in a case when it is the proposed setting or one of the family's
preferences. "Their own school" is read by site: a specialist resourced provision sits
in its host mainstream school (same building, same head teacher), so a member from the
host is conflicted on a case naming the provision, and the other way round.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

REASON_MAX = 200  # Recusal.reason


@dataclass(frozen=True)
class Interest:
    setting_id: int
    role: str  # "the proposed setting", "the family's 2nd preference"


def ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def case_interests(
    *, proposal_setting_id: int | None, preferences: Iterable[tuple[int, int | None]]
) -> list[Interest]:
    """The settings involved in a case: the proposal first, then preferences by rank."""
    found: list[Interest] = []
    if proposal_setting_id is not None:
        found.append(Interest(proposal_setting_id, "the proposed setting"))
    for rank, setting_id in sorted(preferences, key=lambda p: p[0]):
        if setting_id is not None:
            found.append(Interest(setting_id, f"the family's {ordinal(rank)} preference"))
    return found


def site_of(setting_id: int, hosts: Mapping[int, int | None]) -> frozenset[int]:
    host = hosts.get(setting_id)
    return frozenset({setting_id} if host is None else {setting_id, host})


def conflict_reason(
    *,
    school_id: int | None,
    interests: Iterable[Interest],
    hosts: Mapping[int, int | None],
    names: Mapping[int, str],
) -> str | None:
    """Why a member from ``school_id`` must not decide the case, or None if they may."""
    if school_id is None:
        return None
    own = site_of(school_id, hosts)
    school = names.get(school_id, "Their school")
    for interest in interests:
        if interest.setting_id == school_id:
            return f"{school} is {interest.role}"[:REASON_MAX]
        if own & site_of(interest.setting_id, hosts):
            other = names.get(interest.setting_id, "a setting")
            return f"{school} shares a site with {other}, {interest.role}"[:REASON_MAX]
    return None
