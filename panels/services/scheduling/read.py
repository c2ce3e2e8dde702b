"""Step 1: read the round, with no transaction and no lock."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Max, Q

from panels.conflicts import Interest, case_interests
from panels.models import Decision, Outcome, PanelCase, PanelMember, PanelSession
from panels.selectors import last_panel_day, settings_hosts_and_names
from panels.services.scheduling.report import PANEL_STATES
from phasetransfer.allocation.selectors import latest_run
from phasetransfer.consultations.selectors import consultations_live
from phasetransfer.core import clock
from phasetransfer.models import Case, CaseState, Preference, Proposal, Round


@dataclass
class CaseFacts:
    case: Case  # as read: its state and state_changed_at are re-checked at the write
    proposal_id: int | None = None
    proposal_setting_id: int | None = None
    has_proposal: bool = False
    due: dt.datetime | None = None
    deferred_after: dt.datetime | None = None
    interests: list[Interest] = field(default_factory=list)
    taken_from: tuple[int, int] | None = None  # rebuild: (panel case, session) it leaves


def proposals_of(round_: Round, case_ids: list[int]) -> dict[int, tuple[int, int | None]]:
    """case id -> (proposal id, proposed setting id) in the round's latest allocation run."""
    run = latest_run(round_)
    if run is None:
        return {}
    rows = Proposal.objects.filter(run=run, case_id__in=case_ids).values_list(
        "case_id", "pk", "setting_id"
    )
    return {case_id: (pk, setting_id) for case_id, pk, setting_id in rows}


def interests_of(case_ids: list[int], proposed: dict[int, int | None]) -> dict[int, list[Interest]]:
    """The settings involved in each case (``proposed``: case id -> proposed setting)."""
    preferences: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    for case_id, rank, setting_id in Preference.objects.filter(case_id__in=case_ids).values_list(
        "case_id", "rank", "setting_id"
    ):
        preferences[case_id].append((rank, setting_id))
    return {
        case_id: case_interests(
            proposal_setting_id=proposed.get(case_id), preferences=preferences[case_id]
        )
        for case_id in case_ids
    }


def _case_facts(round_: Round, cases: list[Case]) -> dict[int, CaseFacts]:
    facts = {case.pk: CaseFacts(case) for case in cases}
    ids = list(facts)
    for case_id, (pk, setting_id) in proposals_of(round_, ids).items():
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
    proposed = {case_id: fact.proposal_setting_id for case_id, fact in facts.items()}
    for case_id, interests in interests_of(ids, proposed).items():
        facts[case_id].interests = interests
    return facts


@dataclass
class Seat:
    member: PanelMember
    session_id: int
    site: frozenset[int]


@dataclass
class RoundData:
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
    round_: Round,
    now: dt.datetime,
    facts: dict[int, CaseFacts],
    last_day: dt.date,
    leaving: set[int],
) -> RoundData:
    """The sessions, and their loads without the placements in ``leaving`` (ended first)."""
    sessions = list(
        PanelSession.objects.filter(round=round_)
        .prefetch_related("members__user")
        .order_by("starts_at", "id")
    )
    loads: Counter[int] = Counter(
        session_id
        for pk, session_id in PanelCase.objects.filter(
            session__round=round_, removed_at=None
        ).values_list("pk", "session_id")
        if pk not in leaving
    )
    setting_ids = {i.setting_id for f in facts.values() for i in f.interests}
    setting_ids |= {m.school_id for s in sessions for m in s.members.all() if m.school_id}
    # conflict_reason names only the member's school and the case's settings, all in here.
    hosts, names = settings_hosts_and_names(setting_ids)
    cutoff = clock.end_of_day_in_london(last_day)
    return RoundData(round_, now, last_day, cutoff, sessions, loads, hosts, names)


@dataclass
class Snapshot:
    facts: dict[int, CaseFacts]  # the cases to place, by id
    data: RoundData


def read_round(round_: Round, *, rebuild: bool, now: dt.datetime) -> Snapshot:
    """Everything the solve needs, as the write would leave it: read with no lock.

    Stale placements and (with ``rebuild``) the undecided cases of open sessions are not
    ended here: the solve counts them as gone, and the write ends them, after checking.
    """
    last_day = last_panel_day(round_)  # reads (or makes) the round's panel settings once
    live = PanelCase.objects.filter(session__round=round_, removed_at=None)
    leaving = set(live.exclude(case__state__in=PANEL_STATES).values_list("pk", flat=True))
    movable: dict[int, tuple[int, int]] = {}
    if rebuild:
        rows = live.filter(
            session__signed_off_at=None,
            session__starts_at__gt=now,
            case__state=CaseState.AT_PANEL,
        ).values_list("case_id", "pk", "session_id")
        movable = {case_id: (pk, session_id) for case_id, pk, session_id in rows}
        leaving |= {pk for pk, _ in movable.values()}
    cases = list(
        Case.objects.filter(round=round_)
        .filter(Q(state=CaseState.PROPOSED) | Q(pk__in=list(movable)))
        .order_by("reference")
    )
    facts = _case_facts(round_, cases)
    for case_id, taken in movable.items():
        if case_id in facts:
            facts[case_id].taken_from = taken
    return Snapshot(facts, _round_data(round_, now, facts, last_day, leaving))
