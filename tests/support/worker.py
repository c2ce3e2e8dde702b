"""A real Celery worker process on the real broker, for tests where delivery itself matters."""

from __future__ import annotations

import os
import re
import signal
import socket
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

# What the worker logs (INFO) as it takes a task and as the task ends.
TASK_LOG = re.compile(r"Task ([\w.]+)\[([0-9a-f-]+)\] (received|succeeded|raised|retry)")


@dataclass
class Worker:
    queue: str
    process: subprocess.Popen[bytes]
    log: Path
    # The worker's node name (``-n``), to which remote control (``active()``) is addressed.
    node_name: str = ""

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the worker and its pool children together: a crash, no clean-up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def children(self) -> list[int]:
        """The pids of the worker's pool processes (prefork): its direct children."""
        pids: set[int] = set()
        for listing in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            try:
                pids.update(int(pid) for pid in listing.read_text().split())
            except OSError:
                continue  # the thread ended meanwhile
        return sorted(pids)

    def kill_child(self, pid: int) -> None:
        """SIGKILL one pool process (not the worker): the worker should replace it."""
        if pid not in self.children():
            raise AssertionError(f"{pid} is not a pool process of worker {self.process.pid}")
        os.kill(pid, signal.SIGKILL)

    def stop_child_running(self, task_name: str, timeout: float = 60) -> tuple[int, str]:
        """Find a pool process running ``task_name`` and freeze it there (SIGSTOP), so a kill
        that follows lands inside that very task. Returns (its pid, the task's id); the
        caller kills it (``kill_child``) or lets it go on (``os.kill(pid, SIGCONT)``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for task in self.active():
                pid, task_id = task.get("worker_pid"), task.get("id")
                if task.get("name") != task_name or pid not in self.children():
                    continue
                assert isinstance(pid, int)
                os.kill(pid, signal.SIGSTOP)
                # Still on it once frozen (it may have finished in between): then it stays.
                if any((t.get("worker_pid"), t.get("id")) == (pid, task_id) for t in self.active()):
                    return pid, str(task_id)
                os.kill(pid, signal.SIGCONT)
            time.sleep(0.05)
        raise AssertionError(f"no pool process was running {task_name} within {timeout}s")

    def active(self, timeout: float = 2.0) -> list[dict[str, object]]:
        """The tasks the worker's pool processes are running now (remote control, so the
        worker's main process answers): each with ``name``, ``id`` and ``worker_pid``."""
        from phasetransfer.config.celery import app

        replies = app.control.inspect(destination=[self.node_name], timeout=timeout).active()
        return list((replies or {}).get(self.node_name, []))

    def task_events(self) -> list[tuple[str, str, str]]:
        """(task name, task id, event) from the log, in order; event is one of received,
        succeeded, raised, retry. A message delivered twice is "received" twice."""
        return [match.groups() for match in TASK_LOG.finditer(self.output())]


@contextmanager
def celery_worker(
    tmp_path: Path,
    *,
    concurrency: int = 1,
    queue: str | None = None,
    extra_env: dict[str, str] | None = None,
    loglevel: str = "INFO",
    node_name: str | None = None,
) -> Iterator[Worker]:
    """Start ``celery worker`` on its own queue against the test database; stop it after.

    Its log goes to ``tmp_path``/<queue>.log; its process group is its pid (``Worker.process``).
    ``node_name`` (``-n``, e.g. ``"kill-test@localhost"``): a name of its own, so remote
    control reaches this worker only; by default Celery's ``celery@<host name>``.
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
        sys.executable, "-m", "celery", "-A", "phasetransfer.config", "worker",
        *pool, f"--loglevel={loglevel}",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        *(["-n", node_name] if node_name else []),
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
    worker = Worker(
        queue=queue,
        process=process,
        log=log,
        node_name=node_name or f"celery@{socket.gethostname()}",
    )
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
