"""What each phase of a send leaves on the row, against real SMTP servers on loopback.

Before the hand-over nothing can have arrived: FAILED, retried. A server that answers
"no" did not take the message: FAILED, retried. An attempt that ends without an answer
after the hand-over may have delivered it: UNKNOWN, never resent by the outbox itself,
only by a person (docs/email-delivery.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from phasetransfer.core import outbox
from phasetransfer.core.clock import LONDON
from phasetransfer.core.outbox import (
    RESENT_AFTER_UNKNOWN,
    email_enqueue,
    email_retry,
    email_send,
    emails_due,
    emails_retry,
    emails_settle_stale,
)
from phasetransfer.core.outbox_selectors import round_email_counts, round_email_problems
from phasetransfer.core.roles import Role
from phasetransfer.models import AuditEvent, EmailStatus, OutboundEmail, User
from tests.factories import CaseFactory, RoundFactory, UserFactory
from tests.support.smtp import RecordingHandler, smtp_server, unused_port

# Any moment will do: the outbox knows nothing of rounds (not a moment of tests/moments.py).
ENQUEUED_AT = dt.datetime(2026, 11, 27, 12, 0, tzinfo=LONDON)
TO = "family@example.org"
CLIENT_TIMEOUT = 1  # seconds the client waits for each answer
LATE = 3  # seconds the slow server takes to say "250 OK": after the client gave up


def _smtp(port: int, **extra: Any) -> override_settings:
    values: dict[str, Any] = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": port,
        "EMAIL_USE_TLS": False,
        "EMAIL_TIMEOUT": CLIENT_TIMEOUT,
    }
    return override_settings(**{**values, **extra})


def _enqueue(key: str = "k", case: Any = None) -> OutboundEmail:
    return email_enqueue(
        key=key, kind="offer_day", to=TO, subject="s", body="b", case=case, now=ENQUEUED_AT
    )


def _later(settings: Any, seconds: int = 1) -> dt.datetime:
    """A moment after a claim taken at ENQUEUED_AT counts as stale."""
    return ENQUEUED_AT + dt.timedelta(seconds=settings.EMAIL_STALE_CLAIM_SECONDS + seconds)


@pytest.fixture
def officer(db: None) -> User:
    return UserFactory(roles=[Role.CASEWORKER])


@pytest.fixture
def slow_server() -> Iterator[tuple[RecordingHandler, int]]:
    with smtp_server(reply_delay=LATE) as (handler, port), _smtp(port):
        yield handler, port


@pytest.mark.django_db
def test_a_reply_after_the_timeout_is_unknown_and_never_resent_by_the_outbox(
    slow_server: tuple[RecordingHandler, int], settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    handler, _ = slow_server
    email = _enqueue()
    with caplog.at_level(logging.INFO):
        assert not email_send(email_id=email.pk, now=ENQUEUED_AT)
    email.refresh_from_db()
    assert email.status == EmailStatus.UNKNOWN
    assert email.get_status_display() == "May have been delivered"
    assert email.handed_over_at == ENQUEUED_AT
    assert email.last_error == "SMTPServerDisconnected:"  # the class; no address, no text
    assert len(handler.received) == 1  # the server has it: a resend would be a duplicate
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("phasetransfer")]
    assert ours
    assert not any(TO in line for line in ours)  # (the test server logs it; we don't)
    # Neither the next flush nor any later one hands it out; a stray task cannot send it.
    for moment in (
        ENQUEUED_AT + dt.timedelta(minutes=1),
        _later(settings),
        ENQUEUED_AT.replace(day=29),
    ):
        assert emails_settle_stale(now=moment) == 0
        assert emails_due(now=moment) == []
        assert not email_send(email_id=email.pk, now=moment)
    assert len(handler.received) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.UNKNOWN, 1)


@pytest.mark.django_db
def test_only_a_named_person_can_send_again_an_email_that_may_have_arrived(
    slow_server: tuple[RecordingHandler, int], officer: User
) -> None:
    handler, _ = slow_server
    case = CaseFactory()
    email = _enqueue(case=case)
    email_send(email_id=email.pk, now=ENQUEUED_AT)
    first_id = handler.received[0].message_id

    assert not email_retry(email_id=email.pk)  # no one named: not a failure to retry
    email.refresh_from_db()
    assert email.status == EmailStatus.UNKNOWN

    resent_at = ENQUEUED_AT + dt.timedelta(hours=1)
    assert email_retry(email_id=email.pk, actor=officer, now=resent_at)
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING
    assert (email.resent_by, email.resent_at) == (officer, resent_at)
    assert email.resend_note == RESENT_AFTER_UNKNOWN
    assert email.resends_after_unknown == 1
    assert email.handed_over_at is None  # the new attempt starts before its hand-over
    event = AuditEvent.objects.get(case=case, action="email_resent")
    assert event.actor == officer
    assert event.data == {
        "email": email.pk,
        "kind": "offer_day",
        "status": "unknown",
        "attempts": 1,
    }

    handler.reply_delay = 0  # the server answers in time now
    assert email_send(email_id=email.pk, now=resent_at)
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.resend_note == RESENT_AFTER_UNKNOWN  # the record of the choice stays
    # Delivered twice, deliberately, as the same message: the receiver can drop the copy.
    assert [r.message_id for r in handler.received] == [first_id, first_id]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("where", "reply", "error"),
    [
        ("refuse_rcpt", "550 5.1.1 Mailbox unavailable", "SMTPRecipientsRefused: 550"),
        ("refuse_rcpt", "452 4.2.2 Mailbox full", "SMTPRecipientsRefused: 452"),
        ("refuse_data", "554 5.7.1 Message rejected", "SMTPDataError: 554"),
        ("refuse_data", "421 4.3.2 Shutting down", "SMTPDataError: 421"),
    ],
)
def test_a_refusal_the_server_answered_is_a_failure_retried_after_backoff(
    where: str, reply: str, error: str, settings: Any
) -> None:
    with smtp_server(**{where: reply}) as (handler, port), _smtp(port):
        email = _enqueue()
        assert not email_send(email_id=email.pk, now=ENQUEUED_AT)
        email.refresh_from_db()
        assert email.status == EmailStatus.FAILED
        assert email.last_error == error
        assert TO not in email.last_error
        assert handler.received == []
        retry_at = ENQUEUED_AT + dt.timedelta(seconds=settings.EMAIL_BACKOFF_SECONDS[0])
        assert email.next_attempt_at == retry_at
        assert emails_due(now=retry_at) == [email.pk]
        setattr(handler, where, None)
        assert email_send(email_id=email.pk, now=retry_at)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 2)
    assert len(handler.received) == 1


@pytest.mark.django_db
def test_nothing_listening_is_a_failure_with_nothing_handed_over(settings: Any) -> None:
    with _smtp(unused_port()):
        email = _enqueue()
        assert not email_send(email_id=email.pk, now=ENQUEUED_AT)
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.last_error == "ConnectionRefusedError:"
    assert email.handed_over_at is None
    retry_at = ENQUEUED_AT + dt.timedelta(seconds=settings.EMAIL_BACKOFF_SECONDS[0])
    assert emails_due(now=retry_at) == [email.pk]


@pytest.mark.django_db
def test_a_server_without_the_tls_we_require_is_a_failure_before_the_hand_over() -> None:
    with smtp_server() as (handler, port), _smtp(port, EMAIL_USE_TLS=True):
        email = _enqueue()
        assert not email_send(email_id=email.pk, now=ENQUEUED_AT)
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.last_error == "SMTPNotSupportedError:"
    assert email.handed_over_at is None
    assert handler.received == []


@pytest.mark.django_db
def test_a_late_250_after_a_flush_gave_up_on_the_attempt_still_records_sent(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """The flush calls a long-silent attempt UNKNOWN; if the server's "250 OK" then arrives,
    the email was delivered and the row says so."""
    real_hand_over = outbox._hand_over

    def flush_runs_during_the_send(*args: Any) -> int:
        assert emails_settle_stale(now=_later(settings)) == 1
        assert OutboundEmail.objects.get().status == EmailStatus.UNKNOWN
        return real_hand_over(*args)

    monkeypatch.setattr(outbox, "_hand_over", flush_runs_during_the_send)
    with smtp_server() as (handler, port), _smtp(port):
        email = _enqueue()
        assert email_send(email_id=email.pk, now=ENQUEUED_AT)
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert len(handler.received) == 1


@pytest.mark.django_db
def test_a_dead_workers_claim_is_taken_over_only_if_it_never_reached_the_hand_over(
    settings: Any,
) -> None:
    before, after = _enqueue("before"), _enqueue("after")
    OutboundEmail.objects.filter(pk=before.pk).update(
        status=EmailStatus.SENDING, claimed_at=ENQUEUED_AT, attempts=1
    )
    OutboundEmail.objects.filter(pk=after.pk).update(
        status=EmailStatus.SENDING, claimed_at=ENQUEUED_AT, attempts=1, handed_over_at=ENQUEUED_AT
    )
    soon = ENQUEUED_AT + dt.timedelta(seconds=5)
    assert emails_settle_stale(now=soon) == 0  # the workers may still be on them
    assert emails_due(now=soon) == []
    assert emails_settle_stale(now=_later(settings)) == 1
    assert emails_due(now=_later(settings)) == [before.pk]
    after.refresh_from_db()
    assert after.status == EmailStatus.UNKNOWN
    assert after.last_error == outbox.STOPPED_AFTER_HANDOVER


@pytest.mark.django_db
def test_a_claim_taken_over_while_its_worker_was_connecting_is_not_sent_twice(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """The first worker stalled before its hand-over for longer than the stale time; the
    second took the row over. The first must then not hand its copy over."""
    real_connect = outbox._connect
    taken_over: list[bool] = []

    def a_second_worker_takes_over_meanwhile(email: OutboundEmail) -> Any:
        monkeypatch.setattr(outbox, "_connect", real_connect)  # only the first worker stalls
        taken_over.append(email_send(email_id=email.pk, now=_later(settings)))
        return real_connect(email)

    monkeypatch.setattr(outbox, "_connect", a_second_worker_takes_over_meanwhile)
    with smtp_server() as (handler, port), _smtp(port):
        email = _enqueue()
        assert not email_send(email_id=email.pk, now=ENQUEUED_AT)
    assert taken_over == [True]
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 2)
    assert len(handler.received) == 1


@pytest.mark.django_db
def test_retry_all_sends_again_the_failed_the_abandoned_and_the_unknown_and_records_who(
    officer: User,
) -> None:
    round_ = RoundFactory()
    rows = {}
    for status in EmailStatus.values:
        email = _enqueue(key=status, case=CaseFactory(round=round_))
        fields: dict[str, Any] = {"status": status, "attempts": 3}
        if status == EmailStatus.UNKNOWN:
            fields["handed_over_at"] = ENQUEUED_AT
        if status == EmailStatus.SENT:
            fields["sent_at"] = ENQUEUED_AT
        OutboundEmail.objects.filter(pk=email.pk).update(**fields)
        rows[status] = email.pk
    other_round = _enqueue(key="elsewhere", case=CaseFactory(round__entry_year=2028))
    OutboundEmail.objects.filter(pk=other_round.pk).update(status=EmailStatus.FAILED)

    problems = round_email_problems(round_id=round_.pk)
    assert [e.status for e in problems] == ["unknown", "abandoned", "failed"]
    counts = round_email_counts(round_id=round_.pk)
    assert counts["unknown"] == counts["failed"] == counts["sent"] == 1

    moment = ENQUEUED_AT + dt.timedelta(hours=2)
    ids = [e.pk for e in problems]
    # "Retry all" leaves alone what may have been delivered, even when asked by its id...
    assert emails_retry(email_ids=ids, actor=officer, now=moment) == 2
    assert OutboundEmail.objects.get(pk=rows[EmailStatus.UNKNOWN]).status == EmailStatus.UNKNOWN
    # ...unless the person says so.
    assert emails_retry(email_ids=ids, actor=officer, include_unknown=True, now=moment) == 1
    assert emails_retry(email_ids=ids, actor=officer, include_unknown=True, now=moment) == 0
    after = dict(OutboundEmail.objects.values_list("pk", "status"))
    for status in (EmailStatus.UNKNOWN, EmailStatus.FAILED, EmailStatus.ABANDONED):
        assert after[rows[status]] == EmailStatus.PENDING
    for status in (EmailStatus.SENT, EmailStatus.SENDING, EmailStatus.SUPPRESSED):
        assert after[rows[status]] == status  # nothing else is touched
    assert after[other_round.pk] == EmailStatus.FAILED
    resent = OutboundEmail.objects.filter(resent_by=officer, resent_at=moment, attempts=0)
    assert resent.count() == 3
    assert resent.filter(resends_after_unknown=1).get().pk == rows[EmailStatus.UNKNOWN]
    assert AuditEvent.objects.filter(action="email_resent", actor=officer).count() == 3
