"""Invitations by email and letter, and linking an account to a child with code + date of birth."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from phasetransfer.cohort.invitations import (
    MAX_FAILURES_PER_USER,
    LinkLockedOut,
    LinkRefused,
    invitation_issue,
    invitation_letters_issue,
    invitation_redeem,
    invitations_send,
)
from phasetransfer.core.roles import Role, has_role
from phasetransfer.models import CaseState, Contact, Invitation, OutboundEmail
from tests.conftest import send_outbox
from tests.factories import ContactFactory, RoundFactory, UserFactory
from tests.moments import WINDOW_OPEN


@pytest.mark.django_db
def test_every_identified_case_with_an_email_gets_one_invitation_email(smtp: object) -> None:
    round_ = RoundFactory()
    # Names nothing in an email contains: the checks below cannot match by chance.
    with_email = [
        ContactFactory(case__round=round_, case__child__unmistakable=True) for _ in range(3)
    ]
    by_post = ContactFactory(case__round=round_, email="", address="1 High Street, Maidstone")

    assert invitations_send(round_=round_, actor=None, now=WINDOW_OPEN) == 3
    assert invitations_send(round_=round_, actor=None, now=WINDOW_OPEN) == 0  # already invited

    assert send_outbox() == 3
    assert sorted(r.envelope_to[0] for r in smtp.received) == sorted(c.email for c in with_email)
    for received, contact in zip(
        sorted(smtp.received, key=lambda r: r.envelope_to[0]),
        sorted(with_email, key=lambda c: c.email),
        strict=True,
    ):
        assert received.envelope_to == [contact.email]  # one recipient, no CC or BCC
        assert contact.case.child.first_name not in received.body
        assert contact.case.child.last_name not in received.body
        assert "Your invitation code is:" in received.body
    for contact in with_email:
        contact.case.refresh_from_db()
        assert contact.case.state == CaseState.INVITED
    by_post.case.refresh_from_db()
    assert by_post.case.state == CaseState.IDENTIFIED


@pytest.mark.django_db
def test_families_without_email_get_a_printed_letter_with_a_code() -> None:
    round_ = RoundFactory()
    contact = ContactFactory(case__round=round_, email="", address="1 High Street")

    letters = invitation_letters_issue(round_=round_, actor=None, now=WINDOW_OPEN)

    assert [(case, c) for case, c, _ in letters] == [(contact.case, contact)]
    invitation = Invitation.objects.get(case=contact.case)
    assert invitation.channel == "letter"
    assert invitation.letter_printed_at == WINDOW_OPEN
    assert not OutboundEmail.objects.exists()
    assert invitation_letters_issue(round_=round_, actor=None, now=WINDOW_OPEN) == []


def _issued(contact: Contact) -> str:
    return invitation_issue(
        case=contact.case, contact=contact, channel="email", actor=None, now=WINDOW_OPEN
    ).code


@pytest.mark.django_db
def test_the_right_code_and_birthday_link_the_account_and_give_the_role() -> None:
    contact = ContactFactory()
    code = _issued(contact)
    user = UserFactory()

    case = invitation_redeem(
        user=user,
        code=code.lower().replace("-", " "),
        date_of_birth=contact.case.child.date_of_birth,
        ip="192.0.2.1",
        now=WINDOW_OPEN,
    )

    assert case == contact.case
    contact.refresh_from_db()
    assert contact.user == user
    assert has_role(user, Role.PARENT)
    assert not has_role(user, Role.YOUNG_PERSON)


@pytest.mark.django_db
def test_a_young_person_contact_becomes_a_young_person_account() -> None:
    contact = ContactFactory(relationship="young_person")
    user = UserFactory()
    invitation_redeem(
        user=user, code=_issued(contact), date_of_birth=contact.case.child.date_of_birth, ip=None
    )
    assert has_role(user, Role.YOUNG_PERSON)


@pytest.mark.django_db
def test_a_wrong_birthday_or_code_is_refused_the_same_way() -> None:
    contact = ContactFactory()
    code = _issued(contact)
    user = UserFactory()
    with pytest.raises(LinkRefused):
        invitation_redeem(user=user, code=code, date_of_birth=dt.date(2015, 1, 1), ip=None)
    with pytest.raises(LinkRefused):
        invitation_redeem(
            user=user,
            code="AAAA-BBBB-CCCC",
            date_of_birth=contact.case.child.date_of_birth,
            ip=None,
        )
    contact.refresh_from_db()
    assert contact.user is None


@pytest.mark.django_db
def test_a_code_works_once_and_a_reissued_code_replaces_the_old_one() -> None:
    contact = ContactFactory()
    old = _issued(contact)
    new = _issued(contact)
    born = contact.case.child.date_of_birth
    with pytest.raises(LinkRefused):
        invitation_redeem(user=UserFactory(), code=old, date_of_birth=born, ip=None)
    invitation_redeem(user=UserFactory(), code=new, date_of_birth=born, ip=None)
    with pytest.raises(LinkRefused):
        invitation_redeem(user=UserFactory(), code=new, date_of_birth=born, ip=None)


@pytest.mark.django_db
def test_repeated_failures_lock_the_account_out_even_with_the_right_answer() -> None:
    contact = ContactFactory()
    code = _issued(contact)
    user = UserFactory()
    for _ in range(MAX_FAILURES_PER_USER):
        with pytest.raises(LinkRefused):
            invitation_redeem(
                user=user, code=code, date_of_birth=dt.date(2014, 1, 1), ip=None, now=WINDOW_OPEN
            )
    with pytest.raises(LinkLockedOut):
        invitation_redeem(
            user=user,
            code=code,
            date_of_birth=contact.case.child.date_of_birth,
            ip=None,
            now=WINDOW_OPEN,
        )
    # An hour later the lock has lifted.
    with time_machine.travel(WINDOW_OPEN + dt.timedelta(hours=1, minutes=1), tick=False):
        invitation_redeem(
            user=user, code=code, date_of_birth=contact.case.child.date_of_birth, ip=None
        )
