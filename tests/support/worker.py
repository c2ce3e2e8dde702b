"""A real Celery worker process on the real broker, for tests where delivery itself matters."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


@dataclass
class Worker:
    queue: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and its pool children together: a crash, no clean-up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextmanager
def celery_worker(
    tmp_path: Path,
    *,
    concurrency: int = 1,
    queue: str | None = None,
    extra_env: dict[str, str] | None = None,
    loglevel: str = "INFO",
) -> Iterator[Worker]:
    """Start ``celery worker`` on its own queue against the test database; stop it after.

    Its log goes to ``tmp_path``/<queue>.log; its process group is its pid (``Worker.process``).
    """
    queue = queue or f"test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "PHASETRANSFER_DB_NAME": str(connection.settings_dict["NAME"]),
        # Tasks the worker itself queues (fan-out) must come back to this worker.
        "CELERY_QUEUE": queue,
        **(extra_env or {}),
    }
    log = tmp_path / f"{queue}.log"
    pool = (
        ["--pool=solo"] if concurrency == 1 else ["--pool=prefork", f"--concurrency={concurrency}"]
    )
    command = [
        sys.executable, "-m", "celery", "-A", "phasetransfer.config", "worker", "-Q", queue,
        *pool, f"--loglevel={loglevel}",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with log.open("ab") as handle:
        # Its own process group, so a test can kill the worker and its pool children at once.
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(queue=queue, process=process, log=log)
    try:
        yield worker
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_for(
    condition: Callable[[], bool],
    *,
    timeout: float = 60,
    worker: Worker | None = None,
    every: Callable[[], object] | None = None,
    every_seconds: float = 0,
    poll: float = 0.5,
) -> float:
    """Poll ``condition`` every ``poll`` seconds until it holds; return the seconds it took.

    ``every`` runs on the first poll and then at most once each ``every_seconds`` (on every
    poll if 0): the test playing celery beat, whose every-minute jobs it sends every few
    seconds. Fails if ``worker`` dies, or after ``timeout`` seconds with the worker's log.
    """
    started = time.monotonic()
    deadline = started + timeout
    last_every: float | None = None
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic() - started
        if worker is not None and worker.process.poll() is not None:
            raise AssertionError("the worker died:\n" + worker.output())
        now = time.monotonic()
        if every is not None and (last_every is None or now - last_every >= every_seconds):
            every()
            last_every = now
        time.sleep(poll)
    detail = ("\nworker log:\n" + worker.output()[-5000:]) if worker else ""
    raise AssertionError(f"condition not met within {timeout}s{detail}")


@contextmanager
def tasks_routed_to(queue: str) -> Iterator[None]:
    """Send every task queued by the code under test to ``queue`` (the test worker's own)."""
    from phasetransfer.config.celery import app

    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield
    finally:
        app.conf.task_default_queue = previous
