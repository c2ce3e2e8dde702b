"""Results day: settling the round's post-16 conditional offers (issue 19).

A conditional offer (``Outcome.CONDITIONAL``) names one setting and programme if a condition
is met, otherwise another. On results day the service settles every one it can:

* the provider's word first (``ProviderConfirmation``): it confirmed the young person meets
  its entry requirements, or that they do not; it is the only way to settle a condition
  the provider must confirm, and it overrides results for any other, since the provider
  knows its own entry;
* otherwise the imported exam results (``ExamResult``), read against the structured
  condition (``phasetransfer.core.conditions.settle``): met, not met, or unsettled with the
  reason (no results yet, none for a subject the condition names).

A settled offer is a change of the decision (``decision_change``) naming the branch's
setting and programme, marked ``settled`` and carried out (the ground was given with the
offer); the release job then tells the family in an amended release: one email, a letter,
exactly once (``offers/services/release.py``). The place the other branch held is freed:
the case's ``ConditionalHold`` goes with the conditional decision.

Settling runs as a worker's job on a claimed row (``SettlementRun``: one at a time per
round), with its progress on the results-day page. A run is safe to repeat: a case already
settled is no longer a conditional offer, and one that cannot be settled yet stays listed
for a caseworker with its reason.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from offers.models import ExamResult, ProviderConfirmation, SettlementRun
from panels.models import Decision, Outcome, Settled
from panels.services.decisions import DecisionInput, DecisionRefused, decision_change
from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record
from phasetransfer.core.conditions import Result, Scale, Settlement, Verdict, settle
from phasetransfer.models import Case, CaseState, Round, RunStatus, Setting, User

log = logging.getLogger(__name__)

# A conditional offer is settled once it has been decided and approved (before offer day)
# or published (after it).
PUBLISHED = (CaseState.RELEASED, CaseState.ACCEPTED, CaseState.APPEALED)
SETTLEABLE = (CaseState.OFFER_APPROVED, *PUBLISHED)


class SettlementRefused(Exception):
    """Shown to the user as is."""


def conditional_offers(round_: Round) -> QuerySet[Decision]:
    """The round's conditional offers still to settle: each case's current decision."""
    return (
        Decision.objects.filter(
            case__round=round_,
            outcome=Outcome.CONDITIONAL,
            superseded_by__isnull=True,
            case__state__in=SETTLEABLE,
        )
        .select_related("case__child", "setting", "otherwise_setting", "provider_confirmation")
        .order_by("case__reference")
    )


def _results(case_ids: list[int]) -> dict[int, list[Result]]:
    found: dict[int, list[Result]] = defaultdict(list)
    for case_id, subject, scale, grade in ExamResult.objects.filter(
        case_id__in=case_ids
    ).values_list("case_id", "subject", "scale", "grade"):
        found[case_id].append(Result(subject=subject, grade=grade, scale=Scale(scale)))
    return found


def _confirmation(decision: Decision) -> ProviderConfirmation | None:
    try:
        return decision.provider_confirmation
    except ProviderConfirmation.DoesNotExist:
        return None


def settlement_of(decision: Decision, results: list[Result]) -> Settlement:
    """Whether ``decision``'s condition is met, by the provider's word or the results."""
    confirmation = _confirmation(decision)
    if confirmation is not None:
        if confirmation.met:
            return Settlement(Verdict.MET, "the college or sixth form confirmed it")
        return Settlement(Verdict.NOT_MET, "the college or sixth form confirmed it is not met")
    condition = decision.the_condition()
    assert condition is not None  # the database refuses a conditional offer without one
    return settle(condition, results)


@dataclass(frozen=True)
class Standing:
    """One conditional offer as results day finds it."""

    decision: Decision
    settlement: Settlement


def offers_standing(round_: Round) -> list[Standing]:
    decisions = list(conditional_offers(round_))
    results = _results([d.case_id for d in decisions])
    return [Standing(d, settlement_of(d, results.get(d.case_id, []))) for d in decisions]


def _settled_input(decision: Decision, settlement: Settlement) -> DecisionInput:
    met = settlement.verdict == Verdict.MET
    setting = decision.setting if met else decision.otherwise_setting
    programme = decision.programme if met else decision.otherwise_programme
    assert setting is not None
    reason = f"Results day: {settlement.reason}"
    return DecisionInput(
        outcome=Outcome.OTHER_SETTING,
        setting=setting,
        programme=programme,
        reasons=decision.reasons,
        ground=decision.ground,
        change_reason=reason,
        carried_out=True,
        settled=Settled.MET if met else Settled.NOT_MET,
    )


def settle_one(
    *, decision: Decision, settlement: Settlement, actor: User, now: dt.datetime
) -> Decision | None:
    """Settle one conditional offer as ``settlement`` says; None if it cannot be yet (or it
    changed meanwhile: another run, or a caseworker, got there first)."""
    if settlement.verdict == Verdict.UNSETTLED:
        return None
    try:
        return decision_change(
            decision=decision, data=_settled_input(decision, settlement), actor=actor, now=now
        )
    except DecisionRefused as refused:
        log.info("conditional offer %s not settled: %s", decision.pk, refused)
        return None


def settlement_request(
    *, round_: Round, actor: User, now: dt.datetime | None = None
) -> SettlementRun:
    """Claim the round's settlement job (one at a time); the caller hands it to a worker."""
    moment = now or clock.now()
    if not Round.objects.filter(pk=round_.pk, offer_day_published_at__isnull=False).exists():
        raise SettlementRefused(
            "The round's offer day has not been published yet: conditional offers are settled "
            "after families have been told them."
        )
    try:
        with transaction.atomic():
            return SettlementRun.objects.create(
                round=round_, requested_by=actor, requested_at=moment
            )
    except IntegrityError:
        raise SettlementRefused(
            "Settling is already under way for this round: its progress is on this page."
        ) from None


def settlement_execute(*, run_id: int, now: dt.datetime | None = None) -> SettlementRun | None:
    """The worker's part: settle every conditional offer that can be. Claims the run
    (queued -> running) so a second delivery of the task does nothing."""
    moment = now or clock.now()
    claimed = SettlementRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=moment
    )
    if not claimed:
        return None
    run = SettlementRun.objects.select_related("round", "requested_by").get(pk=run_id)
    try:
        standing = offers_standing(run.round)
        SettlementRun.objects.filter(pk=run.pk).update(total=len(standing))
        counts: Counter[str] = Counter()
        for done, item in enumerate(standing, start=1):
            settled = settle_one(
                decision=item.decision,
                settlement=item.settlement,
                actor=run.requested_by,
                now=now or clock.now(),
            )
            counts[item.settlement.verdict if settled else Verdict.UNSETTLED] += 1
            if done % 20 == 0 or done == len(standing):
                SettlementRun.objects.filter(pk=run.pk).update(done=done)
    except Exception as exc:
        SettlementRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=now or clock.now(), error=str(exc)[:300]
        )
        raise
    SettlementRun.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE,
        finished_at=now or clock.now(),
        met=counts[Verdict.MET],
        not_met=counts[Verdict.NOT_MET],
        unsettled=counts[Verdict.UNSETTLED],
    )
    run.refresh_from_db()
    return run


def active_settlement(round_: Round) -> SettlementRun | None:
    return (
        SettlementRun.objects.filter(round=round_)
        .select_related("requested_by")
        .order_by("-requested_at", "-id")
        .first()
    )


# Provider confirmations ---------------------------------------------------------------


class ConfirmationRefused(Exception):
    """Shown to the user as is."""


def provider_cases(user: User, round_: Round | None = None) -> QuerySet[Decision]:
    """The published conditional offers naming a setting ``user`` answers for, in either
    branch: the only young people a provider sees here."""
    settings = Setting.objects.filter(contacts__user=user)
    # Only offers the family has been told: a provider must not learn a decision first.
    offers = Decision.objects.filter(
        outcome=Outcome.CONDITIONAL,
        superseded_by__isnull=True,
        case__state__in=PUBLISHED,
    ).filter(Q(setting__in=settings) | Q(otherwise_setting__in=settings))
    if round_ is not None:
        offers = offers.filter(case__round=round_)
    return offers.select_related(
        "case__child", "case__round", "setting", "otherwise_setting"
    ).order_by("case__reference")


def provider_confirm(
    *,
    decision: Decision,
    met: bool,
    actor: User,
    on_behalf: bool = False,
    now: dt.datetime | None = None,
) -> ProviderConfirmation:
    """Record the provider's word on a conditional offer (it can be corrected until the
    offer is settled: the settlement reads it then)."""
    moment = now or clock.now()
    with transaction.atomic():
        locked = Decision.objects.select_for_update().filter(pk=decision.pk).first()
        if locked is None or locked.outcome != Outcome.CONDITIONAL:
            raise ConfirmationRefused("This is not a conditional offer.")
        if Decision.objects.filter(supersedes=locked).exists():
            raise ConfirmationRefused(
                "This offer has been settled or changed already: nothing to confirm."
            )
        confirmation, _created = ProviderConfirmation.objects.update_or_create(
            decision=locked,
            defaults={
                "met": met,
                "confirmed_by": actor,
                "confirmed_at": moment,
                "on_behalf": on_behalf,
            },
        )
        audit_record(
            case=Case.objects.get(pk=locked.case_id),
            action="results.provider_confirmed",
            actor=actor,
            data={"decision": locked.pk, "met": met, "on_behalf": on_behalf},
            now=moment,
        )
    return confirmation


# What results day shows ---------------------------------------------------------------


@dataclass
class Freed:
    setting: Setting
    places: int = 0


@dataclass
class ResultsDay:
    standing: list[Standing]
    settled: list[Decision]
    freed: list[Freed] = field(default_factory=list)

    @property
    def ready(self) -> list[Standing]:
        return [s for s in self.standing if s.settlement.verdict != Verdict.UNSETTLED]

    @property
    def unsettled(self) -> list[Standing]:
        return [s for s in self.standing if s.settlement.verdict == Verdict.UNSETTLED]


def results_day(round_: Round) -> ResultsDay:
    """The round's conditional offers: those still to settle (with what settling would do
    or why it cannot), those settled, and the places freed in the branch not taken."""
    settled = list(
        Decision.objects.filter(
            case__round=round_, superseded_by__isnull=True, settled__in=Settled.values
        )
        .select_related(
            "case__child", "setting", "supersedes__setting", "supersedes__otherwise_setting"
        )
        .order_by("case__reference")
    )
    freed: dict[int, Freed] = {}
    for decision in settled:
        offer = decision.supersedes
        assert offer is not None  # the database says a settlement supersedes
        other = offer.otherwise_setting if decision.settled == Settled.MET else offer.setting
        if other is not None and other.pk != decision.setting_id:
            freed.setdefault(other.pk, Freed(other)).places += 1
    return ResultsDay(
        standing=offers_standing(round_),
        settled=settled,
        freed=sorted(freed.values(), key=lambda f: f.setting.name),
    )
