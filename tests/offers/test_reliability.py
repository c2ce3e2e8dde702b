"""Offer day against real parts: Redis broker, Celery worker processes, an SMTP server.

The test process plays celery beat: it runs the every-minute jobs (release what is
due, render letters, flush the outbox) in a loop while real workers do the work.

The round's offer day is "just now" on the real clock the workers read: a release made on
the day of the moment is dated the moment (``_first_release_moment``), so the letters
rendered ahead, dated offer day, are the letters the releases publish, one per case.

The kill tests print their figures (recorded in docs/offer-day.md, "Figures from the kill
test"); run them with ``-s`` to see them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.db.models import Count, F
from django.utils import timezone

from offers.models import Letter, Release
from offers.services.letters import current_letters, offer_day_date
from offers.tasks import release_due_task, render_letters_due
from phasetransfer.core import clock
from phasetransfer.core.tasks import flush_outbox
from phasetransfer.models import Case, EmailStatus, OutboundEmail, Round
from tests.factories import RoundFactory
from tests.factories.offers import bulk_round
from tests.support.smtp import RecordingHandler, smtp_server
from tests.support.worker import Worker, celery_worker, tasks_routed_to, wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL,
        reason="needs a real Redis broker (REDIS_URL): runs in the PostgreSQL/Redis pass of CI",
    ),
]

BEAT_SECONDS = 5
# The kills land once this share of the cases has its release completed (and not all have).
KILL_AT = 0.20
RELEASE_TASK = "offers.release_case"


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


def _round_at_the_moment() -> Round:
    """A round whose offer day is just now (a minute ago, on the workers' real clock).

    Never before London's midnight, so the moment and the release job are on one day and
    release 1 is dated offer day, as the letters rendered ahead are.
    """
    now = timezone.now()
    midnight = dt.datetime.combine(now.astimezone(clock.LONDON).date(), dt.time.min)
    start_of_day = midnight.replace(tzinfo=clock.LONDON)
    return RoundFactory(offer_day_at=max(now - dt.timedelta(minutes=1), start_of_day))


# Settled: sent, or handed to the SMTP server by a worker that died before it could record
# the answer ("may have been delivered"; an officer decides, docs/email-delivery.md).
SETTLED = [EmailStatus.SENT, EmailStatus.UNKNOWN]


def _completed(round_: Round) -> int:
    return Release.objects.filter(round=round_, completed_at__isnull=False).count()


def _all_done(round_: Round, cases: int) -> bool:
    emails = OutboundEmail.objects.filter(kind="offer_day", case__round=round_)
    return (
        _completed(round_) == cases
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


def _assert_every_case_told_once(round_: Round, cases: int) -> None:
    """Each case: one release, completed, publishing the case's one current letter; each
    contact (bulk_round: one per case) one email row, settled."""
    releases = Release.objects.filter(round=round_)
    assert releases.filter(number=1, completed_at__isnull=False).count() == cases
    assert not releases.exclude(number=1).exists()
    current = dict(current_letters().filter(case__round=round_).values_list("case_id", "pk"))
    assert len(current) == cases
    published = dict(releases.values_list("case_id", "letter_id"))
    assert published == current, "a release does not publish the case's current letter"
    # The hash a release fixed is the hash of the letter it published.
    assert not releases.exclude(letter_sha256=F("letter__sha256")).exists()
    # Release 1 is the moment's, and its letter is dated offer day.
    assert not releases.exclude(released_at=round_.offer_day_at).exists()
    assert set(Letter.objects.filter(case__round=round_).values_list("dated", flat=True)) == {
        offer_day_date(round_)
    }
    emails = OutboundEmail.objects.filter(kind="offer_day", case__round=round_)
    per_case = Counter(emails.values_list("case_id", flat=True))
    assert len(per_case) == cases
    assert set(per_case.values()) == {1}
    assert emails.values("to").distinct().count() == cases
    assert emails.filter(status__in=SETTLED).count() == cases
    assert not Case.objects.filter(round=round_).annotate(n=Count("contacts")).exclude(n=1).exists()


@dataclass
class KillFigures:
    """What a kill test saw: printed, and recorded in docs/offer-day.md."""

    test: str
    cases: int
    letters_rendered: str  # "ahead" (the render job, before the moment) or "by the release"
    render_ahead_seconds: float | None
    releases_completed_at_kill: int
    release_tasks_queued_at_kill: int
    tasks_in_flight_at_kill: dict[str, int]
    seconds_from_moment_to_kill: float
    emails_received_before_kill: int
    emails_received: int
    distinct_messages: int
    duplicates: int
    unknown: int
    release_tasks_run: int
    task_errors: dict[str, int]
    seconds_from_moment_to_all_done: float
    machine: str

    def show(self) -> None:
        print("\nKILL TEST FIGURES " + json.dumps(asdict(self)))


def _machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = str(cursor.fetchone()[0]).split()[0]
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL).info("server")["redis_version"]
    return (
        f"{platform.system()} {platform.machine()}, {len(os.sched_getaffinity(0))} CPUs, "
        f"PostgreSQL {postgres}, Redis {broker}, "
        f"{timezone.now():%Y-%m-%d %H:%M} UTC"
    )


def _queued_tasks(queue: str) -> Counter[str]:
    """The tasks waiting in the broker's queue (not yet taken by any worker), by name."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    return Counter(json.loads(raw)["headers"]["task"] for raw in broker.lrange(queue, 0, -1))


def _render_ahead(round_: Round, cases: int, worker: Worker) -> float:
    """The every-minute render job, before the moment: one letter per case, rendered and
    stored ahead by the worker. Returns the seconds it took."""
    render_letters_due.delay()
    return wait_for(
        lambda: current_letters().filter(case__round=round_).count() == cases,
        timeout=600,
        worker=worker,
    )


def _in_flight(worker: Worker) -> Counter[str]:
    """Tasks the worker had received and not finished, by name (after a kill: the lost)."""
    running: dict[str, str] = {}
    for name, task_id, event in worker.task_events():
        if event == "received":
            running[task_id] = name
        else:
            running.pop(task_id, None)
    return Counter(running.values())


def _task_errors(worker: Worker) -> dict[str, int]:
    """Tasks that raised (a deadlock, say), by name: each is done again by a later run."""
    return dict(Counter(name for name, _id, event in worker.task_events() if event == "raised"))


def _release_tasks_run(worker: Worker) -> int:
    return sum(
        1
        for name, _id, event in worker.task_events()
        if name == RELEASE_TASK and event != "received"
    )


def test_a_worker_killed_while_releases_run_leaves_every_contact_one_email_and_one_letter(
    tmp_path: Path,
) -> None:
    round_ = _round_at_the_moment()
    cases = 2000
    bulk_round(round_, decided=1200, undecided=800)
    with smtp_server() as (handler, port):
        env = _worker_env(port)
        node = f"worker-kill-{uuid.uuid4().hex[:8]}@localhost"
        with celery_worker(tmp_path, concurrency=2, extra_env=env, node_name=node) as first:
            queue = first.queue
            with tasks_routed_to(queue):
                # What the render job does in the days before the moment (here, just before
                # the release job first runs): every letter rendered and stored ahead.
                render_seconds = _render_ahead(round_, cases, first)
                assert _completed(round_) == 0
                # The moment: the every-minute release job (twice at once: the lease decides).
                # The kill comes seconds later, before the beat's next minute.
                moment = time.monotonic()
                release_due_task.delay()
                release_due_task.delay()
                wait_for(
                    lambda: _completed(round_) >= cases * KILL_AT,
                    timeout=300,
                    worker=first,
                    poll=0.1,
                )
                # A pool process frozen inside a release task, so the kill surely lands in
                # one; then the worker and its pool are killed together.
                first.stop_child_running(RELEASE_TASK)
                first.kill()
        at_kill = time.monotonic() - moment
        completed_at_kill = _completed(round_)
        received_before_kill = len(handler.received)
        queued_at_kill = _queued_tasks(queue)
        in_flight_at_kill = _in_flight(first)
        # The kill landed while releases were running: release tasks died with the worker,
        # and many more were still waiting in the queue.
        assert cases * KILL_AT <= completed_at_kill < cases * 0.9, completed_at_kill
        assert queued_at_kill[RELEASE_TASK] > 0, queued_at_kill
        assert in_flight_at_kill[RELEASE_TASK] > 0, in_flight_at_kill
        assert received_before_kill < cases
        with celery_worker(tmp_path, concurrency=2, queue=queue, extra_env=env) as second:
            with tasks_routed_to(queue):
                wait_for(
                    lambda: _all_done(round_, cases),
                    timeout=600,
                    worker=second,
                    every=_beat,
                    every_seconds=BEAT_SECONDS,
                )
                all_done = time.monotonic() - moment
                # Both workers log to one file (the queue's); read before shutting down.
                release_tasks_run, task_errors = _release_tasks_run(second), _task_errors(second)
    _assert_exactly_once(round_, handler, cases)
    _assert_every_case_told_once(round_, cases)
    # Only an email a worker had handed to the SMTP server when it was killed can be left
    # "may have been delivered" (not resent by the outbox): at most one per pool process.
    unknown = OutboundEmail.objects.filter(
        kind="offer_day", case__round=round_, status=EmailStatus.UNKNOWN
    )
    assert unknown.count() <= 2, "more emails of unknown outcome than emails in flight"
    assert len(handler.received) >= cases - unknown.count()
    distinct = len({r.message_id for r in handler.received})
    KillFigures(
        test="worker killed (main process and its pool, SIGKILL)",
        cases=cases,
        letters_rendered="ahead",
        render_ahead_seconds=round(render_seconds, 1),
        releases_completed_at_kill=completed_at_kill,
        release_tasks_queued_at_kill=queued_at_kill[RELEASE_TASK],
        tasks_in_flight_at_kill=dict(in_flight_at_kill),
        seconds_from_moment_to_kill=round(at_kill, 1),
        emails_received_before_kill=received_before_kill,
        emails_received=len(handler.received),
        distinct_messages=distinct,
        duplicates=len(handler.received) - distinct,
        unknown=unknown.count(),
        release_tasks_run=release_tasks_run,
        task_errors=task_errors,
        seconds_from_moment_to_all_done=round(all_done, 1),
        machine=_machine(),
    ).show()


def test_a_pool_child_killed_mid_release_is_replaced_and_its_task_redelivered(
    tmp_path: Path,
) -> None:
    round_ = _round_at_the_moment()
    cases = 300
    bulk_round(round_, decided=180, undecided=120)
    node = f"child-kill-{uuid.uuid4().hex[:8]}@localhost"
    with smtp_server() as (handler, port):
        env = _worker_env(port)
        with celery_worker(tmp_path, concurrency=2, extra_env=env, node_name=node) as worker:
            with tasks_routed_to(worker.queue):
                # The moment. No letter rendered ahead (decided late, say): each release
                # renders its own, so a release task is slow and the kill lands inside one.
                moment = time.monotonic()
                wait_for(
                    lambda: _completed(round_) >= cases * KILL_AT,
                    timeout=300,
                    worker=worker,
                    every=_beat,
                    every_seconds=BEAT_SECONDS,
                    poll=0.1,
                )
                pool = worker.children()
                assert len(pool) == 2, pool
                # A pool process inside a release task, frozen there, then killed.
                victim, task_id = worker.stop_child_running(RELEASE_TASK)
                worker.kill_child(victim)
                at_kill = time.monotonic() - moment
                completed_at_kill = _completed(round_)
                received_before_kill = len(handler.received)
                queued_at_kill = _queued_tasks(worker.queue)
                in_flight_at_kill = _in_flight(worker)
                assert completed_at_kill < cases * 0.9, completed_at_kill
                assert queued_at_kill[RELEASE_TASK] > 0, queued_at_kill
                # The worker itself lives on and replaces its pool process.
                wait_for(
                    lambda: len(worker.children()) == 2 and victim not in worker.children(),
                    timeout=60,
                    worker=worker,
                )
                wait_for(
                    lambda: _all_done(round_, cases),
                    timeout=600,
                    worker=worker,
                    every=_beat,
                    every_seconds=BEAT_SECONDS,
                )
                all_done = time.monotonic() - moment
                assert worker.process.poll() is None
                events = worker.task_events()
                release_tasks_run, task_errors = _release_tasks_run(worker), _task_errors(worker)
    # The release task the child was frozen in and killed was handed back to the broker
    # (acks_late, reject_on_worker_lost) and received again: the only message the worker
    # received twice. Its first run never ended; its second did (it succeeded or, rarely,
    # lost a deadlock to a render of the same case; then a later run completed the release).
    received = Counter(i for _name, i, event in events if event == "received")
    assert {i for i, n in received.items() if n > 1} == {task_id}
    lost_runs = [event for _name, i, event in events if i == task_id]
    assert lost_runs[:2] == ["received", "received"], lost_runs
    assert lost_runs[2:] in (["succeeded"], ["raised"]), lost_runs
    _assert_exactly_once(round_, handler, cases)
    _assert_every_case_told_once(round_, cases)
    unknown = OutboundEmail.objects.filter(
        kind="offer_day", case__round=round_, status=EmailStatus.UNKNOWN
    )
    assert unknown.count() <= 1, "one child killed: at most one email in flight"
    assert len(handler.received) >= cases - unknown.count()
    distinct = len({r.message_id for r in handler.received})
    KillFigures(
        test=f"one pool process killed (SIGKILL) inside {RELEASE_TASK}: redelivered, "
        f"{lost_runs[-1]}",
        cases=cases,
        letters_rendered="by the release",
        render_ahead_seconds=None,
        releases_completed_at_kill=completed_at_kill,
        release_tasks_queued_at_kill=queued_at_kill[RELEASE_TASK],
        tasks_in_flight_at_kill=dict(in_flight_at_kill),
        seconds_from_moment_to_kill=round(at_kill, 1),
        emails_received_before_kill=received_before_kill,
        emails_received=len(handler.received),
        distinct_messages=distinct,
        duplicates=len(handler.received) - distinct,
        unknown=unknown.count(),
        release_tasks_run=release_tasks_run,
        task_errors=task_errors,
        seconds_from_moment_to_all_done=round(all_done, 1),
        machine=_machine(),
    ).show()


def test_an_smtp_server_failing_one_send_in_ten_ends_with_all_sent_once(tmp_path: Path) -> None:
    round_ = _round_at_the_moment()
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
    round_ = _round_at_the_moment()
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
