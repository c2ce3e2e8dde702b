"""A worker dies at a named point of a send; what the database and the SMTP server hold after.

Each death is real: a separate Python process sends the email against the test database
and a real SMTP server on loopback, and ``os._exit`` ends it at the point named (no
clean-up, no except or finally blocks run, no further writes), as a SIGKILL would. The
row it leaves is then what the every-minute flush (the real ``flush_outbox`` task, with a
worker that runs what it queues) finds after the stale-claim time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.conf import settings

from phasetransfer.core import clock, tasks
from phasetransfer.models import EmailStatus, OutboundEmail
from tests.support.crash import InlineWorker, send_and_die_at
from tests.support.smtp import RecordingHandler, smtp_server

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server() -> Iterator[tuple[RecordingHandler, int]]:
    with smtp_server() as (handler, port):
        yield handler, port


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch, server: tuple[RecordingHandler, int]) -> InlineWorker:
    _, port = server
    monkeypatch.setattr(settings, "EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
    monkeypatch.setattr(settings, "EMAIL_HOST", "127.0.0.1")
    monkeypatch.setattr(settings, "EMAIL_PORT", port)
    monkeypatch.setattr(settings, "EMAIL_USE_TLS", False)
    monkeypatch.setattr(settings, "EMAIL_TIMEOUT", 5)
    inline = InlineWorker(tasks.send_email)
    monkeypatch.setattr(tasks, "send_email", inline)
    return inline


def _email() -> OutboundEmail:
    # Written directly, not through email_enqueue: its task would go to the real broker.
    now = clock.now()
    return OutboundEmail.objects.create(
        key="offer:1:1:email:v1",
        kind="offer_day",
        to="family@example.org",
        subject="Your SEN phase transfer outcome is ready",
        body="Sign in to see it.",
        created_at=now,
        next_attempt_at=now,
    )


def _send_and_die_at(point: str, email_id: int, port: int) -> None:
    """Send ``email_id`` in a worker process that dies when it reaches ``outbox.<point>``."""
    smtp = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), "EMAIL_TIMEOUT": "5"}
    send_and_die_at(point, email_id, smtp)


def _flush(at: dt.datetime) -> int:
    """The every-minute job, at ``at``."""
    with time_machine.travel(at, tick=False):
        return int(tasks.flush_outbox())


def _stale() -> dt.timedelta:
    return dt.timedelta(seconds=settings.EMAIL_STALE_CLAIM_SECONDS)


def test_death_after_the_servers_250_before_the_sent_commit_leaves_unknown_not_a_resend(
    server: tuple[RecordingHandler, int], worker: InlineWorker
) -> None:
    handler, port = server
    email = _email()
    _send_and_die_at("_record_sent", email.pk, port)  # the server has said "250 OK"

    assert len(handler.received) == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENDING
    assert email.handed_over_at is not None
    assert email.claimed_at is not None
    assert _flush(email.claimed_at + dt.timedelta(seconds=30)) == 0  # it may still be alive
    assert _flush(email.claimed_at + _stale() + dt.timedelta(seconds=1)) == 0
    email.refresh_from_db()
    assert email.status == EmailStatus.UNKNOWN  # on the officer's page: may have been delivered
    assert _flush(email.claimed_at + 10 * _stale()) == 0
    assert worker.queued == []
    assert len(handler.received) == 1  # delivered once, and never again by the outbox


def test_death_before_the_hand_over_is_resent_once_after_the_stale_time(
    server: tuple[RecordingHandler, int], worker: InlineWorker
) -> None:
    handler, port = server
    email = _email()
    _send_and_die_at("_mark_handed_over", email.pk, port)  # connected, nothing handed over

    assert handler.received == []
    email.refresh_from_db()
    assert (email.status, email.handed_over_at, email.attempts) == (EmailStatus.SENDING, None, 1)
    assert email.claimed_at is not None
    assert _flush(email.claimed_at + dt.timedelta(seconds=30)) == 0  # it may still be alive
    assert _flush(email.claimed_at + _stale() + dt.timedelta(seconds=1)) == 1
    assert _flush(email.claimed_at + 10 * _stale()) == 0
    assert worker.queued == [email.pk]
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 2)
    assert len(handler.received) == 1
