"""Emails to settings about consultations, and the daily chaser for overdue ones.

Every email has one recipient (a school contact's account), a key that says what
it is for so asking twice sends once, and no details of any child: only counts,
dates and a link to sign in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from phasetransfer.consultations.selectors import (
    CHASER_KIND,
    consultations_overdue,
    due_day,
    setting_recipients,
)
from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record
from phasetransfer.core.locks import lease
from phasetransfer.core.outbox import email_enqueue, site_url
from phasetransfer.models import Case, Consultation, OutboundEmail, Round, Setting, User

CHASE_LEASE = "consultations.chase"
CHASE_LEASE_TTL = dt.timedelta(minutes=30)


def _context(setting: Setting, **extra: object) -> dict[str, object]:
    return {
        "setting": setting,
        "local_authority_name": settings.LOCAL_AUTHORITY_NAME,
        "sign_in_url": site_url("school-home"),
        **extra,
    }


@dataclass(frozen=True)
class Notified:
    contacts: int  # the setting's school contacts: zero means "send by another route"
    queued: int  # emails newly queued; fewer when some were queued before under the same key


def _send_to_contacts(
    *,
    setting: Setting,
    key: str,
    kind: str,
    subject: str,
    body: str,
    now: dt.datetime,
    case: Case | None = None,
    recipients: list[User] | None = None,
) -> Notified:
    """One email per contact, keyed ``<key>:<user id>`` so asking again sends nothing more."""
    users = setting_recipients(setting) if recipients is None else recipients
    keys = {user.pk: f"{key}:{user.pk}" for user in users}
    already = set(OutboundEmail.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    fresh = [user for user in users if keys[user.pk] not in already]
    for user in fresh:
        email_enqueue(
            key=keys[user.pk],
            kind=kind,
            to=user.email,
            subject=subject,
            body=body,
            case=case,
            now=now,
        )
    return Notified(contacts=len(users), queued=len(fresh))


def notify_batch(*, round_: Round, consultations: list[Consultation], now: dt.datetime) -> Notified:
    """One email per contact for a batch of new consultations of one setting on one day."""
    setting = consultations[0].setting
    day = now.astimezone(clock.LONDON).date()
    count = len(consultations)
    body = render_to_string(
        "phasetransfer/consultations/emails/batch.txt",
        _context(setting, count=count, round=round_, due_day=due_day(consultations[0])),
    )
    noun = "consultation" if count == 1 else "consultations"
    return _send_to_contacts(
        setting=setting,
        key=f"consultation-batch:{setting.pk}:{round_.pk}:{day.isoformat()}",
        kind="consultation_batch",
        subject=f"{count} new EHCP {noun} from {settings.LOCAL_AUTHORITY_NAME}",
        body=body,
        now=now,
    )


def notify_sent(*, consultation: Consultation, now: dt.datetime) -> Notified:
    """A single consultation sent outside the round batch (added, or re-sent)."""
    setting = consultation.setting
    body = render_to_string(
        "phasetransfer/consultations/emails/sent.txt",
        _context(
            setting,
            round=consultation.case.round,
            due_day=due_day(consultation),
            consultation_url=site_url("school-consultation", consultation.pk),
        ),
    )
    return _send_to_contacts(
        setting=setting,
        key=f"consultation-sent:{consultation.pk}",
        kind="consultation_sent",
        case=consultation.case,
        subject=f"A new EHCP consultation from {settings.LOCAL_AUTHORITY_NAME}",
        body=body,
        now=now,
    )


def notify_withdrawn(*, consultation: Consultation, now: dt.datetime) -> Notified:
    setting = consultation.setting
    body = render_to_string(
        "phasetransfer/consultations/emails/withdrawn.txt",
        _context(
            setting,
            sent_at=consultation.sent_at,
            consultation_url=site_url("school-consultation", consultation.pk),
        ),
    )
    return _send_to_contacts(
        setting=setting,
        key=f"consultation-withdrawn:{consultation.pk}",
        kind="consultation_withdrawn",
        case=consultation.case,
        subject="An EHCP consultation has been withdrawn: no response needed",
        body=body,
        now=now,
    )


@dataclass
class ChaseReport:
    overdue: int = 0
    chased: int = 0
    emails_queued: int = 0
    without_contact: int = 0
    locked_out: bool = False

    def summary(self) -> str:
        if self.locked_out:
            return "Another chase is running; nothing done."
        return (
            f"{self.overdue} overdue consultations; {self.chased} chased with "
            f"{self.emails_queued} emails; {self.without_contact} have no school contact."
        )


def _chase_one(consultation: Consultation, *, recipients: list[User], now: dt.datetime) -> int:
    """Queue today's chaser to each contact not chased today. Returns emails newly queued."""
    day = now.astimezone(clock.LONDON).date().isoformat()
    body = render_to_string(
        "phasetransfer/consultations/emails/chaser.txt",
        _context(
            consultation.setting,
            sent_at=consultation.sent_at,
            due_day=due_day(consultation),
            consultation_url=site_url("school-consultation", consultation.pk),
        ),
    )
    return _send_to_contacts(
        setting=consultation.setting,
        key=f"consultation-chaser:{consultation.pk}:{day}",
        kind=CHASER_KIND,
        case=consultation.case,
        subject="Reminder: an EHCP consultation response is overdue",
        body=body,
        now=now,
        recipients=recipients,
    ).queued


def consultations_chase(
    *,
    now: dt.datetime | None = None,
    round_: Round | None = None,
    only: set[int] | None = None,
) -> ChaseReport:
    """Chase each overdue consultation (or those of ``only``, a caseworker's selection):
    at most one email per contact per London day.

    The email key carries the day, so running this every hour (as beat does) or
    twice by hand sends each chaser once that day, and again the next day.
    """
    moment = now or clock.now()
    report = ChaseReport()
    # One chase at a time, the same lease as every scheduled job (phasetransfer.core.locks).
    with lease(CHASE_LEASE, ttl=CHASE_LEASE_TTL) as held, transaction.atomic():
        if not held:
            report.locked_out = True
            return report
        recipients: dict[int, list[User]] = {}
        for consultation in consultations_overdue(now=moment, round_=round_):
            if only is not None and consultation.pk not in only:
                continue
            report.overdue += 1
            if consultation.setting_id not in recipients:
                recipients[consultation.setting_id] = setting_recipients(consultation.setting)
            if not recipients[consultation.setting_id]:
                report.without_contact += 1
                continue
            queued = _chase_one(
                consultation, recipients=recipients[consultation.setting_id], now=moment
            )
            if queued:
                report.chased += 1
                report.emails_queued += queued
                audit_record(
                    case=consultation.case,
                    action="consultation.chased",
                    actor=None,
                    data={"consultation": consultation.pk, "emails": queued},
                    now=moment,
                )
    return report
