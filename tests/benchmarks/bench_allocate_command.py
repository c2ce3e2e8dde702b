#!/usr/bin/env python
"""`manage.py allocate` on a 3,000-child round on PostgreSQL, writing proposals.

One command, from the repository (PostgreSQL on this machine):

    .venv/bin/python tests/benchmarks/bench_allocate_command.py [--children 3000]

Creates a fresh database, loads the real Kent schools and a synthetic Year 7 round of
``--children`` children, gives each family 1-4 preferences among their nearest settings
and a consultation-stage case, then times the whole command (a new process, Django
start-up included) twice: the first run, and a re-run over existing proposals.
Target: under 5 s. Prints a Markdown table. Not part of make test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DB = "phasetransfer_bench_allocate"
ENV = {
    "DEBUG": "true",
    "DJANGO_SETTINGS_MODULE": "phasetransfer.config.settings",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB}",
    "PHASETRANSFER_VAR_DIR": str(ROOT / "var" / "bench"),
}
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-d", "postgres", "-c", sql],
        check=True,
    )


def _prepare(children: int) -> str:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from phasetransfer.demo.seed import demo_seed
    from phasetransfer.models import Case, CaseState, Preference, Round
    from phasetransfer.preferences.nearest import (
        nearest_for_need,
        nearest_mainstream,
        phase_settings,
    )

    call_command("migrate", verbosity=0)
    demo_seed(secondary_children=children, post16_children=0, today=dt.date(2026, 11, 27))
    round_ = Round.objects.get(phase="secondary")
    candidates = phase_settings(round_.phase)
    rng = random.Random(7)
    rows = []
    for case in Case.objects.filter(round=round_).select_related("child", "round"):
        near = nearest_mainstream(case, limit=4, candidates=candidates)
        near += nearest_for_need(case, limit=2, candidates=candidates)
        chosen = []
        for item in near:
            if item.setting not in chosen and rng.random() < 0.6:
                chosen.append(item.setting)
        rows += [
            Preference(case=case, rank=rank, setting=setting)
            for rank, setting in enumerate(chosen[:4], start=1)
        ]
    Preference.objects.bulk_create(rows)
    # Set-up only: the consultation stage is what the model reads from.
    Case.objects.filter(round=round_).update(state=CaseState.CONSULTING)
    key = f"secondary-{round_.entry_year}"
    connections.close_all()
    return key


def _time(key: str) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", "allocate", "--round", key],
        cwd=ROOT, env={**os.environ, **ENV}, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return time.perf_counter() - started, result.stdout.strip().splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=3000)
    args = parser.parse_args()
    _psql(f"DROP DATABASE IF EXISTS {DB}")
    _psql(f"CREATE DATABASE {DB}")
    key = _prepare(args.children)
    first, line = _time(key)
    again, _ = _time(key)
    print(f"\n{line}\n")
    print(f"Machine: {os.cpu_count()} CPUs, PostgreSQL, {dt.datetime.now(dt.UTC):%Y-%m-%d}\n")
    print("| `manage.py allocate`, whole command | Children | Wall time (s) | Target |")
    print("| --- | ---: | ---: | --- |")
    print(f"| first run, writing proposals | {args.children} | {first:.2f} | < 5 s |")
    print(f"| re-run over existing proposals | {args.children} | {again:.2f} | < 5 s |")
    _psql(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    main()
