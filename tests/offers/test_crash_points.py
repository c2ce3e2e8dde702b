"""Offer day's crash point between the release commit and queueing its email.

A case's release writes the outbox row in the same transaction as the release itself;
the email's task is queued only after that commit (``transaction.on_commit``). A process
that dies in between, or a broker that loses the message, leaves a committed release and
a pending email that no task will ever send. The every-minute flush is what sends it:
once, after the stale-pending time. (Crash points inside a send: tests/core/
test_outbox_crash_points.py.)
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings

from offers.models import Release
from offers.services.release import release_complete, release_due
from phasetransfer.core import tasks
from phasetransfer.models import EmailStatus, OutboundEmail
from tests.factories import RoundFactory
from tests.factories.offers import decided_case
from tests.moments import JUST_AFTER_OFFER_DAY
from tests.support.crash import InlineWorker
from tests.support.smtp import RecordingHandler

pytestmark = pytest.mark.django_db(transaction=True)


class WorkerDied(BaseException):
    """The process ends here: raised where no ``except Exception`` can catch it."""


class DiesBeforeQueueing:
    """send_email as seen by a process that dies the moment it would queue the task."""

    def delay(self, email_id: int) -> None:
        raise WorkerDied


def _flush(at: dt.datetime) -> int:
    """The every-minute outbox job, at ``at``."""
    with time_machine.travel(at, tick=False):
        return int(tasks.flush_outbox())


def test_a_release_committed_without_its_email_task_is_emailed_once_by_the_flush(
    smtp: RecordingHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    round_ = RoundFactory()
    case = decided_case(round_)
    [release_id] = release_due(now=JUST_AFTER_OFFER_DAY).dispatched
    real_task = tasks.send_email

    monkeypatch.setattr(tasks, "send_email", DiesBeforeQueueing())
    with pytest.raises(WorkerDied):
        release_complete(release_id=release_id, now=JUST_AFTER_OFFER_DAY)

    # The release and its email are committed; the task that would send it never was.
    assert Release.objects.get(pk=release_id).completed_at == JUST_AFTER_OFFER_DAY
    email = OutboundEmail.objects.get(kind="offer_day", case=case)
    assert (email.status, email.attempts) == (EmailStatus.PENDING, 0)
    assert smtp.received == []

    worker = InlineWorker(real_task)
    monkeypatch.setattr(tasks, "send_email", worker)
    stale = dt.timedelta(seconds=settings.EMAIL_STALE_CLAIM_SECONDS)
    # Within the stale-pending time the flush assumes the email's own task is on its way.
    assert _flush(JUST_AFTER_OFFER_DAY + dt.timedelta(minutes=1)) == 0
    assert worker.queued == []
    assert _flush(JUST_AFTER_OFFER_DAY + stale + dt.timedelta(minutes=1)) == 1
    for minutes in (2, 3, 60):
        assert _flush(JUST_AFTER_OFFER_DAY + stale + dt.timedelta(minutes=minutes)) == 0
    assert worker.queued == [email.pk]
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 1)
    assert len(smtp.received) == 1
    assert smtp.received[0].envelope_to == [email.to]
