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

What results day shows (the offers standing, settled, places freed) is read in
``offers/selectors.py``. Settling runs as a worker's job on a claimed row
(``SettlementRun``: one at a time per round), with its progress on the results-day page.
A run is safe to repeat: a case already settled is no longer a conditional offer, and one
that cannot be settled yet stays listed for a caseworker with its reason.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from django.db import IntegrityError, transaction

from offers.models import ProviderConfirmation, SettlementRun
from offers.selectors import offers_standing
from panels.models import Decision, Outcome, Settled
from panels.services.decisions import DecisionInput, DecisionRefused, decision_change
from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record
from phasetransfer.core.conditions import Settlement, Verdict
from phasetransfer.models import Case, Round, RunStatus, User

log = logging.getLogger(__name__)


class SettlementRefused(Exception):
    """Shown to the user as is."""


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


def results_day_set(*, round_: Round, day: dt.date) -> None:
    """Results day is the day results reach young people; settling may start any time
    after offer day (``settlement_request``), the figures count what was settled on it."""
    Round.objects.filter(pk=round_.pk).update(results_day=day)


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


# Provider confirmations ---------------------------------------------------------------


class ConfirmationRefused(Exception):
    """Shown to the user as is."""


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
