"""A round's figures, and the same figures across the years of one phase.

Definitions (docs/coordination.md):

* **Cohort**: the round's cases, less withdrawn ones.
* **Answered by the deadline**: cases whose decision was released (``state.release_offer``
  in the audit trail) before the statutory deadline ended, as a share of the cohort.
  Kent reports 92% for Year 6 -> 7 and 70% for post-16; the goal is 100%.
* **First / any preference**: of cohort cases with a final panel decision and at least one
  preference, those whose decision names their first / any preferred setting. A decision
  naming only a type of setting names no preference.
* **Consultations overdue**: pending at or after their due moment, as on the
  consultations pages (``selectors_consultations.consultations_overdue``).
* **Appeals**: cases in the *appealed* state, as a share of released ones (Kent: 9.7%).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Min

from phasetransfer.cohort.selectors import engagement_by_date
from phasetransfer.consultations.selectors import consultations_overdue
from phasetransfer.coordination import charts
from phasetransfer.coordination.milestones import Stage, Status, decided_settings
from phasetransfer.coordination.selectors import round_progress
from phasetransfer.core import clock
from phasetransfer.models import AuditEvent, Case, CaseState, Preference, Round

RELEASED_STATES = (CaseState.RELEASED, CaseState.ACCEPTED, CaseState.APPEALED)
# Kent County Council, SEN update to Scrutiny Committee, December 2024 (docs/coordination.md).
KENT_ANSWERED = {"secondary": 0.92, "post16": 0.70}
KENT_APPEAL_RATE = 120 / 1236


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class RoundFigures:
    round: Round
    cohort: int
    withdrawn: int
    engaged_by_close: int
    answered_by_deadline: int
    released: int
    decided_with_preferences: int
    first_preference: int
    any_preference: int
    appeals: int
    consultations_overdue: int

    @property
    def engaged_by_close_share(self) -> float | None:
        return _share(self.engaged_by_close, self.cohort)

    @property
    def answered_share(self) -> float | None:
        return _share(self.answered_by_deadline, self.cohort)

    @property
    def first_preference_share(self) -> float | None:
        return _share(self.first_preference, self.decided_with_preferences)

    @property
    def any_preference_share(self) -> float | None:
        return _share(self.any_preference, self.decided_with_preferences)

    @property
    def appeal_share(self) -> float | None:
        return _share(self.appeals, self.released)

    @property
    def kent_answered(self) -> float | None:
        return KENT_ANSWERED.get(self.round.phase)


def _preference_matches(round_: Round, live: set[int]) -> tuple[int, int, int]:
    """(decided cases with preferences, decided as first preference, decided as any)."""
    decisions = {k: v for k, v in decided_settings(round_).items() if k in live}
    ranked: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    for case_id, rank, setting_id in Preference.objects.filter(
        case_id__in=list(decisions)
    ).values_list("case_id", "rank", "setting_id"):
        ranked[case_id].append((rank, setting_id))
    first = any_ = 0
    for case_id, prefs in ranked.items():
        named = decisions[case_id]
        prefs.sort()
        first += named is not None and prefs[0][1] == named
        any_ += named is not None and any(s == named for _, s in prefs)
    return len(ranked), first, any_


def round_figures(*, round_: Round, now: dt.datetime) -> RoundFigures:
    cases = Case.objects.filter(round=round_)
    live_cases = cases.exclude(state=CaseState.WITHDRAWN)
    live = set(live_cases.values_list("pk", flat=True))
    engaged = (
        live_cases.annotate(first=Min("submissions__submitted_at"))
        .filter(first__lte=round_.preference_closes_at)
        .count()
    )
    answered = (
        AuditEvent.objects.filter(
            case__in=live_cases,
            action="state.release_offer",
            at__lt=round_.statutory_deadline_at,
        )
        .values("case_id")
        .distinct()
        .count()
    )
    decided, first, any_ = _preference_matches(round_, live)
    return RoundFigures(
        round=round_,
        cohort=len(live),
        withdrawn=cases.filter(state=CaseState.WITHDRAWN).count(),
        engaged_by_close=engaged,
        answered_by_deadline=answered,
        released=live_cases.filter(state__in=RELEASED_STATES).count(),
        decided_with_preferences=decided,
        first_preference=first,
        any_preference=any_,
        appeals=live_cases.filter(state=CaseState.APPEALED).count(),
        consultations_overdue=consultations_overdue(now=now, round_=round_).count(),
    )


def year_on_year(*, round_: Round, now: dt.datetime) -> list[RoundFigures]:
    """The same figures for every round of the same phase (and LA), oldest first."""
    rounds = Round.objects.filter(phase=round_.phase, la_code=round_.la_code).order_by("entry_year")
    return [round_figures(round_=r, now=now) for r in rounds]


def _engagement_chart(round_: Round, now: dt.datetime) -> tuple[charts.LineChart | None, list]:
    days = engagement_by_date(round_, today=now.astimezone(clock.LONDON).date())
    if len(days) < 2:
        return None, days
    closes = round_.preference_closes_at.astimezone(clock.LONDON).date()
    last = len(days) - 1
    labels = {0: f"{days[0].day:%-d %b}", last: f"{days[-1].day:%-d %b}"}
    markers = {i: "Window closes" for i, d in enumerate(days) if d.day == closes}
    chart = charts.share_line([d.share for d in days], x_labels=labels, markers=markers)
    return chart, days


STATUS_COLOURS = {
    Status.OVERDUE.label: charts.RED,
    Status.DUE_SOON.label: charts.ORANGE,
    Status.ON_TRACK.label: charts.GREEN,
    Status.CLOSED.label: charts.GREY,
}


def figures_page(*, round_: Round, now: dt.datetime) -> dict[str, object]:
    """Everything the figures page shows: numbers, charts and their tables."""
    # Every round of the phase, this one included: its figures are taken from the list.
    history = year_on_year(round_=round_, now=now)
    figures = next(r for r in history if r.round.pk == round_.pk)
    rows = round_progress(round_=round_, now=now)
    by_stage = Counter(row.stage for row in rows)
    by_status = Counter(row.status for row in rows)
    stage_items = [(s.label, by_stage[s], str(by_stage[s])) for s in Stage if by_stage[s]]
    status_items = [(s.label, by_status[s], str(by_status[s])) for s in Status]
    most = max([n for _, n, _ in stage_items + status_items] or [0])
    answered_items = [
        (
            f"Entry {r.round.entry_year}",
            r.answered_share or 0.0,
            f"{(r.answered_share or 0) * 100:.0f}%",
        )
        for r in history
    ]
    references = [(1.0, "Goal 100%")]
    if figures.kent_answered is not None:
        references.append((figures.kent_answered, f"Kent {figures.kent_answered:.0%}"))
    engagement_chart, days = _engagement_chart(round_, now)
    return {
        "round": round_,
        "figures": figures,
        "history": history,
        "engagement_chart": engagement_chart,
        "engagement_days": days,
        "stage_chart": charts.bars(stage_items, maximum=most),
        "stage_items": stage_items,
        "status_chart": charts.bars(status_items, maximum=most, colours=STATUS_COLOURS),
        "status_items": status_items,
        "answered_chart": charts.bars(answered_items, maximum=1.0, references=references),
        "kent_appeal_rate": KENT_APPEAL_RATE,
        "window_open": now < round_.preference_closes_at,
        "now": now,
    }
