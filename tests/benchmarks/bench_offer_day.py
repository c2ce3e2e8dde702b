#!/usr/bin/env python
"""Offer-day benchmark: release a 3,000-case round with 2 worker processes.

One command, from the repository (PostgreSQL and Redis on this machine):

    .venv/bin/python tests/benchmarks/bench_offer_day.py [--cases 3000] [--concurrency 2]

It creates a fresh PostgreSQL database ($BENCH_OFFERS_DB, phasetransfer_bench_offers),
flushes Redis database $BENCH_REDIS_DB (11), fills a round (two thirds decided, one
third not), starts a real Celery worker (prefork, --concurrency; the tests' harness,
tests/support/worker.py, its log in var/bench/) on Redis and a real SMTP server on
loopback, then:
1. renders every letter ahead of the day (as the every-minute job does) and
   times it: letters per second;
2. moves offer day to a few seconds ahead, checks that no outcome is visible
   before it and every outcome is visible at it (the server-clock check), and
   plays celery beat until every case is released and every email sent:
   releases and emails per second;
3. reads the workers' CPU time to estimate the workers a 100,000-case national
   round needs to finish within an hour.
Prints a Markdown table for the README. Not part of make test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var" / "bench"
DB = os.environ.get("BENCH_OFFERS_DB", "phasetransfer_bench_offers")
REDIS_DB = os.environ.get("BENCH_REDIS_DB", "11")
QUEUE = "bench-offers"
# Every release and email of a 3,000-case round takes minutes: time out well after.
TIMEOUT = 1800
# The every-minute jobs the benchmark sends while it plays celery beat, every few seconds.
BEAT_SECONDS = 5
os.environ.update(
    {
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "phasetransfer.config.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "CELERY_QUEUE": QUEUE,
        "PHASETRANSFER_VAR_DIR": str(VAR),
    }
)
sys.path.insert(0, str(ROOT))


def _psql(*args: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", *args], check=True)


def _cpu_seconds(pgid: int) -> float:
    """User + system CPU of every process in the worker's process group (main and pool)."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5 of stat: the process group
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def main() -> None:  # noqa: C901 - a linear script, easier to read in one piece
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    _psql("-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {DB}")
    _psql("-d", "postgres", "-c", f"CREATE DATABASE {DB}")
    subprocess.run(["redis-cli", "-n", REDIS_DB, "FLUSHDB"], check=True, capture_output=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from offers.models import Letter, Release
    from offers.tasks import release_due_task, render_letters_due
    from phasetransfer.core.tasks import flush_outbox
    from phasetransfer.core.visibility import outcome_visible
    from phasetransfer.models import Case, EmailStatus, OutboundEmail, Round
    from tests.factories import RoundFactory
    from tests.factories.offers import bulk_round
    from tests.support.smtp import smtp_server
    from tests.support.worker import celery_worker, wait_for

    decided = args.cases * 2 // 3
    round_ = RoundFactory(offer_day_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    bulk_round(round_, decided=decided, undecided=args.cases - decided)
    with smtp_server() as (handler, port):
        env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port)}
        with celery_worker(
            VAR,
            concurrency=args.concurrency,
            queue=QUEUE,
            extra_env=env,
            loglevel="WARNING",
        ) as worker:
            pgid = worker.process.pid  # its own process group: the main process and its pool
            time.sleep(3)
            cpu0 = _cpu_seconds(pgid)
            render_letters_due.delay()
            letters_seconds = wait_for(
                lambda: Letter.objects.filter(case__round=round_).count() >= args.cases,
                timeout=TIMEOUT,
                worker=worker,
                every=render_letters_due.delay,
                every_seconds=BEAT_SECONDS,
                poll=0.2,
            )
            cpu_letters = _cpu_seconds(pgid) - cpu0

            moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=8)
            Round.objects.filter(pk=round_.pk).update(offer_day_at=moment)
            round_.refresh_from_db()
            sample = list(Case.objects.filter(round=round_).select_related("round")[:200])
            assert not any(outcome_visible(c, moment - dt.timedelta(seconds=1)) for c in sample)
            while dt.datetime.now(dt.UTC) < moment:
                time.sleep(0.05)
            visible_at_moment = all(outcome_visible(c) for c in sample)
            cpu1 = _cpu_seconds(pgid)

            def beat() -> None:
                release_due_task.delay()
                flush_outbox.delay()

            def done() -> bool:
                sent = OutboundEmail.objects.filter(
                    kind="offer_day", status=EmailStatus.SENT, case__round=round_
                ).count()
                complete = Release.objects.filter(round=round_, completed_at__isnull=False)
                return complete.count() == args.cases and sent == args.cases

            release_seconds = wait_for(
                done,
                timeout=TIMEOUT,
                worker=worker,
                every=beat,
                every_seconds=BEAT_SECONDS,
                poll=0.2,
            )
            released_at = Release.objects.filter(round=round_).order_by("-completed_at").first()
            cpu_release = _cpu_seconds(pgid) - cpu1
        emails = len(handler.received)
    assert released_at is not None
    per_letter = cpu_letters / args.cases
    per_case = cpu_release / args.cases
    national = 100_000
    cpu_model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    today = dt.datetime.now(dt.UTC).date()
    print(f"\nMachine: {os.cpu_count()} CPUs ({cpu_model}), {today}, {args.concurrency} "
          "worker processes, PostgreSQL + Redis, SMTP on loopback\n")  # fmt: skip
    print("| Step | Cases | Wall time (s) | Rate | Worker CPU per case (s) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| Letters rendered ahead (HTML + PDF) | {args.cases} | {letters_seconds:.1f} "
          f"| {args.cases / letters_seconds:.1f} letters/s | {per_letter:.3f} |")  # fmt: skip
    print(f"| Release + one email each, from the moment | {args.cases} | {release_seconds:.1f} "
          f"| {emails / release_seconds:.1f} emails/s | {per_case:.3f} |")  # fmt: skip
    print(f"\nEvery outcome visible at the moment (server clock): {visible_at_moment}; "
          f"emails delivered: {emails} for {args.cases} contacts.")  # fmt: skip
    for label, seconds in (("render letters", per_letter), ("release and email", per_case)):
        workers = national * seconds / 3600
        print(f"National round ({national:,} cases), {label} within an hour: "
              f"{national * seconds / 3600:.1f} worker processes ({workers / 2:.1f} machines of "
              "2 cores), from the CPU measured here.")  # fmt: skip
    from django.db import connections

    connections.close_all()
    _psql("-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    main()
