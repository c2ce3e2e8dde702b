#!/usr/bin/env python
"""Staff list pages at Kent's size on PostgreSQL: the cohort page (100 cases a page) and the
progress board, server time per request through Django's test client.

One command, from the repository (PostgreSQL on this machine):

    .venv/bin/python tests/benchmarks/bench_list_pages.py

Creates a fresh database and loads the demo (Kent's schools, 1,236 Year 7 and 1,400 post-16
children with their preferences, consultations and proposals), signs a caseworker in with
the second factor, then requests each page 20 times after 3 warm-ups and reports the median
and the 95th percentile, with the number of queries. Target (issue 17): a list page of 100
cases well under 300 ms. Prints a Markdown table. Not part of make test.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DB = "phasetransfer_bench_pages"
os.environ.update(
    {
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "phasetransfer.config.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
        "PHASETRANSFER_VAR_DIR": str(ROOT / "var" / "bench"),
    }
)
sys.path.insert(0, str(ROOT))
RUNS, WARM = 20, 3


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-d", "postgres", "-c", sql],
        check=True,
    )


def main() -> None:
    _psql(f"DROP DATABASE IF EXISTS {DB}")
    _psql(f"CREATE DATABASE {DB}")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_otp import DEVICE_ID_SESSION_KEY

    from phasetransfer.models import Round, User
    from phasetransfer.security.two_factor import demo_device_for

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", through="at-panel", today=dt.date(2026, 11, 27), verbosity=0)
    print(f"Seeded the demo in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    user = User.objects.get(email="caseworker01@kent-demo.example")
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = demo_device_for(user).persistent_id
    session.save()
    rows = []
    for round_ in Round.objects.order_by("pk"):
        for name, path in (
            ("cohort page", f"/staff/rounds/{round_.pk}/cohort/"),
            ("progress board", f"/staff/rounds/{round_.pk}/progress/"),
        ):
            times = []
            for run in range(WARM + RUNS):
                connection.queries_log.clear()  # the seed filled it; counts need room
                with CaptureQueriesContext(connection) as queries:
                    begun = time.perf_counter()
                    response = client.get(path)
                    spent = (time.perf_counter() - begun) * 1000
                assert response.status_code == 200, (path, response.status_code)
                if run >= WARM:
                    times.append(spent)
            cases = round_.cases.count()
            p95 = statistics.quantiles(times, n=20)[-1]
            rows.append(
                f"| {name} | {round_.name} ({cases:,} cases) | {statistics.median(times):.0f} "
                f"| {p95:.0f} | {len(queries)} |"
            )
    today = dt.datetime.now(tz=dt.UTC).date().isoformat()
    print(f"Machine: {os.cpu_count()} CPUs, PostgreSQL, {today}\n")
    print("| Page | Round | Median (ms) | p95 (ms) | Queries |")
    print("| --- | --- | ---: | ---: | ---: |")
    print("\n".join(rows))
    connection.close()
    _psql(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    main()
