"""Results day through a real Celery worker, Redis broker and SMTP server (issue 19): every
conditional offer that can be settled goes out as one amended release, one email and one
letter per family, exactly once, even when the settling is asked for twice."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from offers.models import Release, SettlementRun
from offers.services.results import results_import
from offers.services.settlement import SettlementRefused, settlement_request
from offers.tasks import release_due_task, settle_round
from panels.models import Decision, Settled
from phasetransfer.core import clock
from phasetransfer.core.roles import Role
from phasetransfer.core.tasks import flush_outbox
from phasetransfer.models import Phase, Round, RunStatus
from tests.factories import RoundFactory, SettingFactory, UserFactory
from tests.factories.offers import conditional_case
from tests.support.smtp import smtp_server
from tests.support.worker import celery_worker, tasks_routed_to, wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL,
        reason="needs a real Redis broker (REDIS_URL): runs in the PostgreSQL/Redis pass of CI",
    ),
]

MET = ["English Language,6", "Mathematics,5", "History,5", "Geography,4", "Biology,4"]
MISSED = ["English Language,6", "Mathematics,3", "History,5", "Geography,4", "Biology,4"]
NO_MATHS = ["English Language,6", "History,5", "Geography,4", "Biology,4", "French,4"]
CHANGED = "Your SEN phase transfer outcome has changed"


def _worker_env(port: int) -> dict[str, str]:
    return {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "OFFERS_REDISPATCH_SECONDS": "5",
        "EMAIL_STALE_CLAIM_SECONDS": "5",
    }


def _beat() -> None:
    release_due_task.delay()
    flush_outbox.delay()


def _post16_round_at_the_moment() -> Round:
    """Offer day a minute ago on the worker's real clock (never before London's midnight)."""
    now = timezone.now()
    midnight = dt.datetime.combine(now.astimezone(clock.LONDON).date(), dt.time.min)
    return RoundFactory(
        phase=Phase.POST16,
        offer_day_at=max(now - dt.timedelta(minutes=1), midnight.replace(tzinfo=clock.LONDON)),
    )


def test_results_day_through_a_worker_tells_each_settled_family_once(tmp_path: Path) -> None:
    round_ = _post16_round_at_the_moment()
    second = SettingFactory(name="Second College")
    cases = [
        conditional_case(
            round_, email=f"family{n}@example.org", otherwise=second if n % 2 else None
        )
        for n in range(12)
    ]
    met, missed, waiting = cases[:5], cases[5:9], cases[9:]
    caseworker = UserFactory(roles=[Role.CASEWORKER])
    with smtp_server() as (handler, port):
        with celery_worker(tmp_path, concurrency=2, extra_env=_worker_env(port)) as worker:
            with tasks_routed_to(worker.queue):
                # Offer day: every family told its conditional offer (release 1).
                wait_for(
                    lambda: (
                        Round.objects.get(pk=round_.pk).offer_day_published_at is not None
                        and len(handler.received) == len(cases)
                    ),
                    timeout=300,
                    worker=worker,
                    every=_beat,
                    every_seconds=3,
                )
                rows = ["candidate,subject,grade"]
                for group, grades in ((met, MET), (missed, MISSED), (waiting, NO_MATHS)):
                    rows += [f"{c.reference},{g}" for c in group for g in grades]
                report = results_import(round_=round_, source="\n".join(rows).encode())
                assert report.ok, report.errors

                run = settlement_request(round_=round_, actor=caseworker)
                with pytest.raises(SettlementRefused):
                    settlement_request(round_=round_, actor=caseworker)  # a second click
                settle_round.delay(run.pk)
                settle_round.delay(run.pk)  # the same task delivered twice
                settled = len(met) + len(missed)
                wait_for(
                    lambda: (
                        Release.objects.filter(
                            round=round_, number=2, completed_at__isnull=False
                        ).count()
                        == settled
                        and len(handler.received) == len(cases) + settled
                    ),
                    timeout=300,
                    worker=worker,
                    every=_beat,
                    every_seconds=3,
                )
                # Settling again changes nothing: a few more beats send nothing more.
                again = settlement_request(round_=round_, actor=caseworker)
                settle_round.delay(again.pk)
                wait_for(
                    lambda: SettlementRun.objects.get(pk=again.pk).status == RunStatus.DONE,
                    timeout=120,
                    worker=worker,
                    every=_beat,
                    every_seconds=2,
                )
                for _ in range(3):
                    _beat()
                wait_for(lambda: not _queued(worker.queue), timeout=60, worker=worker)

    run.refresh_from_db()
    assert (run.status, run.met, run.not_met, run.unsettled) == (RunStatus.DONE, 5, 4, 3)
    again.refresh_from_db()
    assert (again.met, again.not_met, again.unsettled) == (0, 0, 3)
    for case in met + missed:
        current = Decision.objects.get(case=case, superseded_by__isnull=True)
        assert current.settled == (Settled.MET if case in met else Settled.NOT_MET)
    changed = Counter(r.envelope_to[0] for r in handler.received if r.subject == CHANGED)
    told = {c.contacts.get().email for c in met + missed}
    assert changed == dict.fromkeys(told, 1)  # each settled family once, no one else
    releases = Release.objects.filter(round=round_)
    assert releases.filter(number=2).count() == settled
    assert not releases.filter(number__gt=2).exists()
    assert all(r.letter_id for r in releases.filter(number=2))  # and a letter, once
    assert not Release.objects.filter(case__in=waiting, number=2).exists()


def _queued(queue: str) -> int:
    return int(redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(queue))
