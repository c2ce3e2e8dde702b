"""Step 2: solve one CP-SAT model per SEND area and choose each case's session."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from panels.conflicts import conflict_reason, site_of
from panels.models import PanelMember, PanelSession
from panels.scheduler import FULL, TIMEOUT, CaseItem, SessionSlot, schedule_group
from panels.services.scheduling.read import CaseFacts, RoundData, Seat
from panels.services.scheduling.report import AreaSummary, ScheduleReport, Unplaced
from phasetransfer.core import clock, geo


def _seats(data: RoundData, sessions: list[PanelSession]) -> dict[int, list[Seat]]:
    """Members with a school, by every setting on their school's site."""
    by_site: dict[int, list[Seat]] = defaultdict(list)
    for session in sessions:
        for member in session.members.all():
            if member.school_id is None:
                continue
            seat = Seat(member, session.pk, site_of(member.school_id, data.hosts))
            for setting_id in seat.site:
                by_site[setting_id].append(seat)
    return by_site


def _conflicted_members(
    fact: CaseFacts, by_site: dict[int, list[Seat]], data: RoundData
) -> dict[int, int]:
    """session id -> how many of its members must not decide the case (as read)."""
    found: dict[int, set[int]] = defaultdict(set)
    candidates = {
        id(seat): seat
        for interest in fact.interests
        for setting_id in site_of(interest.setting_id, data.hosts)
        for seat in by_site.get(setting_id, [])
    }
    for seat in candidates.values():
        reason = conflict_reason(
            school_id=seat.member.school_id,
            interests=fact.interests,
            hosts=data.hosts,
            names=data.names,
        )
        if reason:
            found[seat.session_id].add(seat.member.pk)
    return {session_id: len(members) for session_id, members in found.items()}


def day_label(moment: dt.datetime | None) -> str:
    return f"{moment.astimezone(clock.LONDON):%-d %B %Y}" if moment else ""


def _why(code: str, fact: CaseFacts, area: str, data: RoundData, any_usable: bool) -> str:
    cutoff = f"{data.last_day:%-d %B %Y}"
    if code == FULL:
        return f"all sessions for area {area} that fit its dates are full"
    if code == TIMEOUT:
        return f"the scheduler ran out of time for area {area}; run it again"
    if not any(s.send_area == area for s in data.sessions):
        return f"no session for area {area} in this round"
    if not any_usable:
        return f"no session for area {area} before the cut-off ({cutoff}) that is still open"
    if fact.deferred_after and (not fact.due or fact.deferred_after >= fact.due):
        since = f"after the session it was deferred from ({day_label(fact.deferred_after)})"
    elif fact.due:
        since = f"after its consultation responses are due ({day_label(fact.due)})"
    else:
        since = "from now"
    return f"no session for area {area} before the cut-off ({cutoff}) {since}"


@dataclass
class Placement:
    fact: CaseFacts
    session_id: int
    # Filled in by the write, from what is true then:
    proposal_id: int | None = None
    proposal_setting_id: int | None = None
    recused: list[tuple[PanelMember, str]] = field(default_factory=list)


def place_area(
    area: str,
    facts: list[CaseFacts],
    data: RoundData,
    report: ScheduleReport,
    time_limit: float,
) -> list[Placement]:
    sessions = [s for s in data.sessions if s.send_area == area and data.usable(s)]
    by_site = _seats(data, sessions)
    slots = [SessionSlot(s.pk, s.starts_at, s.case_limit, data.loads[s.pk]) for s in sessions]
    items = [
        CaseItem(
            key=f.case.pk,
            label=f.case.reference,
            not_before=f.due,
            after=f.deferred_after,
            conflicts=_conflicted_members(f, by_site, data),
        )
        for f in facts
    ]
    result = schedule_group(slots, items, time_limit=time_limit)
    by_id = {f.case.pk: f for f in facts}
    for case_id, code in sorted(result.unplaced.items(), key=lambda i: by_id[i[0]].case.reference):
        fact = by_id[case_id]
        why = _why(code, fact, area, data, bool(sessions))
        report.unplaced.append(Unplaced(case_id, fact.case.reference, area, why))
    low, high = result.fill_ratio(slots)
    report.areas.append(
        AreaSummary(
            area=area,
            sessions=len(sessions),
            cases=len(facts),
            placed=len(result.placements),
            unplaced=len(result.unplaced),
            conflicted=result.conflicted,
            lowest_fill=round(low, 3),
            highest_fill=round(high, 3),
            status=result.status,
            seconds=round(result.seconds, 3),
            classes=result.classes,
        )
    )
    return [Placement(by_id[case_id], sid) for case_id, sid in result.placements.items()]


def sort_out(facts: dict[int, CaseFacts], report: ScheduleReport) -> dict[str, list[CaseFacts]]:
    """Cases by area; those that cannot go to any area's panel are reported here."""
    areas = set(geo.send_areas())
    by_area: dict[str, list[CaseFacts]] = defaultdict(list)
    for fact in sorted(facts.values(), key=lambda f: f.case.reference):
        case = fact.case
        if not fact.has_proposal:
            why = "no proposal in the latest allocation run: run the allocation model"
            report.unplaced.append(Unplaced(case.pk, case.reference, case.send_area, why))
        elif case.send_area not in areas:
            where = case.send_area or "no area recorded"
            why = f"home outside Kent's SEND areas ({where})"
            report.unplaced.append(Unplaced(case.pk, case.reference, case.send_area, why))
        else:
            by_area[case.send_area].append(fact)
    return by_area
