"""SEND Tribunal appeals after offer day: registered, answered, decided, and carried out.

A conceded appeal, or one upheld with an order naming a setting, must be carried out (the
plan amended) within 5 weeks of the order: carrying it out supersedes the decision and
the release job tells the family in an amended release; the appeal is implemented when
that release is published. An order naming a setting with no place left is still carried
out, recorded as over capacity with the order as its reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from offers.models import Appeal, AppealOutcome, FollowUpKind
from offers.services.changes import ChangeRefused, decision_carry_out, places_if_named
from offers.services.followups import follow_ups_close
from phasetransfer.cases.state import case_appeal
from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record
from phasetransfer.core.timescales import order_by, tribunal_response_by
from phasetransfer.models import Case, CaseState, Setting, User

# The council answers the Tribunal within 30 working days of being sent the appeal
# (a default the officer can change to the date the Tribunal gives).


class AppealRefused(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class AppealDetails:
    tribunal_reference: str
    lodged_on: dt.date
    placement_only: bool = True
    independent_requested: bool = False
    response_due_on: dt.date | None = None


def _audit(appeal: Appeal, action: str, actor: User, now: dt.datetime) -> None:
    audit_record(
        case=appeal.case,
        action=f"appeal.{action}",
        actor=actor,
        data={
            "appeal": appeal.pk,
            "reference": appeal.tribunal_reference,
            "outcome": appeal.outcome,
        },
        now=now,
    )


def appeal_register(
    *, case: Case, details: AppealDetails, actor: User, now: dt.datetime | None = None
) -> Appeal:
    moment = now or clock.now()
    reference = details.tribunal_reference.strip().upper()
    if not reference:
        raise AppealRefused("Enter the Tribunal's reference", "tribunal_reference")
    if details.lodged_on > moment.astimezone(clock.LONDON).date():
        raise AppealRefused("The date it was lodged cannot be in the future", "lodged_on")
    due = details.response_due_on or tribunal_response_by(details.lodged_on)
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                case=case,
                tribunal_reference=reference,
                lodged_on=details.lodged_on,
                placement_only=details.placement_only,
                independent_requested=details.independent_requested,
                response_due_on=due,
                recorded_by=actor,
            )
            # The case's state as it is now, not as the caller read it.
            locked = Case.objects.select_for_update().get(pk=case.pk)
            if locked.state in (CaseState.RELEASED, CaseState.ACCEPTED):
                reason = f"Appeal {reference} lodged"
                case_appeal(case=locked, actor=actor, reason=reason, now=moment)
            follow_ups_close(
                case=case, kind=FollowUpKind.APPEAL, actor=actor, note="Appeal lodged", now=moment
            )
            _audit(appeal, "registered", actor, moment)
    except IntegrityError:
        raise AppealRefused(
            f"An appeal with reference {reference} is already recorded", "tribunal_reference"
        ) from None
    return appeal


def _locked(appeal: Appeal) -> Appeal:
    return Appeal.objects.select_for_update().select_related("case__round").get(pk=appeal.pk)


def appeal_hearing(
    *,
    appeal: Appeal,
    hearing_on: dt.date | None,
    response_due_on: dt.date,
    actor: User,
    now: dt.datetime | None = None,
) -> Appeal:
    moment = now or clock.now()
    with transaction.atomic():
        locked = _locked(appeal)
        if not locked.is_open:
            raise AppealRefused("This appeal has been decided.")
        if hearing_on is not None and hearing_on < locked.lodged_on:
            raise AppealRefused("The hearing cannot be before the appeal was lodged", "hearing_on")
        if response_due_on < locked.lodged_on:
            raise AppealRefused(
                "The response cannot be due before the appeal was lodged", "response_due_on"
            )
        locked.hearing_on = hearing_on
        locked.response_due_on = response_due_on
        locked.save(update_fields=["hearing_on", "response_due_on"])
        _audit(locked, "dates", actor, moment)
    return locked


def appeal_decide(
    *,
    appeal: Appeal,
    outcome: str,
    decided_on: dt.date,
    setting: Setting | None,
    actor: User,
    now: dt.datetime | None = None,
) -> Appeal:
    """Record the outcome. Conceded or upheld: the setting to name, due within 5 weeks."""
    moment = now or clock.now()
    if outcome not in AppealOutcome.values or outcome == AppealOutcome.PENDING:
        raise AppealRefused("Choose the outcome", "outcome")
    names = outcome in (AppealOutcome.CONCEDED, AppealOutcome.UPHELD)
    if names and setting is None:
        raise AppealRefused("Enter the URN of the setting to name", "urn")
    if decided_on > moment.astimezone(clock.LONDON).date():
        raise AppealRefused("The date of the decision cannot be in the future", "decided_on")
    with transaction.atomic():
        locked = _locked(appeal)
        if not locked.is_open:
            raise AppealRefused("This appeal has already been decided.")
        if decided_on < locked.lodged_on:
            raise AppealRefused("The decision cannot be before the appeal was lodged", "decided_on")
        locked.outcome = outcome
        locked.decided_on = decided_on
        if names and setting is not None:
            locked.ordered_setting = setting
            locked.order_due_on = order_by(decided_on)
            locked.over_capacity = places_if_named(locked.case, setting).over_if_named
        locked.save(
            update_fields=[
                "outcome",
                "decided_on",
                "ordered_setting",
                "order_due_on",
                "over_capacity",
            ]
        )
        _audit(locked, "decided", actor, moment)
    return locked


def appeal_carry_out(*, appeal: Appeal, actor: User, now: dt.datetime | None = None) -> Appeal:
    """Name the ordered (or conceded) setting: the family is told in an amended release."""
    moment = now or clock.now()
    with transaction.atomic():
        locked = _locked(appeal)
        if locked.ordered_setting is None:
            raise AppealRefused("Only a conceded appeal or an order is carried out.")
        if locked.changed_decision_id is not None:
            raise AppealRefused("This order has already been carried out.")
        what = "conceded" if locked.outcome == AppealOutcome.CONCEDED else "Tribunal order"
        over = " (over capacity: the order is the reason)" if locked.over_capacity else ""
        try:
            changed = decision_carry_out(
                case=locked.case,
                setting=locked.ordered_setting,
                reason=f"SEND Tribunal appeal {locked.tribunal_reference}, {what}{over}",
                actor=actor,
                now=moment,
            )
        except ChangeRefused as refused:
            raise AppealRefused(str(refused)) from None
        locked.changed_decision = changed
        locked.save(update_fields=["changed_decision"])
        _audit(locked, "carried_out", actor, moment)
    return locked


def appeals_implemented(*, case: Case, decision_id: int, on: dt.date) -> int:
    """The amended release publishing an order's decision: the order is carried out."""
    return Appeal.objects.filter(
        case=case, changed_decision_id=decision_id, implemented_on__isnull=True
    ).update(implemented_on=on)
