"""Read queries for the progress board and the workload page.

Staff roles read every case (``phasetransfer.coordination.views`` checks the role);
rows are computed in Python from a handful of queries per round (about 1,400 cases;
panels' and offers' providers add one each for panel dates, releases, mediations and
appeals), so the HTML board, its CSV export and the API apply exactly the same rules.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from phasetransfer.consultations.selectors import consultations_live
from phasetransfer.coordination.milestones import (
    BOARD_STAGES,
    PRESSING,
    STATUS_ORDER,
    BoardStage,
    CaseFacts,
    Milestone,
    MilestoneKind,
    RoundFacts,
    Status,
    action_for,
    next_milestone,
    risk_reason,
    stage_of_case,
    status_of,
)
from phasetransfer.coordination.providers import (
    AppealRecord,
    MediationRecord,
    appeals,
    latest_releases,
    mediations,
    panel_dates,
    releases,
)
from phasetransfer.core import clock
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, ConsultationStatus, Round, User

UNASSIGNED = "none"  # the caseworker filter's value for cases nobody holds


@dataclass(frozen=True)
class ProgressRow:
    case_id: int
    reference: str
    round_id: int
    child_name: str
    is_synthetic: bool
    caseworker_id: int | None
    caseworker_name: str
    send_area: str
    district: str
    state: str
    stage: BoardStage
    milestone: Milestone | None
    status: Status
    risk: str  # why it is at risk this week, in words; "" when it is not
    panel_at: dt.datetime | None

    @property
    def at_risk(self) -> bool:
        return bool(self.risk)

    @property
    def due(self) -> dt.datetime | None:
        return self.milestone.due if self.milestone else None

    def sort_key(self) -> tuple[int, dt.datetime, str]:
        """Most urgent first: by status, then the earliest due, then the case reference."""
        latest = dt.datetime.max.replace(tzinfo=dt.UTC)
        return (STATUS_ORDER[self.status], self.due or latest, self.reference)


@dataclass(frozen=True)
class Filters:
    """The board's filters, as parsed from GET parameters (see ``forms.BoardFilterForm``)."""

    area: str = ""
    district: str = ""
    caseworker: str = ""  # a user id, or UNASSIGNED
    stage: str = ""
    status: str = ""
    at_risk: bool = False

    def keep(self, row: ProgressRow) -> bool:
        checks = (
            not self.area or row.send_area == self.area,
            not self.district or row.district == self.district,
            not self.caseworker or _caseworker_key(row.caseworker_id) == self.caseworker,
            not self.stage or row.stage == self.stage,
            not self.status or row.status == self.status,
            not self.at_risk or row.at_risk,
        )
        return all(checks)


def _caseworker_key(user_id: int | None) -> str:
    return UNASSIGNED if user_id is None else str(user_id)


def _live_consultations_due(scope: Q) -> dict[int, dt.datetime]:
    """case id -> the latest ``due_at`` of its live consultations, for cases with one pending.

    Live: not replaced by a re-send and not withdrawn (as the panel scheduler reads them).
    """
    rows = (
        consultations_live()
        .filter(scope)
        .values("case_id")
        .annotate(
            latest=Max("due_at"),
            pending=Count("id", filter=Q(status=ConsultationStatus.PENDING)),
        )
        .order_by()
    )
    return {row["case_id"]: row["latest"] for row in rows if row["pending"]}


_FIELDS = (
    "pk",
    "reference",
    "round_id",
    "state",
    "send_area",
    "district",
    "caseworker_id",
    "caseworker__full_name",
    "caseworker__email",
    "child__first_name",
    "child__last_name",
    "child__is_synthetic",
)


@dataclass(frozen=True)
class AfterOffer:
    """What offers says about a round's cases after offer day, by case id."""

    mediations: dict[int, list[MediationRecord]] = field(default_factory=dict)
    appeals: dict[int, list[AppealRecord]] = field(default_factory=dict)
    school_named: dict[int, bool] = field(default_factory=dict)

    @classmethod
    def of(cls, round_: Round) -> AfterOffer:
        """Three provider calls for the whole round (one query each)."""
        by_mediation: dict[int, list[MediationRecord]] = defaultdict(list)
        for mediation in mediations(round_):
            by_mediation[mediation.case_id].append(mediation)
        by_appeal: dict[int, list[AppealRecord]] = defaultdict(list)
        for appeal in appeals(round_):
            by_appeal[appeal.case_id].append(appeal)
        latest = latest_releases(releases(round_))
        return cls(
            mediations=dict(by_mediation),
            appeals=dict(by_appeal),
            school_named={case_id: r.names_setting for case_id, r in latest.items()},
        )

    def update(self, other: AfterOffer) -> None:
        self.mediations.update(other.mediations)
        self.appeals.update(other.appeals)
        self.school_named.update(other.school_named)


def _row(
    values: dict[str, Any],
    round_facts: RoundFacts,
    consultations_due: dict[int, dt.datetime],
    panels: dict[int, dt.datetime],
    after: AfterOffer,
    now: dt.datetime,
) -> ProgressRow:
    case_id: int = values["pk"]
    facts = CaseFacts(
        state=values["state"],
        consultations_due=consultations_due.get(case_id),
        panel_at=panels.get(case_id),
        mediations=after.mediations.get(case_id, ()),
        appeals=after.appeals.get(case_id, ()),
        school_named=after.school_named.get(case_id),
    )
    milestone = next_milestone(facts, round_facts, now)
    status = status_of(milestone, now)
    return ProgressRow(
        case_id=case_id,
        reference=values["reference"],
        round_id=values["round_id"],
        child_name=f"{values['child__first_name']} {values['child__last_name']}",
        is_synthetic=bool(values["child__is_synthetic"]),
        caseworker_id=values["caseworker_id"],
        caseworker_name=values["caseworker__full_name"] or values["caseworker__email"] or "",
        send_area=values["send_area"],
        district=values["district"],
        state=facts.state,
        stage=stage_of_case(facts, milestone),
        milestone=milestone,
        status=status,
        risk=risk_reason(facts, round_facts, milestone, status, now),
        panel_at=facts.panel_at,
    )


def progress_of(cases: QuerySet[Case], *, now: dt.datetime) -> list[ProgressRow]:
    """Progress rows for ``cases`` (any rounds), in the queryset's order."""
    values = list(cases.values(*_FIELDS))
    round_ids = {v["round_id"] for v in values}
    facts: dict[int, RoundFacts] = {}
    panels: dict[int, dt.datetime] = {}
    after = AfterOffer()
    for round_ in Round.objects.filter(pk__in=round_ids):
        facts[round_.pk] = RoundFacts.of(round_)
        panels.update(panel_dates(round_))
        after.update(AfterOffer.of(round_))
    due = _live_consultations_due(Q(case__in=cases.values("pk")))
    return [_row(v, facts[v["round_id"]], due, panels, after, now) for v in values]


def round_progress(*, round_: Round, now: dt.datetime) -> list[ProgressRow]:
    """Every case of the round with its stage, next milestone and status, most urgent first."""
    facts = RoundFacts.of(round_)
    panels = dict(panel_dates(round_))
    after = AfterOffer.of(round_)
    due = _live_consultations_due(Q(case__round=round_))
    values = Case.objects.filter(round=round_).values(*_FIELDS)
    rows = [_row(v, facts, due, panels, after, now) for v in values]
    return sorted(rows, key=ProgressRow.sort_key)


@dataclass(frozen=True)
class FilterOptions:
    areas: list[str]
    districts: list[str]
    caseworkers: list[tuple[str, str]]  # (value, label), UNASSIGNED last


def _distinct(cases: QuerySet[Case], field_name: str) -> list[str]:
    values = cases.exclude(**{field_name: ""}).values_list(field_name, flat=True).distinct()
    return sorted(set(values))


def filter_options(round_: Round) -> FilterOptions:
    cases = Case.objects.filter(round=round_)
    workers = User.objects.filter(
        Q(pk__in=cases.values("caseworker_id")) | Q(groups__name=Role.CASEWORKER.value)
    ).distinct()
    return FilterOptions(
        areas=_distinct(cases, "send_area"),
        districts=_distinct(cases, "district"),
        caseworkers=[(str(u.pk), str(u)) for u in _by_name(workers)] + [(UNASSIGNED, "Unassigned")],
    )


def _by_name(users: Iterable[User]) -> list[User]:
    return sorted(users, key=lambda u: (str(u).lower(), u.pk))


def assignable_caseworkers() -> list[User]:
    """Who may hold cases: active accounts with the caseworker role, and nobody else."""
    return _by_name(
        User.objects.filter(is_active=True, groups__name=Role.CASEWORKER.value).distinct()
    )


@dataclass
class WorkloadRow:
    caseworker_id: int | None
    label: str
    by_stage: dict[BoardStage, int] = field(default_factory=dict)
    total: int = 0
    overdue: int = 0
    due_soon: int = 0
    at_risk: int = 0

    @property
    def filter_value(self) -> str:
        return _caseworker_key(self.caseworker_id)

    def stage_counts(self, stages: list[BoardStage]) -> list[int]:
        return [self.by_stage.get(stage, 0) for stage in stages]


def workload(*, rows: list[ProgressRow], caseworkers: list[User]) -> list[WorkloadRow]:
    """Cases per caseworker by stage, with overdue and at-risk counts; unassigned last.

    Every caseworker is listed, with none too, so a co-ordinator can see who has room.
    """
    table: dict[int | None, WorkloadRow] = {
        u.pk: WorkloadRow(caseworker_id=u.pk, label=str(u)) for u in caseworkers
    }
    counts: dict[int | None, dict[BoardStage, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        line = table.setdefault(
            row.caseworker_id,
            WorkloadRow(
                caseworker_id=row.caseworker_id,
                label=row.caseworker_name if row.caseworker_id else "Unassigned",
            ),
        )
        counts[row.caseworker_id][row.stage] += 1
        line.total += 1
        line.overdue += row.status == Status.OVERDUE
        line.due_soon += row.status == Status.DUE_SOON
        line.at_risk += row.at_risk
    for key, by_stage in counts.items():
        table[key].by_stage = dict(by_stage)
    assigned = sorted(
        (r for r in table.values() if r.caseworker_id is not None),
        key=lambda r: (r.label.lower(), r.caseworker_id),
    )
    unassigned = [table[None]] if None in table else []
    return assigned + unassigned


def stages_present(rows: list[ProgressRow]) -> list[BoardStage]:
    """The stages that have at least one case, in pipeline order."""
    seen = {row.stage for row in rows}
    return [stage for stage in BOARD_STAGES if stage in seen]


@dataclass(frozen=True)
class WeekLine:
    """Cases of one stage whose next milestone of one kind falls on one day: a line of the
    co-ordinator's week, with what to do about it."""

    due: dt.date  # the London day
    stage: BoardStage
    milestone: MilestoneKind
    status: Status
    cases: int
    at_risk: int
    action: str


def week_lines(rows: Iterable[ProgressRow]) -> list[WeekLine]:
    """What a co-ordinator acts on this week: every case overdue, due within 7 days or at
    risk, grouped by stage, milestone and day, what is due first at the top."""
    groups: dict[tuple[dt.date, BoardStage, MilestoneKind, Status], list[ProgressRow]] = (
        defaultdict(list)
    )
    for row in rows:
        if row.milestone is None or not (row.status in PRESSING or row.at_risk):
            continue
        day = row.milestone.due.astimezone(clock.LONDON).date()
        groups[(day, row.stage, row.milestone.kind, row.status)].append(row)
    lines = [
        WeekLine(
            due=day,
            stage=stage,
            milestone=kind,
            status=status,
            cases=len(members),
            at_risk=sum(member.at_risk for member in members),
            action=action_for(stage, kind, overdue=status == Status.OVERDUE),
        )
        for (day, stage, kind, status), members in groups.items()
    ]
    return sorted(lines, key=lambda line: (line.due, BOARD_STAGES.index(line.stage)))
