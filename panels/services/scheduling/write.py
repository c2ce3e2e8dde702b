"""Step 3: write the result in one short transaction, re-checking what the solve assumed."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict

from django.db import transaction
from django.db.models import Count

from panels.conflicts import conflict_reason
from panels.models import PanelCase, PanelMember, PanelSession, Recusal, SchedulingRun
from panels.scheduler import CaseItem, SessionSlot
from panels.selectors import last_panel_day, settings_hosts_and_names
from panels.services.scheduling.place import Placement, day_label
from panels.services.scheduling.read import CaseFacts, Snapshot, interests_of, proposals_of
from panels.services.scheduling.report import (
    AGAIN,
    PANEL_STATES,
    REBUILT,
    RunAbandoned,
    ScheduleReport,
    Unplaced,
)
from phasetransfer.cases.state import cases_move_bulk
from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record_bulk
from phasetransfer.models import Case, CaseState, Round, RunStatus, User


def write_result(
    run: SchedulingRun,
    snapshot: Snapshot,
    placements: list[Placement],
    report: ScheduleReport,
    *,
    now: dt.datetime,
    started: float,
) -> None:
    """Write the schedule, taking only the locks it needs, and only what is still true.

    Locks, in this order (the order the session and decision services use too: session,
    then case): the run's row; the sessions it places cases into or takes them out of,
    by id; the rows of the cases it read, by id. The solve took many seconds with no
    lock, so before changing anything it re-checks:

    * the run is still running: a run taken for dead (``scheduling_reap_stale``) writes
      nothing, so it cannot clobber the run that replaced it;
    * each case is as it was read (the same state, changed at the same moment): a case
      decided, deferred, re-consulted, withdrawn or placed meanwhile is left exactly as
      it is, and reported (``left_alone``, or ``unplaced`` if it is proposed again);
    * with ``rebuild``, a case is taken out only if it is unchanged and its placement is
      still live in the same session, which is still open;
    * each session still exists, is of the case's area, is not signed off, starts after
      now and before the cut-off (read again: the approval days may have changed) and
      after the case's consultation responses are due and its deferral; and it still
      has room, counting what is in it now against its case limit now;
    * each case still has a proposal in the latest allocation run (which may be a newer
      run than was read): the placement records that one;
    * recusals are worked out from the members seated now, not those read;
    * stale placements are looked for again, not taken from the read.

    A placement that fails a check is not made; the case is reported with the reason.
    """
    round_ = run.round
    actor = run.requested_by
    with transaction.atomic():
        still_ours = SchedulingRun.objects.select_for_update().filter(
            pk=run.pk, status=RunStatus.RUNNING
        )
        if not list(still_ours.values_list("pk", flat=True)):
            raise RunAbandoned
        sessions = _lock_sessions(placements, snapshot.facts)
        current = _lock_cases(snapshot.facts)
        unchanged = {
            case_id
            for case_id, fact in snapshot.facts.items()
            if current.get(case_id) == (fact.case.state, fact.case.state_changed_at)
        }
        report.stale_removed = _remove_stale(round_, actor, now)
        taken_out = _take_out_for_rebuild(snapshot.facts, unchanged, sessions, actor=actor, now=now)
        report.rebuilt = len(taken_out)
        ready = taken_out | {c for c in unchanged if current[c][0] == CaseState.PROPOSED}
        _report_changed(report, snapshot.facts, current, ready)
        accepted = _recheck(placements, ready, sessions, round_, report, now=now)
        report.scheduled, report.recusals = _place(accepted, actor=actor, now=now)
        _count(round_, report)
        report.seconds = _seconds_since(started)
        SchedulingRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE,
            stage="Done",
            finished_at=now,
            heartbeat_at=now,
            ran_at=snapshot.data.now,
            scheduled=report.scheduled,
            unplaced=len(report.unplaced),
            report=report.as_dict(),
        )


def _lock_sessions(
    placements: list[Placement], facts: dict[int, CaseFacts]
) -> dict[int, PanelSession]:
    ids = {p.session_id for p in placements}
    ids |= {f.taken_from[1] for f in facts.values() if f.taken_from is not None}
    locked = PanelSession.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {session.pk: session for session in locked}


def _lock_cases(facts: dict[int, CaseFacts]) -> dict[int, tuple[str, dt.datetime]]:
    """case id -> (state, state_changed_at) now, for the cases read; their rows locked."""
    rows = (
        Case.objects.select_for_update()
        .filter(pk__in=list(facts))
        .order_by("pk")
        .values_list("pk", "state", "state_changed_at")
    )
    return {pk: (state, changed) for pk, state, changed in rows}


def _end_placements(
    placements: list[tuple[int, int]], *, reason: str, actor: User | None, now: dt.datetime
) -> None:
    """Mark placements (panel case id, case id) removed, with an audit event each."""
    PanelCase.objects.filter(pk__in=[pk for pk, _ in placements], removed_at=None).update(
        removed_at=now, removed_reason=reason[:200]
    )
    audit_record_bulk(
        events=((case_id, {"panel_case": pk}) for pk, case_id in placements),
        action="panel.removed",
        actor=actor,
        now=now,
        reason=reason,
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


def _open(session: PanelSession | None, now: dt.datetime) -> bool:
    return session is not None and session.signed_off_at is None and session.starts_at > now


def _take_out_for_rebuild(
    facts: dict[int, CaseFacts],
    unchanged: set[int],
    sessions: dict[int, PanelSession],
    *,
    actor: User | None,
    now: dt.datetime,
) -> set[int]:
    """End the read undecided placements that are still as read; the case ids taken out."""
    wanted = {
        fact.taken_from[0]: case_id
        for case_id, fact in facts.items()
        if fact.taken_from is not None
        and case_id in unchanged
        and _open(sessions.get(fact.taken_from[1]), now)
    }
    live = PanelCase.objects.filter(pk__in=list(wanted), removed_at=None)
    movable = [
        (pk, wanted[pk])
        for pk, session_id in live.values_list("pk", "session_id")
        if facts[wanted[pk]].taken_from == (pk, session_id)
    ]
    if movable:
        _end_placements(movable, reason=REBUILT, actor=actor, now=now)
        cases_move_bulk(
            name="unschedule",
            case_ids=[case_id for _, case_id in movable],
            actor=actor,
            reason=REBUILT,
            now=now,
        )
    return {case_id for _, case_id in movable}


def _report_changed(
    report: ScheduleReport,
    facts: dict[int, CaseFacts],
    current: dict[int, tuple[str, dt.datetime]],
    ready: set[int],
) -> None:
    """Report the cases read that changed meanwhile (they are not placed, whatever the
    solve said): left as they are, or, if proposed again, waiting for the next run."""
    report.unplaced = [u for u in report.unplaced if u.case_id in ready]
    for case_id, fact in sorted(facts.items(), key=lambda item: item[1].case.reference):
        if case_id in ready:
            continue
        case = fact.case
        state = current[case_id][0] if case_id in current else ""
        if state == CaseState.PROPOSED:
            why = f"it changed while the schedule was being worked out: {AGAIN}"
            report.unplaced.append(Unplaced(case_id, case.reference, case.send_area, why))
        else:
            label = CaseState(state).label.lower() if state else "no longer in the round"
            why = f"it or its session changed while the schedule was being worked out ({label})"
            report.left_alone.append(Unplaced(case_id, case.reference, case.send_area, why))


def _session_refusal(
    fact: CaseFacts, session: PanelSession | None, *, cutoff: dt.datetime, now: dt.datetime
) -> str:
    """Why the case can no longer go to the session it was given, or ""."""
    if session is None:
        return f"its session was removed while the schedule was being worked out: {AGAIN}"
    fits = (
        session.signed_off_at is None
        and session.send_area == fact.case.send_area
        and now < session.starts_at < cutoff
        and CaseItem(0, "", fact.due, fact.deferred_after).can_attend(
            SessionSlot(session.pk, session.starts_at, session.case_limit)
        )
    )
    if fits:
        return ""
    day = day_label(session.starts_at)
    return f"the session of {day} changed while the schedule was being worked out: {AGAIN}"


def _room(sessions: dict[int, PanelSession]) -> dict[int, int]:
    """Places left in each session now (after the stale and rebuilt cases left)."""
    live = dict(
        PanelCase.objects.filter(session_id__in=list(sessions), removed_at=None)
        .values_list("session_id")
        .annotate(n=Count("id"))
        .values_list("session_id", "n")
    )
    return {pk: session.case_limit - live.get(pk, 0) for pk, session in sessions.items()}


def _recheck(
    placements: list[Placement],
    ready: set[int],
    sessions: dict[int, PanelSession],
    round_: Round,
    report: ScheduleReport,
    *,
    now: dt.datetime,
) -> list[Placement]:
    """The placements that are still right now (see ``write_result``); the others reported."""
    cutoff = clock.end_of_day_in_london(last_panel_day(round_))
    wanted = sorted(
        (p for p in placements if p.fact.case.pk in ready), key=lambda p: p.fact.case.reference
    )
    proposals = proposals_of(round_, [p.fact.case.pk for p in wanted])
    room = _room(sessions)
    accepted: list[Placement] = []
    for placement in wanted:
        case = placement.fact.case
        why = _session_refusal(
            placement.fact, sessions.get(placement.session_id), cutoff=cutoff, now=now
        )
        if not why and room[placement.session_id] <= 0:
            day = day_label(sessions[placement.session_id].starts_at)
            why = f"the session of {day} filled up while the schedule was being worked out: {AGAIN}"
        if not why and case.pk not in proposals:
            why = "no proposal in the latest allocation run: run the allocation model"
        if why:
            report.unplaced.append(Unplaced(case.pk, case.reference, case.send_area, why))
            continue
        placement.proposal_id, placement.proposal_setting_id = proposals[case.pk]
        room[placement.session_id] -= 1
        accepted.append(placement)
    return accepted


def _recuse(accepted: list[Placement]) -> None:
    """Fill in each placement's recusals from the members seated now (sessions locked)."""
    members: dict[int, list[PanelMember]] = defaultdict(list)
    for member in PanelMember.objects.filter(
        session_id__in={p.session_id for p in accepted}, school__isnull=False
    ).order_by("pk"):
        members[member.session_id].append(member)
    interests = interests_of(
        [p.fact.case.pk for p in accepted],
        {p.fact.case.pk: p.proposal_setting_id for p in accepted},
    )
    setting_ids = {i.setting_id for found in interests.values() for i in found}
    setting_ids |= {m.school_id for found in members.values() for m in found if m.school_id}
    hosts, names = settings_hosts_and_names(setting_ids)
    for placement in accepted:
        for member in members[placement.session_id]:
            reason = conflict_reason(
                school_id=member.school_id,
                interests=interests[placement.fact.case.pk],
                hosts=hosts,
                names=names,
            )
            if reason:
                placement.recused.append((member, reason))


def _place(accepted: list[Placement], *, actor: User | None, now: dt.datetime) -> tuple[int, int]:
    _recuse(accepted)
    rows = PanelCase.objects.bulk_create(
        [
            PanelCase(
                session_id=p.session_id,
                case=p.fact.case,
                proposal_id=p.proposal_id,
                scheduled_at=now,
            )
            for p in accepted
        ],
        batch_size=1000,
    )
    moved = cases_move_bulk(
        name="schedule_for_panel",
        case_ids=[p.fact.case.pk for p in accepted],
        actor=actor,
        now=now,
    )
    recusals = [
        Recusal(panel_case=row, member=member, reason=reason)
        for row, p in zip(rows, accepted, strict=True)
        for member, reason in p.recused
    ]
    Recusal.objects.bulk_create(recusals, batch_size=1000)
    audit_record_bulk(
        events=(
            (
                p.fact.case.pk,
                {
                    "session": p.session_id,
                    "panel_case": row.pk,
                    "proposal": p.proposal_id,
                    "recused": sorted(member.user_id for member, _ in p.recused),
                },
            )
            for row, p in zip(rows, accepted, strict=True)
        ),
        action="panel.scheduled",
        actor=actor,
        now=now,
    )
    return moved, len(recusals)


def _count(round_: Round, report: ScheduleReport) -> None:
    states = Counter(
        PanelCase.objects.filter(session__round=round_, removed_at=None).values_list(
            "case__state", flat=True
        )
    )
    report.kept = states[CaseState.AT_PANEL] - report.scheduled
    report.decided = sum(states.values()) - states[CaseState.AT_PANEL]


def _seconds_since(started: float) -> float:
    return round(time.perf_counter() - started, 3)  # the builtin: callers shadow ``round``
