"""A round's figures, and the same figures across the years of one phase.

Definitions (docs/coordination.md):

* **Cohort**: the round's cases, less withdrawn ones.
* **Answered by the deadline**: cases whose decision was released (``state.release_offer``
  in the audit trail) before the statutory deadline ended, as a share of the cohort.
  Kent reports 92% for Year 6 -> 7 and 70% for post-16; the goal is 100%.
* **Placed by the start of the school year**: cohort cases whose latest release published
  on or before 1 September of the entry year (before the end of that day, London) is an
  offer naming a setting (a type of setting only, or "no decision yet", is not a place).
  Before that day, the figure is "placed so far". Kent: 98% (Year 7), 88% (post-16).
* **First / any preference**: of cohort cases with a final panel decision and at least one
  preference, those whose decision names their first / any preferred setting. A decision
  naming only a type of setting names no preference.
* **Consultations overdue**: pending at or after their due moment, as on the
  consultations pages (``selectors_consultations.consultations_overdue``).
* **Appeals (appealed state)**: cases in the *appealed* state (mediation asked for, an
  appeal intended or lodged), as a share of released ones.
* **Appeals lodged**: SEND Tribunal appeals recorded for cohort cases, as a rate of the
  cohort (Kent: 120 of 1,236, 9.7%), with the share asking for an independent setting
  (Kent: 47 of 120, 39%) and their outcomes.
* **Mediations**: recorded for cohort cases; of those concluded (agreed, not agreed,
  withdrawn), the share that changed the decision.

Post-16 conditional offers (issue 19; computed for every round, shown when a round has any).
A conditional offer is made when a published release carries a conditional decision
(:class:`~phasetransfer.coordination.providers.ConditionalRecord`); it stays open until a
decision settles it (met or not met) or replaces it unsettled (a mediation, a tribunal).

* **Answered by the deadline, after** (the figure above): a conditional offer counts as
  an answer, because the family holds an offer naming each branch and its condition.
* **Answered by the deadline, before**: the same rule with conditional offers not counting,
  as the old process would have reported it when colleges waited for exam results: the
  answered cases less those answered by a conditional offer (released before the deadline,
  whenever it was later settled: without it the young person would have waited for results;
  one replaced before the deadline by a decision that did not settle it was answered by that).
* **Answered by the deadline, of decided cases**: cohort cases with a current final panel
  decision (a setting, a type of setting, or a conditional offer, released or not) whose
  decision was released by the deadline (the rule above), as a share of those decided
  cases. The issue's goal: 100% for post-16.
* **Conditional offers made**: cohort cases with one (``awaiting release``: the current
  decision is conditional, not yet released). **Settled on results day**: settled by a
  decision taken on the round's results day (London date); **settled since**: after it
  (without a results day, neither; settled counts them all). **Replaced**: changed by a
  decision that did not settle them.
* **Still open by the start of term**: made before the end of 1 September of the entry
  year (London) and neither settled nor replaced by then. Before that moment the figure is
  **still open so far** (as at now).

Releases, mediations and appeals belong to offers: they come through the providers
registered in :mod:`phasetransfer.coordination.providers`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Min

from phasetransfer.cohort.selectors import engagement_by_date
from phasetransfer.consultations.selectors import consultations_overdue
from phasetransfer.coordination.milestones import BOARD_STAGES, Status, start_of_school_year
from phasetransfer.coordination.providers import (
    AppealRecord,
    AppealResult,
    ConditionalRecord,
    MediationRecord,
    MediationResult,
    SettledResult,
    appeals,
    conditional_offers,
    decided_settings,
    latest_releases,
    mediations,
    releases,
)
from phasetransfer.coordination.selectors import round_progress
from phasetransfer.core import charts, clock
from phasetransfer.models import AuditEvent, Case, CaseState, Preference, Round

RELEASED_STATES = (CaseState.RELEASED, CaseState.ACCEPTED, CaseState.APPEALED)
# Kent County Council, SEN update to Scrutiny Committee, December 2024 (docs/coordination.md).
KENT_ANSWERED = {"secondary": 0.92, "post16": 0.70}
KENT_PLACED = {"secondary": 0.98, "post16": 0.88}
KENT_APPEAL_RATE = 120 / 1236
KENT_INDEPENDENT_SHARE = 47 / 120
MEDIATION_CONCLUDED = (
    MediationResult.AGREED,
    MediationResult.NOT_AGREED,
    MediationResult.WITHDRAWN,
)
MEDIATION_LABELS = {
    MediationResult.AGREED: "Agreed: decision changed",
    MediationResult.AWAITING_APPROVAL: "Agreed: awaiting approval",
    MediationResult.NOT_AGREED: "Not agreed: certificate",
    MediationResult.WITHDRAWN: "Withdrawn by the family",
    MediationResult.PENDING: "Not concluded yet",
}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class AfterOfferFigures:
    """What happened after offer day: places named, appeals and mediations."""

    school_year_starts_at: dt.datetime
    placed_final: bool  # False: the school year has not started, "placed so far"
    told: int  # cohort cases given at least one release
    placed: int
    appeals_lodged: int
    appeals_independent: int
    appeal_outcomes: tuple[tuple[AppealResult, int], ...]
    mediations: int
    mediation_outcomes: tuple[tuple[MediationResult, int], ...]
    mediations_changed: int

    @property
    def school_year_starts_on(self) -> dt.date:
        """1 September: the day whose end ``school_year_starts_at`` is."""
        return (self.school_year_starts_at.astimezone(clock.LONDON) - dt.timedelta(days=1)).date()

    @property
    def mediations_concluded(self) -> int:
        return sum(n for result, n in self.mediation_outcomes if result in MEDIATION_CONCLUDED)

    @property
    def mediations_open(self) -> int:
        return self.mediations - self.mediations_concluded

    @property
    def mediation_changed_share(self) -> float | None:
        return _share(self.mediations_changed, self.mediations_concluded)

    @property
    def independent_share(self) -> float | None:
        return _share(self.appeals_independent, self.appeals_lodged)

    @property
    def anything(self) -> bool:
        """Offer day has left something to show: a release, an appeal or a mediation."""
        return bool(self.told or self.appeals_lodged or self.mediations)


@dataclass(frozen=True)
class ConditionalFigures:
    """Post-16 conditional offers: made, settled, still open (definitions above)."""

    results_day: dt.date | None
    school_year_starts_at: dt.datetime
    open_final: bool  # False: the school year has not started, "still open so far"
    made: int
    awaiting_release: int
    # Answered cases whose offer was still conditional when the deadline ended.
    answered_conditionally: int
    met: int
    not_met: int
    settled_on_results_day: int
    settled_since_results_day: int
    replaced: int
    still_open: int

    @property
    def settled(self) -> int:
        return self.met + self.not_met

    @property
    def anything(self) -> bool:
        """The round has a conditional offer to show, made or decided."""
        return bool(self.made or self.awaiting_release)

    @property
    def settled_on_results_day_share(self) -> float | None:
        return _share(self.settled_on_results_day, self.made)

    @property
    def still_open_share(self) -> float | None:
        return _share(self.still_open, self.made)


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
    after: AfterOfferFigures
    decided: int  # cohort cases with a current final decision (a conditional offer too)
    answered_decided: int  # of those, answered by the deadline
    conditional: ConditionalFigures

    @property
    def engaged_by_close_share(self) -> float | None:
        return _share(self.engaged_by_close, self.cohort)

    @property
    def answered_share(self) -> float | None:
        """After: a conditional offer counts as an answer."""
        return _share(self.answered_by_deadline, self.cohort)

    @property
    def answered_without_conditional(self) -> int:
        """Before: answered less the answers still conditional at the deadline."""
        return self.answered_by_deadline - self.conditional.answered_conditionally

    @property
    def answered_without_conditional_share(self) -> float | None:
        return _share(self.answered_without_conditional, self.cohort)

    @property
    def answered_decided_share(self) -> float | None:
        return _share(self.answered_decided, self.decided)

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

    @property
    def placed_share(self) -> float | None:
        return _share(self.after.placed, self.cohort)

    @property
    def remaining(self) -> int:
        """Cohort cases still being found a place (no setting named yet)."""
        return self.cohort - self.after.placed

    @property
    def kent_placed(self) -> float | None:
        return KENT_PLACED.get(self.round.phase)

    @property
    def appeal_rate(self) -> float | None:
        """Appeals lodged as a rate of the cohort (Kent: 9.7%)."""
        return _share(self.after.appeals_lodged, self.cohort)


def after_offer_figures(*, round_: Round, live: set[int], now: dt.datetime) -> AfterOfferFigures:
    """Placed, appeals and mediations of the cohort cases ``live``, from offers' providers."""
    starts = start_of_school_year(round_.entry_year)
    published = latest_releases(releases(round_), before=starts)
    told = {k for k in published if k in live}
    appeal_rows: list[AppealRecord] = [a for a in appeals(round_) if a.case_id in live]
    mediation_rows: list[MediationRecord] = [m for m in mediations(round_) if m.case_id in live]
    by_appeal = Counter(a.outcome for a in appeal_rows)
    by_mediation = Counter(m.outcome for m in mediation_rows)
    return AfterOfferFigures(
        school_year_starts_at=starts,
        placed_final=now >= starts,
        told=len(told),
        placed=sum(published[k].names_setting for k in told),
        appeals_lodged=len(appeal_rows),
        appeals_independent=sum(a.independent_requested for a in appeal_rows),
        appeal_outcomes=tuple((result, by_appeal[result]) for result in AppealResult),
        mediations=len(mediation_rows),
        mediation_outcomes=tuple((result, by_mediation[result]) for result in MediationResult),
        mediations_changed=sum(m.changed_decision for m in mediation_rows),
    )


def conditional_figures(
    *,
    round_: Round,
    records: list[ConditionalRecord],
    answered: set[int],
    now: dt.datetime,
) -> ConditionalFigures:
    """The conditional offers of cohort cases (``records``, already limited to them)."""
    starts = start_of_school_year(round_.entry_year)
    made = [r for r in records if r.first_released_at is not None]

    results_day = round_.results_day
    deadline = round_.statutory_deadline_at
    settled_days = [
        r.settled_at.astimezone(clock.LONDON).date() for r in made if r.settled_at is not None
    ]
    return ConditionalFigures(
        results_day=results_day,
        school_year_starts_at=starts,
        open_final=now >= starts,
        made=len(made),
        awaiting_release=len(records) - len(made),
        # A conditional offer made by the deadline is an answer only this process gives:
        # the old one waited for results, however early they came. One replaced before the
        # deadline by a decision that did not settle it (a mediation) was answered by that.
        answered_conditionally=sum(
            r.case_id in answered
            and r.first_released_at is not None
            and r.first_released_at < deadline
            and not (r.replaced_at is not None and r.replaced_at < deadline)
            for r in made
        ),
        met=sum(r.settled == SettledResult.MET for r in made),
        not_met=sum(r.settled == SettledResult.NOT_MET for r in made),
        settled_on_results_day=sum(
            results_day is not None and d == results_day for d in settled_days
        ),
        settled_since_results_day=sum(
            results_day is not None and d > results_day for d in settled_days
        ),
        replaced=sum(r.replaced_at is not None for r in made),
        still_open=sum(r.open_at(min(now, starts)) for r in made),
    )


def _preference_matches(
    decisions: Mapping[int, int | None], live: set[int]
) -> tuple[int, int, int]:
    """(decided cases with preferences, decided as first preference, decided as any)."""
    decisions = {k: v for k, v in decisions.items() if k in live}
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
    answered = set(
        AuditEvent.objects.filter(
            case__in=live_cases,
            action="state.release_offer",
            at__lt=round_.statutory_deadline_at,
        ).values_list("case_id", flat=True)
    )
    settings_named = decided_settings(round_)
    with_preferences, first, any_ = _preference_matches(settings_named, live)
    conditional = [r for r in conditional_offers(round_) if r.case_id in live]
    # A current conditional decision is final, though panels' settings named leave it out.
    decided = {k for k in settings_named if k in live} | {
        r.case_id for r in conditional if r.closed_at is None
    }
    return RoundFigures(
        round=round_,
        cohort=len(live),
        withdrawn=cases.filter(state=CaseState.WITHDRAWN).count(),
        engaged_by_close=engaged,
        answered_by_deadline=len(answered),
        released=live_cases.filter(state__in=RELEASED_STATES).count(),
        decided_with_preferences=with_preferences,
        first_preference=first,
        any_preference=any_,
        appeals=live_cases.filter(state=CaseState.APPEALED).count(),
        consultations_overdue=consultations_overdue(now=now, round_=round_).count(),
        after=after_offer_figures(round_=round_, live=live, now=now),
        decided=len(decided),
        answered_decided=len(decided & answered),
        conditional=conditional_figures(
            round_=round_, records=conditional, answered=answered, now=now
        ),
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


def _percent(share: float | None, places: int = 0) -> str:
    return "-" if share is None else f"{share * 100:.{places}f}%"


def _year_on_year_charts(history: list[RoundFigures], figures: RoundFigures) -> dict[str, object]:
    """Answered by the deadline for every round; once any round has released something,
    placed by the start of the year and the appeal rate too. The year-on-year table holds
    their figures."""
    label = "Entry {}".format
    answered_items = [
        (label(r.round.entry_year), r.answered_share or 0.0, _percent(r.answered_share))
        for r in history
    ]
    references = [(1.0, "Goal 100%")]
    if figures.kent_answered is not None:
        references.append((figures.kent_answered, f"Kent {figures.kent_answered:.0%}"))
    found: dict[str, object] = {
        "answered_chart": charts.bars(answered_items, maximum=1.0, references=references)
    }
    if not any(r.after.anything for r in history):
        return found
    placed_items = [
        (label(r.round.entry_year), r.placed_share or 0.0, _percent(r.placed_share))
        for r in history
    ]
    placed_references = [(1.0, "Goal 100%")]
    if figures.kent_placed is not None:
        placed_references.append((figures.kent_placed, f"Kent {figures.kent_placed:.0%}"))
    rate_items = [
        (label(r.round.entry_year), r.appeal_rate or 0.0, _percent(r.appeal_rate, 1))
        for r in history
    ]
    highest = max([KENT_APPEAL_RATE, *(value for _, value, _ in rate_items)])
    found["placed_chart"] = charts.bars(placed_items, maximum=1.0, references=placed_references)
    found["appeal_rate_chart"] = charts.bars(
        rate_items,
        maximum=highest * 1.25,
        references=[(KENT_APPEAL_RATE, f"Kent {KENT_APPEAL_RATE:.1%}")],
    )
    return found


def _after_offer_charts(after: AfterOfferFigures) -> dict[str, object]:
    """This round's appeal outcomes and mediations, each with the items of its table."""
    outcome_items = [(r.label, n, str(n)) for r, n in after.appeal_outcomes]
    mediation_items = [(MEDIATION_LABELS[r], n, str(n)) for r, n in after.mediation_outcomes]
    most = max([n for _, n, _ in outcome_items + mediation_items] or [0])
    return {
        "outcome_items": outcome_items,
        "outcomes_chart": charts.bars(outcome_items, maximum=most),
        "mediation_items": mediation_items,
        "mediation_chart": charts.bars(mediation_items, maximum=most),
    }


def figures_page(*, round_: Round, now: dt.datetime) -> dict[str, object]:
    """Everything the figures page shows: numbers, charts and their tables."""
    # Every round of the phase, this one included: its figures are taken from the list.
    history = year_on_year(round_=round_, now=now)
    figures = next(r for r in history if r.round.pk == round_.pk)
    rows = round_progress(round_=round_, now=now)
    by_stage = Counter(row.stage for row in rows)
    by_status = Counter(row.status for row in rows)
    stage_items = [(s.label, by_stage[s], str(by_stage[s])) for s in BOARD_STAGES if by_stage[s]]
    status_items = [(s.label, by_status[s], str(by_status[s])) for s in Status]
    most = max([n for _, n, _ in stage_items + status_items] or [0])
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
        **_year_on_year_charts(history, figures),
        **(_after_offer_charts(figures.after) if figures.after.anything else {}),
        "kent_appeal_rate": KENT_APPEAL_RATE,
        "kent_independent_share": KENT_INDEPENDENT_SHARE,
        "window_open": now < round_.preference_closes_at,
        "now": now,
    }
