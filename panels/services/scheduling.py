"""Scheduling a round's proposed cases into its panel sessions (the Django side).

``panels_schedule`` reads the round, solves one CP-SAT model per SEND area
(``panels.scheduler``), and writes the placements in the same transaction:

* every PROPOSED case with a proposal in the latest allocation run is placed in one
  session of its area and round that starts after its consultation responses are due
  (and after the session it was deferred from, if any) and no later than the round's
  last panel day (SEN offer day minus the round's approval days); sessions that are
  signed off or have already started take no new cases;
* no session goes over its case limit; sessions are filled evenly;
* sessions where a member's school is involved are avoided; where no other session is
  possible the case is placed anyway and the member is recused (``Recusal``);
* every case that cannot be placed is in the report with the reason.

Re-running keeps every case already in a session where it is (decided or not). With
``rebuild=True`` the undecided cases in sessions that are not signed off and have not
started are taken out first and placed again; decided cases never move.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Max

from panels.conflicts import Interest, case_interests, conflict_reason, site_of
from panels.models import (
    Decision,
    Outcome,
    PanelCase,
    PanelMember,
    PanelSession,
    Recusal,
    SchedulingRun,
)
from panels.scheduler import FULL, TIMEOUT, CaseItem, SessionSlot, schedule_group
from panels.services.rounds import last_panel_day
from panels.services.sessions import settings_hosts_and_names
from phasetransfer.allocation.runs import latest_run
from phasetransfer.cases.state import cases_move_bulk
from phasetransfer.consultations.selectors import consultations_live
from phasetransfer.core import clock, geo
from phasetransfer.core.audit import actor_label
from phasetransfer.models import (
    AuditEvent,
    Case,
    CaseState,
    Preference,
    Proposal,
    Round,
    User,
)

# A case in one of these states belongs in the session it was placed in; a live placement
# of a case in any other state (re-consulted, withdrawn) is stale and is ended.
PANEL_STATES = (
    CaseState.AT_PANEL,
    CaseState.DECIDED,
    CaseState.OFFER_APPROVED,
    CaseState.RELEASED,
    CaseState.NO_DECISION_YET,
    CaseState.ACCEPTED,
    CaseState.APPEALED,
)
REBUILT = "Panel schedule rebuilt"
DEFAULT_TIME_LIMIT = 10.0


@dataclass
class Unplaced:
    case_id: int
    reference: str
    area: str
    reason: str


@dataclass
class AreaSummary:
    area: str
    sessions: int
    cases: int
    placed: int
    unplaced: int
    conflicted: int
    lowest_fill: float
    highest_fill: float
    status: str
    seconds: float
    classes: int


@dataclass
class ScheduleReport:
    round_id: int
    last_panel_day: str
    scheduled: int = 0
    kept: int = 0  # undecided cases left in the session they were in
    decided: int = 0  # decided cases, never moved
    rebuilt: int = 0  # taken out by rebuild=True (most are scheduled again)
    stale_removed: int = 0
    recusals: int = 0
    unplaced: list[Unplaced] = field(default_factory=list)
    areas: list[AreaSummary] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        rebuilt = f" ({self.rebuilt} taken out to rebuild)" if self.rebuilt else ""
        return (
            f"Scheduled {self.scheduled} case(s){rebuilt}; {self.kept} already at panel kept, "
            f"{self.decided} decided kept; {len(self.unplaced)} could not be placed; "
            f"{self.recusals} recusal(s). {self.seconds:.1f}s."
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- Reading the round ------------------------------------------------------------


@dataclass
class _CaseFacts:
    case: Case
    proposal_id: int | None = None
    proposal_setting_id: int | None = None
    has_proposal: bool = False
    due: dt.datetime | None = None
    deferred_after: dt.datetime | None = None
    interests: list[Interest] = field(default_factory=list)


def _case_facts(round_: Round, cases: list[Case]) -> dict[int, _CaseFacts]:
    facts = {case.pk: _CaseFacts(case) for case in cases}
    ids = list(facts)
    run = latest_run(round_)
    if run is not None:
        for case_id, pk, setting_id in Proposal.objects.filter(
            run=run, case_id__in=ids
        ).values_list("case_id", "pk", "setting_id"):
            facts[case_id].has_proposal = True
            facts[case_id].proposal_id = pk
            facts[case_id].proposal_setting_id = setting_id
    for row in (
        consultations_live().filter(case_id__in=ids).values("case_id").annotate(due=Max("due_at"))
    ):
        facts[row["case_id"]].due = row["due"]
    for row in (
        Decision.objects.filter(case_id__in=ids, outcome=Outcome.DEFER)
        .values("case_id")
        .annotate(after=Max("session__starts_at"))
    ):
        facts[row["case_id"]].deferred_after = row["after"]
    preferences: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    for case_id, rank, setting_id in Preference.objects.filter(case_id__in=ids).values_list(
        "case_id", "rank", "setting_id"
    ):
        preferences[case_id].append((rank, setting_id))
    for case_id, fact in facts.items():
        fact.interests = case_interests(
            proposal_setting_id=fact.proposal_setting_id, preferences=preferences[case_id]
        )
    return facts


@dataclass
class _Seat:
    member: PanelMember
    session_id: int
    site: frozenset[int]


@dataclass
class _Round:
    round: Round
    now: dt.datetime
    last_day: dt.date  # the last day a panel may sit (panels.services.rounds)
    cutoff: dt.datetime  # the end of that day, in London
    sessions: list[PanelSession]
    loads: Counter[int]
    hosts: dict[int, int | None]
    names: dict[int, str]

    def usable(self, session: PanelSession) -> bool:
        return session.signed_off_at is None and self.now < session.starts_at < self.cutoff


def _round_data(
    round_: Round, now: dt.datetime, facts: dict[int, _CaseFacts], last_day: dt.date
) -> _Round:
    sessions = list(
        PanelSession.objects.filter(round=round_)
        .prefetch_related("members__user")
        .order_by("starts_at", "id")
    )
    loads = Counter(
        dict(
            PanelCase.objects.filter(session__round=round_, removed_at=None)
            .values_list("session_id")
            .annotate(n=Count("id"))
            .values_list("session_id", "n")
        )
    )
    setting_ids = {i.setting_id for f in facts.values() for i in f.interests}
    setting_ids |= {m.school_id for s in sessions for m in s.members.all() if m.school_id}
    # conflict_reason names only the member's school and the case's settings, all in here.
    hosts, names = settings_hosts_and_names(setting_ids)
    cutoff = clock.end_of_day_in_london(last_day)
    return _Round(round_, now, last_day, cutoff, sessions, loads, hosts, names)


# --- Housekeeping before placing ---------------------------------------------------


def _end_placements(
    placements: list[tuple[int, int]], *, reason: str, actor: User | None, now: dt.datetime
) -> None:
    """Mark placements (panel case id, case id) removed, with an audit event each."""
    PanelCase.objects.filter(pk__in=[pk for pk, _ in placements]).update(
        removed_at=now, removed_reason=reason[:200]
    )
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                case_id=case_id,
                at=now,
                actor=actor,
                actor_label=actor_label(actor),
                action="panel.removed",
                reason=reason,
                data={"panel_case": pk},
            )
            for pk, case_id in placements
        ],
        batch_size=1000,
    )


def _remove_stale(round_: Round, actor: User | None, now: dt.datetime) -> int:
    stale = list(
        PanelCase.objects.filter(session__round=round_, removed_at=None)
        .exclude(case__state__in=PANEL_STATES)
        .values_list("pk", "case_id")
    )
    if stale:
        _end_placements(stale, reason="The case is no longer at panel", actor=actor, now=now)
    return len(stale)


def _take_out_for_rebuild(round_: Round, actor: User | None, now: dt.datetime) -> int:
    movable = list(
        PanelCase.objects.filter(
            session__round=round_,
            session__signed_off_at=None,
            session__starts_at__gt=now,
            removed_at=None,
            case__state=CaseState.AT_PANEL,
        ).values_list("pk", "case_id")
    )
    if movable:
        _end_placements(movable, reason=REBUILT, actor=actor, now=now)
        cases_move_bulk(
            name="unschedule",
            case_ids=[case_id for _, case_id in movable],
            actor=actor,
            reason=REBUILT,
            now=now,
        )
    return len(movable)


# --- Placing -------------------------------------------------------------------------


def _seats(data: _Round, sessions: list[PanelSession]) -> dict[int, list[_Seat]]:
    """Members with a school, by every setting on their school's site."""
    by_site: dict[int, list[_Seat]] = defaultdict(list)
    for session in sessions:
        for member in session.members.all():
            if member.school_id is None:
                continue
            seat = _Seat(member, session.pk, site_of(member.school_id, data.hosts))
            for setting_id in seat.site:
                by_site[setting_id].append(seat)
    return by_site


def _conflicted_members(
    fact: _CaseFacts, by_site: dict[int, list[_Seat]], data: _Round
) -> dict[int, dict[int, tuple[PanelMember, str]]]:
    """session id -> member id -> (member, reason), for the members who must not decide."""
    found: dict[int, dict[int, tuple[PanelMember, str]]] = defaultdict(dict)
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
            found[seat.session_id][seat.member.pk] = (seat.member, reason)
    return found


def _day(moment: dt.datetime | None) -> str:
    return f"{moment.astimezone(clock.LONDON):%-d %B %Y}" if moment else ""


def _why(code: str, fact: _CaseFacts, area: str, data: _Round, any_usable: bool) -> str:
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
        since = f"after the session it was deferred from ({_day(fact.deferred_after)})"
    elif fact.due:
        since = f"after its consultation responses are due ({_day(fact.due)})"
    else:
        since = "from now"
    return f"no session for area {area} before the cut-off ({cutoff}) {since}"


@dataclass
class _Placement:
    fact: _CaseFacts
    session_id: int
    recused: list[tuple[PanelMember, str]]


def _place_area(
    area: str,
    facts: list[_CaseFacts],
    data: _Round,
    report: ScheduleReport,
    time_limit: float,
) -> list[_Placement]:
    sessions = [s for s in data.sessions if s.send_area == area and data.usable(s)]
    by_site = _seats(data, sessions)
    conflicts = {f.case.pk: _conflicted_members(f, by_site, data) for f in facts}
    slots = [SessionSlot(s.pk, s.starts_at, s.case_limit, data.loads[s.pk]) for s in sessions]
    items = [
        CaseItem(
            key=f.case.pk,
            label=f.case.reference,
            not_before=f.due,
            after=f.deferred_after,
            conflicts={sid: len(members) for sid, members in conflicts[f.case.pk].items()},
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
    return [
        _Placement(by_id[case_id], sid, list(conflicts[case_id].get(sid, {}).values()))
        for case_id, sid in result.placements.items()
    ]


def _write(
    placements: list[_Placement], *, actor: User | None, now: dt.datetime
) -> tuple[int, int]:
    rows = PanelCase.objects.bulk_create(
        [
            PanelCase(
                session_id=p.session_id,
                case=p.fact.case,
                proposal_id=p.fact.proposal_id,
                scheduled_at=now,
            )
            for p in placements
        ],
        batch_size=1000,
    )
    moved = cases_move_bulk(
        name="schedule_for_panel",
        case_ids=[p.fact.case.pk for p in placements],
        actor=actor,
        now=now,
    )
    recusals = [
        Recusal(panel_case=row, member=member, reason=reason)
        for row, p in zip(rows, placements, strict=True)
        for member, reason in p.recused
    ]
    Recusal.objects.bulk_create(recusals, batch_size=1000)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                case=p.fact.case,
                at=now,
                actor=actor,
                actor_label=actor_label(actor),
                action="panel.scheduled",
                data={
                    "session": p.session_id,
                    "panel_case": row.pk,
                    "proposal": p.fact.proposal_id,
                    "recused": sorted(member.user_id for member, _ in p.recused),
                },
            )
            for row, p in zip(rows, placements, strict=True)
        ],
        batch_size=1000,
    )
    return moved, len(recusals)


def _sort_out(facts: dict[int, _CaseFacts], report: ScheduleReport) -> dict[str, list[_CaseFacts]]:
    """Cases by area; those that cannot go to any area's panel are reported here."""
    areas = set(geo.send_areas())
    by_area: dict[str, list[_CaseFacts]] = defaultdict(list)
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


def _seconds_since(started: float) -> float:
    return round(time.perf_counter() - started, 3)  # the builtin: callers shadow ``round``


def panels_schedule(
    *,
    round_: Round,
    actor: User | None,
    rebuild: bool = False,
    now: dt.datetime | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> ScheduleReport:
    """Place the round's proposed cases in its sessions; see the module docstring."""
    started = time.perf_counter()
    moment = now or clock.now()
    last_day = last_panel_day(round_)  # reads (or makes) the round's panel settings once
    report = ScheduleReport(round_id=round_.pk, last_panel_day=last_day.isoformat())
    with transaction.atomic():
        # One scheduler per round at a time: a second waits here, then sees the first's work.
        Round.objects.select_for_update().get(pk=round_.pk)
        report.stale_removed = _remove_stale(round_, actor, moment)
        if rebuild:
            report.rebuilt = _take_out_for_rebuild(round_, actor, moment)
        cases = list(
            Case.objects.select_for_update()
            .filter(round=round_, state=CaseState.PROPOSED)
            .order_by("reference")
        )
        facts = _case_facts(round_, cases)
        data = _round_data(round_, moment, facts, last_day)
        placements: list[_Placement] = []
        for area, area_facts in sorted(_sort_out(facts, report).items()):
            placements += _place_area(area, area_facts, data, report, time_limit)
        report.scheduled, report.recusals = _write(placements, actor=actor, now=moment)
        states = Counter(
            PanelCase.objects.filter(session__round=round_, removed_at=None).values_list(
                "case__state", flat=True
            )
        )
        report.kept = states[CaseState.AT_PANEL] - report.scheduled
        report.decided = sum(states.values()) - states[CaseState.AT_PANEL]
        report.seconds = _seconds_since(started)
        SchedulingRun.objects.create(
            round=round_,
            requested_by=actor,
            ran_at=moment,
            rebuild=rebuild,
            scheduled=report.scheduled,
            unplaced=len(report.unplaced),
            report=report.as_dict(),
        )
    return report
