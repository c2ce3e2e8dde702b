from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from phasetransfer.models import Case, User
from phasetransfer.roles import Role
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


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


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

    from phasetransfer import clock
    from phasetransfer.models import EmailStatus, OutboundEmail
    from phasetransfer.services.email import email_send

    waiting = OutboundEmail.objects.filter(
        Q(status=EmailStatus.PENDING) | Q(status=EmailStatus.FAILED),
        next_attempt_at__lte=clock.now(),
    ).values_list("pk", flat=True)
    return sum(email_send(email_id=pk) for pk in list(waiting))
