"""The outbox through GOV.UK Notify (a fake of its API on loopback, tests/fakes/notify.py):
each channel, Notify's "no" answers, and exactly once when an answer is lost.

The worker deaths are real, as in test_outbox_crash_points: a separate process sends and
``os._exit`` ends it at the named point, after Notify has created the message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.conf import settings

from phasetransfer.core import clock, tasks
from phasetransfer.core.outbox import email_send, emails_settle_stale
from phasetransfer.models import Channel, DeliveryStatus, EmailStatus, OutboundEmail, Provider
from tests.fakes.notify import FakeNotify
from tests.support.crash import InlineWorker, send_and_die_at


@pytest.fixture
def notify(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeNotify]:
    with FakeNotify() as fake:
        email = fake.register_template(None, "email", "((subject))", "((body))")
        text = fake.register_template(None, "sms", None, "((body))")
        for name, value in {
            "NOTIFY_API_KEY": fake.api_key("phase-transfer"),
            "NOTIFY_BASE_URL": fake.base_url,
            "NOTIFY_TEMPLATE_EMAIL": email,
            "NOTIFY_TEMPLATE_SMS": text,
            "NOTIFY_TIMEOUT_SECONDS": 5,
        }.items():
            monkeypatch.setattr(settings, name, value)
        yield fake


def _message(channel: str = Channel.EMAIL, to: str = "family@example.org") -> OutboundEmail:
    now = clock.now()
    return OutboundEmail.objects.create(
        key=f"offer:1:1:{channel}:v1",
        kind="offer_day",
        channel=channel,
        to=to,
        subject="Your SEN phase transfer outcome is ready" if channel == Channel.EMAIL else "",
        body="Sign in to see it: https://example.org/sign-in/",
        created_at=now,
        next_attempt_at=now,
    )


def _later(message: OutboundEmail, seconds: int = 3600) -> dt.datetime:
    return clock.now() + dt.timedelta(seconds=seconds)


@pytest.mark.django_db
def test_an_email_goes_through_notify_once_with_its_key_as_reference(notify: FakeNotify) -> None:
    message = _message()
    assert email_send(email_id=message.pk)
    message.refresh_from_db()
    (sent,) = notify.notifications
    assert sent["reference"] == message.key
    assert sent["subject"] == message.subject
    assert sent["body"] == message.body
    assert (message.status, message.provider) == (EmailStatus.SENT, Provider.NOTIFY)
    assert str(message.notify_id) == sent["id"]
    assert message.delivery_status == DeliveryStatus.CREATED
    assert not email_send(email_id=message.pk)  # sent: nothing to claim
    assert len(notify.notifications) == 1


@pytest.mark.django_db
def test_a_text_message_goes_to_the_mobile_number(notify: FakeNotify) -> None:
    message = _message(Channel.SMS, to="07700 900123")
    assert email_send(email_id=message.pk)
    (sent,) = notify.notifications
    assert sent["type"] == "sms"
    assert sent["body"] == message.body


@pytest.mark.django_db
def test_a_lost_answer_is_settled_by_asking_notify_not_by_sending_again(
    notify: FakeNotify,
) -> None:
    message = _message()
    notify.drop_next_response()  # Notify creates it; the answer never arrives
    assert not email_send(email_id=message.pk)
    message.refresh_from_db()
    assert message.status == EmailStatus.FAILED
    assert "no answer" in message.last_error
    assert len(notify.notifications) == 1
    # The next attempt asks for the reference, finds the message, and records it as sent.
    assert not email_send(email_id=message.pk, now=_later(message))
    message.refresh_from_db()
    assert message.status == EmailStatus.SENT
    assert str(message.notify_id) == notify.notifications[0]["id"]
    assert len(notify.notifications) == 1  # exactly once


@pytest.mark.django_db
def test_a_request_that_never_reached_notify_is_sent_on_the_next_attempt(
    notify: FakeNotify,
) -> None:
    message = _message()
    notify.drop_next_response(after_processing=False)
    assert not email_send(email_id=message.pk)
    assert notify.notifications == []
    assert email_send(email_id=message.pk, now=_later(message))
    assert len(notify.notifications) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("status", [429, 500, 503])
def test_notifys_no_created_nothing_and_is_retried_after_the_backoff(
    notify: FakeNotify, status: int
) -> None:
    message = _message()
    notify.fail_next(status)
    assert not email_send(email_id=message.pk)
    message.refresh_from_db()
    assert message.status == EmailStatus.FAILED
    assert message.last_error.startswith(f"Notify {status}")
    assert "family@example.org" not in message.last_error
    assert not email_send(email_id=message.pk)  # not before the backoff
    assert email_send(email_id=message.pk, now=_later(message))
    assert len(notify.notifications) == 1


@pytest.mark.django_db
def test_a_bad_number_is_not_retried(notify: FakeNotify) -> None:
    message = _message(Channel.SMS, to="01632 960001")  # a landline
    assert not email_send(email_id=message.pk)
    message.refresh_from_db()
    assert message.status == EmailStatus.ABANDONED
    assert message.last_error.startswith("Notify 400")
    assert notify.notifications == []


@pytest.mark.django_db
def test_without_notify_a_text_message_is_not_sent(settings: Any) -> None:
    settings.NOTIFY_API_KEY = ""
    message = _message(Channel.SMS, to="07700 900123")
    assert not email_send(email_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.last_error) == (
        EmailStatus.SUPPRESSED,
        "GOV.UK Notify is not configured",
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_notifys_answer_and_the_commit_sends_exactly_once(
    notify: FakeNotify, monkeypatch: pytest.MonkeyPatch
) -> None:
    inline = InlineWorker(tasks.send_email)
    monkeypatch.setattr(tasks, "send_email", inline)
    message = _message()
    notify_env = {
        name: str(getattr(settings, name))
        for name in (
            "NOTIFY_API_KEY",
            "NOTIFY_BASE_URL",
            "NOTIFY_TEMPLATE_EMAIL",
            "NOTIFY_TEMPLATE_SMS",
        )
    }
    send_and_die_at("_record_sent", message.pk, notify_env)  # Notify said 201; the worker died
    assert len(notify.notifications) == 1
    message.refresh_from_db()
    assert (message.status, message.provider) == (EmailStatus.SENDING, Provider.NOTIFY)
    assert message.claimed_at is not None
    stale = message.claimed_at + dt.timedelta(seconds=settings.EMAIL_STALE_CLAIM_SECONDS + 1)
    with time_machine.travel(stale, tick=False):
        tasks.flush_outbox()  # settles the dead claim, then hands it out again
        tasks.flush_outbox()
    message.refresh_from_db()
    assert message.status == EmailStatus.SENT
    assert str(message.notify_id) == notify.notifications[0]["id"]
    assert len(notify.notifications) == 1  # never a second copy


@pytest.mark.django_db
def test_a_dead_claim_after_notify_is_asked_about_not_left_unknown(notify: FakeNotify) -> None:
    message = _message()
    claimed = clock.now() - dt.timedelta(seconds=settings.EMAIL_STALE_CLAIM_SECONDS + 5)
    OutboundEmail.objects.filter(pk=message.pk).update(
        status=EmailStatus.SENDING,
        claimed_at=claimed,
        handed_over_at=claimed,
        provider=Provider.NOTIFY,
    )
    assert emails_settle_stale() == 0  # not "may have been delivered": Notify can be asked
    message.refresh_from_db()
    assert message.status == EmailStatus.FAILED
    assert email_send(email_id=message.pk)  # Notify had nothing: sent now, once
    assert len(notify.notifications) == 1
