"""Inviting families, and linking a signed-in account to a child with code and date of birth."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from phasetransfer.cases.state import case_invite
from phasetransfer.cohort.selectors import cases_needing_letters, primary_contact
from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record
from phasetransfer.core.outbox import email_enqueue, site_url
from phasetransfer.core.roles import Role, grant_role
from phasetransfer.models import (
    Case,
    CaseState,
    Contact,
    ContactRelationship,
    Invitation,
    InvitationChannel,
    LinkAttempt,
    Round,
    User,
)

# No 0/O, 1/I/L: codes are typed from paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
# Guessing a 12-character code is hopeless, but a stolen code plus guessed birthdays is not.
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_IP = 20
LOCKOUT_WINDOW = dt.timedelta(hours=1)


class LinkRefused(Exception):
    """The code and date of birth do not match a live invitation (one message for every cause)."""


class LinkLockedOut(Exception):
    pass


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    code: str  # shown once (email or letter), never stored


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(code: str) -> str:
    key = hashlib.sha256(b"invitation-code:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, _normalise(code).encode(), hashlib.sha256).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def invitation_issue(
    *, case: Case, contact: Contact, channel: str, actor: User | None, now: dt.datetime
) -> IssuedInvitation:
    """A fresh code for ``contact``; any earlier unused code for them stops working."""
    code = _new_code()
    with transaction.atomic():
        Invitation.objects.filter(
            contact=contact, superseded_at__isnull=True, redeemed_at__isnull=True
        ).update(superseded_at=now)
        invitation = Invitation.objects.create(
            case=case, contact=contact, code_hash=code_hash(code), channel=channel, created_at=now
        )
        if channel == InvitationChannel.EMAIL:
            _email_invitation(invitation, code, now)
        audit_record(
            case=case, action="invitation.issued", actor=actor, data={"channel": channel}, now=now
        )
    return IssuedInvitation(invitation, code)


def _email_invitation(invitation: Invitation, code: str, now: dt.datetime) -> None:
    round_ = invitation.case.round
    body = render_to_string(
        "phasetransfer/cohort/emails/invitation.txt",
        {
            "code": code,
            "round": round_,
            "start_url": site_url("start"),
            "local_authority_name": settings.LOCAL_AUTHORITY_NAME,
        },
    )
    email_enqueue(
        key=f"invitation:{invitation.pk}",
        kind="invitation",
        to=invitation.contact.email,
        subject="Name your preferred schools or colleges",
        body=body,
        case=invitation.case,
        now=now,
    )


def invitations_send(*, round_: Round, actor: User | None, now: dt.datetime | None = None) -> int:
    """Email an invitation to every newly identified case whose contact has an email address.

    Contacts with no email get a printed letter instead (``invitation_letters_issue``).
    """
    moment = now or clock.now()
    sent = 0
    cases = (
        Case.objects.filter(round=round_, state=CaseState.IDENTIFIED)
        .select_related("round")
        .order_by("reference")
    )
    for case in cases:
        contact = primary_contact(case)
        if contact is None or not contact.email:
            continue
        with transaction.atomic():
            invitation_issue(
                case=case, contact=contact, channel=InvitationChannel.EMAIL, actor=actor, now=moment
            )
            case_invite(case=case, actor=actor, now=moment)
        sent += 1
    return sent


def invitation_letters_issue(
    *, round_: Round, actor: User | None, now: dt.datetime | None = None
) -> list[tuple[Case, Contact, str]]:
    """Issue codes for the letters about to be printed; each case moves to invited."""
    moment = now or clock.now()
    letters = []
    for case in cases_needing_letters(round_):
        contact = primary_contact(case)
        assert contact is not None
        with transaction.atomic():
            issued = invitation_issue(
                case=case,
                contact=contact,
                channel=InvitationChannel.LETTER,
                actor=actor,
                now=moment,
            )
            Invitation.objects.filter(pk=issued.invitation.pk).update(letter_printed_at=moment)
            case_invite(case=case, actor=actor, now=moment)
        letters.append((case, contact, issued.code))
    return letters


def _locked_out(user: User, ip: str | None, now: dt.datetime) -> bool:
    since = now - LOCKOUT_WINDOW
    failures = LinkAttempt.objects.filter(at__gte=since, succeeded=False)
    if failures.filter(user=user).count() >= MAX_FAILURES_PER_USER:
        return True
    return bool(ip) and failures.filter(ip_address=ip).count() >= MAX_FAILURES_PER_IP


def invitation_redeem(
    *,
    user: User,
    code: str,
    date_of_birth: dt.date,
    ip: str | None,
    now: dt.datetime | None = None,
) -> Case:
    """Link ``user`` to the case the code was issued for, if the child's birthday matches too."""
    moment = now or clock.now()
    if _locked_out(user, ip, moment):
        raise LinkLockedOut
    invitation = (
        Invitation.objects.select_related("case__child", "case__round", "contact")
        .filter(code_hash=code_hash(code), superseded_at__isnull=True, redeemed_at__isnull=True)
        .first()
    )
    if invitation is None or invitation.case.child.date_of_birth != date_of_birth:
        LinkAttempt.objects.create(user=user, ip_address=ip, at=moment, succeeded=False)
        raise LinkRefused
    with transaction.atomic():
        claimed = Invitation.objects.filter(pk=invitation.pk, redeemed_at__isnull=True).update(
            redeemed_at=moment, redeemed_by=user
        )
        if claimed != 1:
            raise LinkRefused
        contact = invitation.contact
        contact.user = user
        contact.save(update_fields=["user"])
        young_person = contact.relationship == ContactRelationship.YOUNG_PERSON
        grant_role(user, Role.YOUNG_PERSON if young_person else Role.PARENT)
        LinkAttempt.objects.create(user=user, ip_address=ip, at=moment, succeeded=True)
        audit_record(case=invitation.case, action="invitation.redeemed", actor=user, now=moment)
    return invitation.case
