"""Offer day against real parts: Redis broker, Celery worker processes, an SMTP server.

The test process plays celery beat: it runs the every-minute jobs (release what is
due, render letters, flush the outbox) in a loop while real workers do the work.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from offers.models import Letter, Release
from offers.tasks import release_due_task, render_letters_due
from phasetransfer.core.tasks import flush_outbox
from phasetransfer.models import EmailStatus, OutboundEmail, Round
from tests.factories import RoundFactory
from tests.factories.offers import bulk_round
from tests.support.smtp import RecordingHandler, smtp_server
from tests.support.worker import celery_worker, tasks_routed_to, wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL,
        reason="needs a real Redis broker (REDIS_URL): runs in the PostgreSQL/Redis pass of CI",
    ),
]

PAST_OFFER_DAY = dt.datetime(2026, 11, 1, 16, 0, tzinfo=dt.UTC)
BEAT_SECONDS = 5


def _worker_env(port: int) -> dict[str, str]:
    return {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        # Short timers so recovery after a crash happens within the test, not in minutes.
        "EMAIL_STALE_CLAIM_SECONDS": "5",
        "OFFERS_REDISPATCH_SECONDS": "5",
        "OFFERS_RENDER_REQUEST_SECONDS": "10",
        "EMAIL_BACKOFF_SECONDS": "1,1,1,1,1,1,1,1,1,1,1,1",
    }


def _beat() -> None:
    """What celery beat sends every minute (sent every BEAT_SECONDS: the timers are short)."""
    release_due_task.delay()
    render_letters_due.delay()
    flush_outbox.delay()


def _round_with_past_offer_day() -> Round:
    # Offer day has passed (the release is due); set after creation as the model refuses
    # nothing about the past, only the deadline.
    round_ = RoundFactory(offer_day_at=PAST_OFFER_DAY)
    return round_


# Settled: sent, or handed to the SMTP server by a worker that died before it could record
# the answer ("may have been delivered"; an officer decides, docs/email-delivery.md).
SETTLED = [EmailStatus.SENT, EmailStatus.UNKNOWN]


def _all_done(round_: Round, cases: int) -> bool:
    emails = OutboundEmail.objects.filter(kind="offer_day", case__round=round_)
    return (
        Release.objects.filter(round=round_, completed_at__isnull=False).count() == cases
        and emails.count() == cases
        and emails.filter(status__in=SETTLED).count() == cases
        and Letter.objects.filter(case__round=round_, superseded_at__isnull=True).count() == cases
    )


def _assert_exactly_once(round_: Round, handler: RecordingHandler, cases: int) -> None:
    """Every sent email reached its contact once; none was ever delivered twice; an email
    that may have been delivered reached its contact at most once."""
    emails = OutboundEmail.objects.filter(kind="offer_day", case__round=round_)
    distinct = {(r.envelope_to[0], r.message_id) for r in handler.received}
    assert len(handler.received) == len(distinct), "the outbox delivered a message twice"
    per_contact = Counter(to for to, _ in distinct)
    assert set(per_contact.values()) <= {1}, "a contact got two different emails"
    sent_to = set(emails.filter(status=EmailStatus.SENT).values_list("to", flat=True))
    assert len(sent_to) == emails.filter(status=EmailStatus.SENT).count()
    assert sent_to <= set(per_contact), "an email recorded as sent never arrived"
    assert set(per_contact) <= set(emails.values_list("to", flat=True))
    assert Letter.objects.filter(case__round=round_).count() == cases  # never a second letter
    assert Release.objects.filter(round=round_).count() == cases


def test_a_worker_killed_mid_release_leaves_every_contact_one_email_and_every_case_one_letter(
    tmp_path: Path,
) -> None:
    round_ = _round_with_past_offer_day()
    cases = 2000
    bulk_round(round_, decided=1200, undecided=800)
    with smtp_server() as (handler, port):
        env = _worker_env(port)
        with celery_worker(tmp_path, concurrency=2, extra_env=env) as first:
            queue = first.queue
            with tasks_routed_to(queue):
                release_due_task.delay()
                release_due_task.delay()  # the release job twice at once: the lease decides
                render_letters_due.delay()
                wait_for(lambda: len(handler.received) >= 500, timeout=240, worker=first)
                first.kill()
        sent_before_crash = len(handler.received)
        assert sent_before_crash < cases, "the crash came too late to test anything"
        with celery_worker(tmp_path, concurrency=2, queue=queue, extra_env=env) as second:
            with tasks_routed_to(queue):
                wait_for(
                    lambda: _all_done(round_, cases),
                    timeout=600,
                    worker=second,
                    every=_beat,
                    every_seconds=BEAT_SECONDS,
                )
    _assert_exactly_once(round_, handler, cases)
    # Only an email a worker had handed to the SMTP server when it was killed can be left
    # "may have been delivered" (not resent by the outbox): at most one per pool process.
    unknown = OutboundEmail.objects.filter(
        kind="offer_day", case__round=round_, status=EmailStatus.UNKNOWN
    )
    assert unknown.count() <= 2, "more emails of unknown outcome than emails in flight"
    assert len(handler.received) >= cases - unknown.count()


def test_an_smtp_server_failing_one_send_in_ten_ends_with_all_sent_once(tmp_path: Path) -> None:
    round_ = _round_with_past_offer_day()
    cases = 300
    bulk_round(round_, decided=300, undecided=0)
    with smtp_server(failure_rate=0.10) as (handler, port):
        with celery_worker(tmp_path, concurrency=2, extra_env=_worker_env(port)) as worker:
            with tasks_routed_to(worker.queue):
                release_due_task.delay()
                wait_for(
                    lambda: _all_done(round_, cases),
                    timeout=400,
                    worker=worker,
                    every=_beat,
                    every_seconds=BEAT_SECONDS,
                )
    assert handler.rejected > 0, "the failing server never failed"
    retried = OutboundEmail.objects.filter(kind="offer_day", attempts__gt=1).count()
    assert retried > 0  # failures were recorded on the rows staff see
    assert len(handler.received) == cases  # a 451 is not a delivery: no duplicates at all
    _assert_exactly_once(round_, handler, cases)
    assert not OutboundEmail.objects.filter(status=EmailStatus.UNKNOWN).exists()  # a 451 is a "no"


def test_two_release_jobs_at_the_same_moment_release_each_case_once() -> None:
    round_ = _round_with_past_offer_day()
    bulk_round(round_, decided=50, undecided=50)
    from offers.services.release import release_due

    results = []

    def run() -> None:
        try:
            results.append(release_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    dispatched = [pk for summary in results for pk in summary.dispatched]
    assert len(dispatched) == len(set(dispatched)) == 100
    assert Release.objects.filter(round=round_).count() == 100
