from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from phasetransfer.core.access import requires_two_factor
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, User
from phasetransfer.security.two_factor import code_now
from tests.factories import CaseFactory, ContactFactory, UserFactory
from tests.support.smtp import RecordingHandler, smtp_server


@pytest.fixture
def case(db: None) -> Case:
    return CaseFactory()


@pytest.fixture
def caseworker(db: None) -> User:
    return UserFactory(email="caseworker@example.org", roles=[Role.CASEWORKER])


@pytest.fixture
def parent_with_case(db: None) -> tuple[User, Case]:
    user = UserFactory(email="parent@example.org", roles=[Role.PARENT])
    contact = ContactFactory(user=user, email=user.email)
    return user, contact.case


def _test_device(user: User) -> TOTPDevice:
    """The user's confirmed authenticator, made on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)


def signed_in(client: Client, user: User) -> Client:
    """Signed in as ``user``; with the second factor given too, for accounts that need one.

    Tests of the second factor itself use ``client.force_login`` (a password only).
    """
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if requires_two_factor(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = _test_device(user).persistent_id
        session.save()
    return client


def pass_second_factor(client: Client, user: User) -> None:
    """After a password sign-in through the form, give the code as a person would.

    Does nothing for accounts that need no second factor (families).
    """
    if not requires_two_factor(user):
        return
    response = client.post("/account/two-factor/", {"code": code_now(_test_device(user))})
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.fixture
def smtp(settings: Any) -> Iterator[RecordingHandler]:
    """Django's SMTP backend pointed at a real SMTP server on loopback."""
    with smtp_server() as (handler, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_TIMEOUT = 5
        yield handler


def send_outbox() -> int:
    """Send every email that is waiting and due now, as workers would; returns how many."""
    from django.db.models import Q

    from phasetransfer.core import clock
    from phasetransfer.core.outbox import email_send
    from phasetransfer.models import EmailStatus, OutboundEmail

    waiting = OutboundEmail.objects.filter(
        Q(status=EmailStatus.PENDING) | Q(status=EmailStatus.FAILED),
        next_attempt_at__lte=clock.now(),
    ).values_list("pk", flat=True)
    return sum(email_send(email_id=pk) for pk in list(waiting))
