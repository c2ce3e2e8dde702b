"""Reminding families who have not yet named their preferences."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from phasetransfer.cohort.invitations import invitation_issue
from phasetransfer.cohort.selectors import cases_to_remind, primary_contact
from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record
from phasetransfer.core.channels import channels_for
from phasetransfer.core.outbox import email_enqueue, site_url
from phasetransfer.models import AuditEvent, Case, Channel, InvitationChannel, Round, User


def _reminded_today(case: Case, now: dt.datetime) -> bool:
    today = now.astimezone(clock.LONDON).date()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=clock.LONDON)
    return AuditEvent.objects.filter(case=case, action="reminder.sent", at__gte=start).exists()


def reminders_send(*, round_: Round, actor: User | None, now: dt.datetime | None = None) -> int:
    """At most one reminder per case per day. A family that has not signed up gets a new code."""
    moment = now or clock.now()
    sent = 0
    for case in cases_to_remind(round_):
        contact = primary_contact(case)
        assert contact is not None
        with transaction.atomic():
            if _reminded_today(case, moment):
                continue
            if contact.user_id is None:
                invitation_issue(
                    case=case,
                    contact=contact,
                    channel=InvitationChannel.EMAIL,
                    actor=actor,
                    now=moment,
                )
            else:
                _email_signed_up_reminder(case, contact.email, moment)
            if Channel.SMS in channels_for("reminder", email="", mobile=contact.mobile):
                _text_reminder(case, contact.mobile, moment)
            audit_record(case=case, action="reminder.sent", actor=actor, now=moment)
        sent += 1
    return sent


def _text_reminder(case: Case, mobile: str, now: dt.datetime) -> None:
    """The same nudge by text message: no name, no detail, a link to sign in."""
    closes = case.round.preference_closes_at.astimezone(clock.LONDON)
    email_enqueue(
        key=f"reminder:{case.pk}:{now.astimezone(clock.LONDON).date().isoformat()}:text",
        kind="reminder",
        channel=Channel.SMS,
        to=mobile,
        subject="",
        body=(
            f"{settings.LOCAL_AUTHORITY_NAME}: please name your preferred schools or "
            f"colleges by {closes:%-d %B}. Sign in: {site_url('login')}"
        ),
        case=case,
        now=now,
    )


def _email_signed_up_reminder(case: Case, to: str, now: dt.datetime) -> None:
    body = render_to_string(
        "phasetransfer/cohort/emails/reminder.txt",
        {
            "round": case.round,
            "sign_in_url": site_url("login"),
            "local_authority_name": settings.LOCAL_AUTHORITY_NAME,
        },
    )
    email_enqueue(
        key=f"reminder:{case.pk}:{now.astimezone(clock.LONDON).date().isoformat()}",
        kind="reminder",
        to=to,
        subject="Reminder: name your preferred schools or colleges",
        body=body,
        case=case,
        now=now,
    )
