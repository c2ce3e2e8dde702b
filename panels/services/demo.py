"""Panels for a synthetic demo round: sessions, scheduling, decisions and sign-off.

Sessions before ``today`` have sat: every case in them is decided and the session
signed off. Sessions from ``today`` on are still to come, so the demo shows chairs
and members packs to work on. Deterministic for a given random generator.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter

from panels.models import Ground, Outcome, PanelCase, PanelSession, SettingType
from panels.selectors import suggested_ground
from panels.services.decisions import DecisionInput, decision_record, session_sign_off
from panels.services.scheduling import panels_schedule
from panels.services.sessions import SessionDetails, member_seat, session_create
from phasetransfer.allocation.selectors import latest_run
from phasetransfer.consultations.selectors import programmes_offered
from phasetransfer.core import clock
from phasetransfer.core.workdays import is_working_day
from phasetransfer.models import Case, CaseState, Phase, Round, Setting, User, serving_phase

PLACES = {
    "North": "Gravesend Civic Centre",
    "East": "Canterbury Council Offices",
    "South": "Ashford Gateway",
    "West": "Sessions House, Maidstone",
}


def demo_sessions(
    *,
    round_: Round,
    chair: User,
    members: list[User],
    spans: list[tuple[dt.date, dt.date]],
    rng: random.Random,
    per_session: int = 35,
) -> list[PanelSession]:
    """Enough sessions per area for its proposed cases, shared out over the spans of days."""
    counts = Counter(
        Case.objects.filter(round=round_, state=CaseState.PROPOSED).values_list(
            "send_area", flat=True
        )
    )
    sessions = []
    taken: set[tuple[str, dt.date, int]] = set()
    for area in sorted(a for a in counts if a in PLACES):
        needed = max(math.ceil(counts[area] / per_session) + 1, len(spans))
        for index in range(needed):
            first_day, last_day = spans[index % len(spans)]
            share = index // len(spans) / math.ceil(needed / len(spans))
            day = first_day + dt.timedelta(days=round_down(share * (last_day - first_day).days))
            hour = 10 if index % 2 else 14
            # Panels sit on working days, and one area's panel once at a time.
            while not is_working_day(day) or (area, day, hour) in taken:
                if is_working_day(day) and hour == 10:
                    hour = 14
                else:
                    day, hour = day + dt.timedelta(days=1), 10
            taken.add((area, day, hour))
            starts = dt.datetime.combine(day, dt.time(hour), tzinfo=clock.LONDON)
            session = session_create(
                round_=round_,
                details=SessionDetails(
                    send_area=area,
                    starts_at=starts,
                    place=PLACES[area],
                    online_link="",
                    chair=chair,
                    case_limit=per_session + 5,
                ),
            )
            for member in rng.sample(members, k=min(3, len(members))):
                school = _member_school(area, round_.phase, rng)
                member_seat(session=session, user=member, school=school, role_title="Head teacher")
            sessions.append(session)
    return sessions


def round_down(value: float) -> int:
    return int(math.floor(value))


def _member_school(area: str, phase: str, rng: random.Random) -> Setting | None:
    """A school of the area that takes the round's phase: a post-16 panel is of people from
    schools and colleges with sixth forms, not primary head teachers."""
    from phasetransfer.core import geo

    schools = [
        s
        for s in Setting.objects.filter(serving_phase(phase), is_synthetic=False).order_by("urn")
        if geo.area_of(s.postcode) == area
    ]
    return rng.choice(schools) if schools else None


def _decision_for(panel_case: PanelCase, rng: random.Random) -> DecisionInput:
    proposal = panel_case.proposal
    roll = rng.random()
    if proposal is None or proposal.setting is None or roll < 0.04:
        return DecisionInput(
            outcome=Outcome.TYPE_ONLY,
            setting_type=SettingType.SPECIAL,
            ground=Ground.UNSUITABLE,
            reasons="No setting consulted can meet the needs; a special school will be named.",
        )
    if proposal.preference_rank == 1:
        return _conditional(panel_case, proposal.setting, rng) or DecisionInput(
            outcome=Outcome.AGREE
        )
    reason = proposal.reasons[0] if proposal.reasons else {}
    # As the decision form suggests it; "resources" where the reason suggests none.
    ground = suggested_ground(proposal.reasons) or Ground.RESOURCES
    return DecisionInput(
        outcome=Outcome.AGREE,
        ground=ground,
        reasons=reason.get("text") or "The proposed setting meets the child's needs.",
    )


# Of the post-16 cases whose first preference is a college that gave programmes with entry
# requirements, the share the demo's panels offer conditionally (the rest wait for no one:
# their offer names the setting alone, as before).
CONDITIONAL_SHARE = 0.6


def _conditional(
    panel_case: PanelCase, setting: Setting, rng: random.Random
) -> DecisionInput | None:
    """A conditional offer at the proposed college, as a post-16 panel makes one: its first
    programme with entry requirements if they are met, otherwise the next one it offered;
    now and then the other branch is the family's next college instead (so results day
    frees a place somewhere else)."""
    if panel_case.case.round.phase != Phase.POST16 or rng.random() >= CONDITIONAL_SHARE:
        return None
    case = panel_case.case
    programmes = [p for p in programmes_offered(case, setting) if p.can_meet_need]
    demanding = [p for p in programmes if p.entry_requirements]
    if not demanding:
        return None
    met = demanding[0]
    rest = [p for p in programmes if p.position > met.position]
    elsewhere = _next_college(panel_case, setting) if rng.random() < ELSEWHERE_SHARE else None
    if elsewhere is not None:
        other, programme = elsewhere
        return DecisionInput(
            outcome=Outcome.CONDITIONAL,
            setting=setting,
            programme=met.name,
            condition_from_programme=True,
            otherwise_setting=other,
            otherwise_programme=programme,
            likely_met=rng.random() < 0.7,
            ground=Ground.UNSUITABLE,
            reasons=(
                f"{setting.name} can meet the young person's needs on {met.name} only; if the "
                f"entry requirements are not met, {other.name}, the family's next preference, "
                "can meet them."
            ),
        )
    if not rest:
        return None
    return DecisionInput(
        outcome=Outcome.CONDITIONAL,
        setting=setting,
        programme=met.name,
        condition_from_programme=True,
        otherwise_setting=setting,
        otherwise_programme=rest[0].name,
        likely_met=rng.random() < 0.7,
        reasons=(
            f"{setting.name} can meet the young person's needs on both programmes; which one "
            "depends on the results in August."
        ),
    )


# Of the demo's conditional offers, the share whose other branch is another college.
ELSEWHERE_SHARE = 0.25


def _next_college(panel_case: PanelCase, first: Setting) -> tuple[Setting, str] | None:
    """The family's next preferred setting with a programme that can meet the need."""
    for preference in panel_case.case.preferences.select_related("setting").order_by("rank"):
        other = preference.setting
        if other is None or other.pk == first.pk:
            continue
        for programme in programmes_offered(panel_case.case, other):
            if programme.can_meet_need:
                return other, programme.name
    return None


def _sat_yesterday(sessions: list[PanelSession], today: dt.date) -> PanelSession | None:
    """One session moved to the last working day before ``today``: it has sat, and its chair
    has its decisions to record and the session to sign off (the chair's day in the demo)."""
    to_come = [s for s in sessions if s.starts_at.astimezone(clock.LONDON).date() > today]
    if not to_come:
        return None
    session = min(to_come, key=lambda s: s.starts_at)
    day = today - dt.timedelta(days=1)
    while not is_working_day(day):
        day -= dt.timedelta(days=1)
    session.starts_at = dt.datetime.combine(day, dt.time(10), tzinfo=clock.LONDON)
    session.save(update_fields=["starts_at"])
    return session


def demo_decide(
    *,
    round_: Round,
    chair: User,
    before: dt.datetime,
    rng: random.Random,
    leave: PanelSession | None = None,
) -> int:
    """Decide every case of the sessions that sat before ``before`` (but ``leave``), then
    sign them off."""
    decided = 0
    sessions = PanelSession.objects.filter(round=round_, starts_at__lt=before).order_by("starts_at")
    if leave is not None:
        sessions = sessions.exclude(pk=leave.pk)
    for session in sessions:
        sitting = session.starts_at + dt.timedelta(hours=1)
        live = PanelCase.objects.filter(session=session, removed_at__isnull=True).select_related(
            "case"
        )
        for panel_case in live.order_by("case__reference"):
            decision_record(
                panel_case=panel_case,
                data=_decision_for(panel_case, rng),
                actor=chair,
                now=sitting,
            )
            decided += 1
        session_sign_off(session=session, actor=chair, now=sitting + dt.timedelta(hours=3))
    return decided


def demo_panels(
    *,
    round_: Round,
    chair: User,
    members: list[User],
    today: dt.date,
    rng: random.Random,
    all_decided: bool,
) -> dict[str, int]:
    """Sessions from the allocation onwards; all past (decided) or straddling today."""
    run = latest_run(round_)
    start = (run.requested_at if run else clock.now()).astimezone(clock.LONDON).date()
    sat = (start + dt.timedelta(days=3), today - dt.timedelta(days=2))
    to_come = (today + dt.timedelta(days=3), today + dt.timedelta(days=20))
    spans = [sat] if all_decided else [sat, to_come]
    sessions = demo_sessions(round_=round_, chair=chair, members=members, spans=spans, rng=rng)
    unsigned = None if all_decided else _sat_yesterday(sessions, today)
    scheduled_at = dt.datetime.combine(
        start + dt.timedelta(days=1), dt.time(9), tzinfo=clock.LONDON
    )
    report = panels_schedule(round_=round_, actor=chair, now=scheduled_at)
    before = dt.datetime.combine(today, dt.time(0), tzinfo=clock.LONDON)
    decided = demo_decide(round_=round_, chair=chair, before=before, rng=rng, leave=unsigned)
    return {"scheduled": report.scheduled, "unplaced": len(report.unplaced), "decided": decided}
