"""Mediation after offer day: the request, the meeting, and its end.

An agreement changes the council's decision only once an officer with authority (a panel
chair or an administrator) approves it; the release job then tells the family in an
amended release. Without agreement the mediation ends first and the mediator's
certificate follows (due within 3 working days): the certificate starts the family's
appeal clock (one month), shown on their page. Until then the mediation stays open.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from offers.models import FollowUpKind, Mediation, MediationOutcome
from offers.services.changes import ChangeRefused, decision_carry_out
from offers.services.followups import follow_ups_close
from phasetransfer.cases.state import case_appeal
from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record
from phasetransfer.core.roles import Role, has_role
from phasetransfer.models import Case, CaseState, Setting, User

APPROVERS = (Role.PANEL_CHAIR, Role.ADMINISTRATOR)


class MediationRefused(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _audit(mediation: Mediation, action: str, actor: User, now: dt.datetime) -> None:
    audit_record(
        case=mediation.case,
        action=f"mediation.{action}",
        actor=actor,
        data={"mediation": mediation.pk, "outcome": mediation.outcome},
        now=now,
    )


def mediation_request(
    *, case: Case, requested_on: dt.date, actor: User, now: dt.datetime | None = None
) -> Mediation:
    """Record that the family wants mediation (the 30 days run from ``requested_on``)."""
    moment = now or clock.now()
    if requested_on > moment.astimezone(clock.LONDON).date():
        raise MediationRefused("The date it was asked for cannot be in the future", "requested_on")
    try:
        with transaction.atomic():
            mediation = Mediation.objects.create(
                case=case, requested_on=requested_on, recorded_by=actor
            )
            # The case's state as it is now, not as the caller read it.
            locked = Case.objects.select_for_update().get(pk=case.pk)
            if locked.state in (CaseState.RELEASED, CaseState.ACCEPTED):
                case_appeal(case=locked, actor=actor, reason="Mediation requested", now=moment)
            # Arranging mediation is also the advice an "intend to appeal" task asks for.
            for kind in (FollowUpKind.MEDIATION, FollowUpKind.APPEAL):
                follow_ups_close(
                    case=case, kind=kind, actor=actor, note="Mediation recorded", now=moment
                )
            _audit(mediation, "requested", actor, moment)
    except IntegrityError:
        raise MediationRefused("This case already has a mediation in progress.") from None
    return mediation


def _open(mediation: Mediation) -> Mediation:
    locked = (
        Mediation.objects.select_for_update().select_related("case__round").get(pk=mediation.pk)
    )
    if not locked.is_open:
        raise MediationRefused("This mediation has ended: nothing more can be recorded on it.")
    return locked


def _check_end(mediation: Mediation, ended_on: dt.date, moment: dt.datetime) -> None:
    if ended_on < mediation.requested_on:
        raise MediationRefused("The mediation cannot end before it was asked for", "ended_on")
    if ended_on > moment.astimezone(clock.LONDON).date():
        raise MediationRefused("The date it ended cannot be in the future", "ended_on")


def _still_running(locked: Mediation) -> None:
    if locked.ended_on is not None or locked.outcome != MediationOutcome.PENDING:
        raise MediationRefused("This mediation has already ended.")


def mediation_meeting(
    *, mediation: Mediation, meeting_on: dt.date, actor: User, now: dt.datetime | None = None
) -> Mediation:
    moment = now or clock.now()
    if meeting_on < mediation.requested_on:
        raise MediationRefused("The meeting cannot be before mediation was asked for", "meeting_on")
    with transaction.atomic():
        locked = _open(mediation)
        locked.meeting_on = meeting_on
        locked.save(update_fields=["meeting_on"])
        _audit(locked, "meeting", actor, moment)
    return locked


def mediation_not_agreed(
    *,
    mediation: Mediation,
    ended_on: dt.date,
    certificate_issued_on: dt.date | None,
    actor: User,
    now: dt.datetime | None = None,
) -> Mediation:
    """No agreement. Without the certificate yet, the mediation stays open with its end
    recorded, and the certificate falls due 3 working days on."""
    moment = now or clock.now()
    _check_end(mediation, ended_on, moment)
    with transaction.atomic():
        locked = _open(mediation)
        _still_running(locked)
        locked.ended_on = ended_on
        locked.save(update_fields=["ended_on"])
        _audit(locked, "ended", actor, moment)
        if certificate_issued_on is not None:
            return _certificate(locked, certificate_issued_on, actor, moment)
    return locked


def mediation_certificate(
    *, mediation: Mediation, issued_on: dt.date, actor: User, now: dt.datetime | None = None
) -> Mediation:
    """The mediator issued the certificate: the family's month to appeal starts."""
    moment = now or clock.now()
    with transaction.atomic():
        locked = _open(mediation)
        if locked.ended_on is None or locked.outcome != MediationOutcome.PENDING:
            raise MediationRefused("Record that the mediation ended without agreement first.")
        return _certificate(locked, issued_on, actor, moment)


def _certificate(
    locked: Mediation, issued_on: dt.date, actor: User, moment: dt.datetime
) -> Mediation:
    assert locked.ended_on is not None
    if issued_on < locked.ended_on:
        raise MediationRefused(
            "The certificate cannot be issued before the mediation ended", "certificate_issued_on"
        )
    if issued_on > moment.astimezone(clock.LONDON).date():
        raise MediationRefused(
            "The date the certificate was issued cannot be in the future", "certificate_issued_on"
        )
    locked.certificate_issued_on = issued_on
    locked.outcome = MediationOutcome.NOT_AGREED
    locked.save(update_fields=["certificate_issued_on", "outcome"])
    _audit(locked, "not_agreed", actor, moment)
    return locked


def mediation_withdrawn(
    *, mediation: Mediation, ended_on: dt.date, actor: User, now: dt.datetime | None = None
) -> Mediation:
    """The family no longer wants mediation: nothing changes, and nothing more is due."""
    moment = now or clock.now()
    _check_end(mediation, ended_on, moment)
    with transaction.atomic():
        locked = _open(mediation)
        _still_running(locked)
        locked.ended_on = ended_on
        locked.outcome = MediationOutcome.WITHDRAWN
        locked.save(update_fields=["ended_on", "outcome"])
        _audit(locked, "withdrawn", actor, moment)
    return locked


def mediation_agreed(
    *,
    mediation: Mediation,
    ended_on: dt.date,
    setting: Setting,
    reasons: str,
    actor: User,
    now: dt.datetime | None = None,
) -> Mediation:
    """The family and the council agreed a setting: it waits for an officer's approval."""
    moment = now or clock.now()
    if not reasons.strip():
        raise MediationRefused("Say what was agreed and why", "reasons")
    if not setting.serves(mediation.case.round.phase):
        raise MediationRefused(f"{setting.name} does not take children into this phase.", "urn")
    _check_end(mediation, ended_on, moment)
    with transaction.atomic():
        locked = _open(mediation)
        _still_running(locked)
        locked.ended_on = ended_on
        locked.agreed_setting = setting
        locked.agreed_reasons = reasons.strip()
        locked.outcome = MediationOutcome.AWAITING_APPROVAL
        locked.save(update_fields=["ended_on", "agreed_setting", "agreed_reasons", "outcome"])
        _audit(locked, "agreed", actor, moment)
    return locked


def mediation_approve(
    *, mediation: Mediation, actor: User, now: dt.datetime | None = None
) -> Mediation:
    """An officer with authority approves the agreement: the decision changes now, and the
    family is told in an amended release."""
    moment = now or clock.now()
    if not has_role(actor, *APPROVERS):
        raise MediationRefused("Only a panel chair or an administrator can approve the change.")
    with transaction.atomic():
        locked = (
            Mediation.objects.select_for_update().select_related("case__round").get(pk=mediation.pk)
        )
        if locked.outcome == MediationOutcome.AGREED:
            raise MediationRefused("This change has already been approved.")
        if locked.outcome != MediationOutcome.AWAITING_APPROVAL or locked.agreed_setting is None:
            raise MediationRefused("There is no agreed change to approve.")
        try:
            changed = decision_carry_out(
                case=locked.case,
                setting=locked.agreed_setting,
                reason=f"Mediation agreed ({locked.ended_on:%d %B %Y}): {locked.agreed_reasons}",
                actor=actor,
                now=moment,
            )
        except ChangeRefused as refused:
            raise MediationRefused(str(refused)) from None
        locked.changed_decision = changed
        locked.approved_by = actor
        locked.outcome = MediationOutcome.AGREED
        locked.save(update_fields=["changed_decision", "approved_by", "outcome"])
        _audit(locked, "approved", actor, moment)
    return locked
