"""A task sent through the real broker is run by a real worker process."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from phasetransfer.core.tasks import heartbeat
from phasetransfer.models import Heartbeat
from tests.support.worker import celery_worker, wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_heartbeat_task_goes_through_the_broker_to_a_worker(tmp_path: Path) -> None:
    broker = settings.CELERY_BROKER_URL
    assert broker.startswith("redis://") if settings.REDIS_URL else broker == "filesystem://"

    with celery_worker(tmp_path) as worker:
        heartbeat.apply_async(args=["test-worker"], queue=worker.queue)
        wait_for(
            lambda: Heartbeat.objects.filter(name="test-worker").exists(),
            worker=worker,
        )
    assert "phasetransfer.heartbeat" in worker.output()
