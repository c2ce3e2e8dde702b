"""The email outbox against a real SMTP server on loopback, including one that fails."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from phasetransfer.core.clock import LONDON
from phasetransfer.core.outbox import email_enqueue, email_send
from phasetransfer.models import EmailStatus, OutboundEmail
from tests.support.smtp import smtp_server

# Any moment will do: the outbox knows nothing of rounds (not a moment of tests/moments.py).
ENQUEUED_AT = dt.datetime(2026, 11, 27, 12, 0, tzinfo=LONDON)


def _smtp(port: int) -> override_settings:
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_TIMEOUT=5,
    )


@pytest.mark.django_db
def test_the_same_key_enqueued_twice_is_one_email() -> None:
    for _ in range(2):
        email_enqueue(
            key="k1", kind="test", to="a@example.org", subject="s", body="b", now=ENQUEUED_AT
        )
    assert OutboundEmail.objects.count() == 1


@pytest.mark.django_db
def test_a_sent_email_is_not_sent_again() -> None:
    with smtp_server() as (handler, port), _smtp(port):
        email = email_enqueue(
            key="k", kind="t", to="a@example.org", subject="s", body="b", now=ENQUEUED_AT
        )
        assert email_send(email_id=email.pk, now=ENQUEUED_AT)
        assert not email_send(email_id=email.pk, now=ENQUEUED_AT)
    assert len(handler.received) == 1
    assert handler.received[0].envelope_to == ["a@example.org"]


@pytest.mark.django_db
def test_a_temporary_smtp_failure_is_retried_after_backoff_and_never_duplicated() -> None:
    with smtp_server(failure_rate=1.0) as (handler, port), _smtp(port):
        email = email_enqueue(
            key="k", kind="t", to="a@example.org", subject="s", body="b", now=ENQUEUED_AT
        )
        assert not email_send(email_id=email.pk, now=ENQUEUED_AT)
        email.refresh_from_db()
        assert email.status == EmailStatus.FAILED
        assert "SMTP" in email.last_error
        assert "a@example.org" not in email.last_error
        # Not due again until the backoff has passed.
        assert not email_send(email_id=email.pk, now=ENQUEUED_AT + dt.timedelta(seconds=30))
        handler.failure_rate = 0.0
        assert email_send(email_id=email.pk, now=ENQUEUED_AT + dt.timedelta(minutes=1))
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.attempts == 2
    assert len(handler.received) == 1


@pytest.mark.django_db
def test_an_email_that_keeps_failing_is_abandoned_and_visible() -> None:
    with smtp_server(failure_rate=1.0) as (_, port), _smtp(port):
        email = email_enqueue(
            key="k", kind="t", to="a@example.org", subject="s", body="b", now=ENQUEUED_AT
        )
        moment = ENQUEUED_AT
        for _ in range(20):
            email_send(email_id=email.pk, now=moment)
            moment += dt.timedelta(hours=5)
    email.refresh_from_db()
    assert email.status == EmailStatus.ABANDONED


@pytest.mark.django_db
def test_a_flush_hands_out_only_lost_failed_or_abandoned_claims(settings: object) -> None:
    from phasetransfer.core.outbox import emails_due

    fresh = email_enqueue(
        key="new", kind="t", to="a@example.org", subject="s", body="b", now=ENQUEUED_AT
    )
    assert emails_due(now=ENQUEUED_AT + dt.timedelta(seconds=5)) == []  # its own task is on the way
    lost_after = dt.timedelta(seconds=settings.EMAIL_STALE_CLAIM_SECONDS + 1)
    assert emails_due(now=ENQUEUED_AT + lost_after) == [fresh.pk]  # that task was lost
    OutboundEmail.objects.filter(pk=fresh.pk).update(
        status=EmailStatus.SENDING, claimed_at=ENQUEUED_AT
    )
    assert emails_due(now=ENQUEUED_AT + dt.timedelta(seconds=5)) == []  # a worker is on it
    assert emails_due(now=ENQUEUED_AT + lost_after) == [fresh.pk]  # that worker died
