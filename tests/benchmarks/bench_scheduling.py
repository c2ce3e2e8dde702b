"""Panel scheduling benchmark: ``python tests/benchmarks/bench_scheduling.py [--quick]``.

Builds a Kent-sized round in a fresh database (SQLite in a temporary folder, or with
``--postgres URL`` a throw-away ``test_<name>`` database there), then times
``panels_schedule`` end to end: reading the round, one CP-SAT model per SEND area,
writing placements, state moves, recusals and audit events in one transaction.

The round: 3,000 proposed cases over the four areas (and 20 homes outside them), 80
sessions (20 per area, case limit 40, weekdays 4 January to 5 February), five members
per session drawn from a pool of area head teachers and SENCOs (their schools cause
conflicts of interest), consultations due between mid-December and late January, and
1 to 4 preferences per case. Target: under 30 s. It then checks every rule on the
result and times a full rebuild (every undecided case taken out and placed again).

``--quick`` uses 600 cases and 16 sessions. Not part of the pytest run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LONDON_OFFSET = ZoneInfo("Europe/London")
AREAS = ["North", "East", "South", "West"]


def _configure(postgres: str | None, folder: Path) -> None:
    os.environ["DEBUG"] = "true"
    os.environ["PHASETRANSFER_VAR_DIR"] = str(folder)
    os.environ.pop("REDIS_URL", None)
    if postgres:
        os.environ["DATABASE_URL"] = postgres
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phasetransfer.config.settings")
    import django

    django.setup()


def _users(prefix: str, count: int, role: object) -> list[object]:
    from django.contrib.auth.models import Group

    from phasetransfer.models import User

    users = User.objects.bulk_create(
        [User(email=f"{prefix}{n}@bench.example", full_name=f"{prefix} {n}") for n in range(count)]
    )
    Group.objects.get(name=role.value).user_set.add(*users)  # type: ignore[attr-defined]
    return users


def _settings(rng: random.Random, per_area: int) -> dict[str, list[object]]:
    from phasetransfer.models import Setting, SettingKind

    made = Setting.objects.bulk_create(
        [
            Setting(
                urn=300000 + i,
                name=f"Bench school {i}",
                kind=rng.choice([SettingKind.MAINSTREAM_ACADEMY] * 6 + [SettingKind.SPECIAL] * 2),
                serves_secondary=True,
                is_synthetic=True,
            )
            for i in range(per_area * len(AREAS))
        ]
    )
    return {area: made[i * per_area : (i + 1) * per_area] for i, area in enumerate(AREAS)}


def _sessions(round_: object, sessions: int, schools: dict, rng: random.Random) -> None:
    from panels.models import PanelMember, PanelSession
    from phasetransfer.core.roles import Role

    chairs = _users("chair", 8, Role.PANEL_CHAIR)
    per_area = sessions // len(AREAS)
    days = [
        dt.date(2027, 1, 4) + dt.timedelta(days=d)
        for d in range(33)
        if (dt.date(2027, 1, 4) + dt.timedelta(days=d)).weekday() < 5
    ]
    members_made = []
    for a, area in enumerate(AREAS):
        heads = _users(f"member-{area}-", 25, Role.PANEL_MEMBER)
        pool = list(zip(heads, schools[area][:25], strict=True))
        for s in range(per_area):
            day = days[(s * len(days)) // per_area]
            session = PanelSession.objects.create(
                round=round_,
                send_area=area,
                starts_at=dt.datetime.combine(day, dt.time(9 + 4 * (a % 2)), LONDON_OFFSET),
                place=f"{area} area office",
                chair=chairs[(a * 2 + s) % len(chairs)],
                case_limit=40,
            )
            for user, school in rng.sample(pool, 5):
                members_made.append(
                    PanelMember(session=session, user=user, school=school, role_title="Head")
                )
    PanelMember.objects.bulk_create(members_made)


def _cases(round_: object, cases: int, schools: dict, rng: random.Random) -> None:
    from phasetransfer.models import (
        AllocationRun,
        Case,
        CaseState,
        Child,
        Consultation,
        Preference,
        Proposal,
        RunStatus,
    )

    start = dt.datetime(2026, 12, 1, 9, tzinfo=LONDON_OFFSET)
    run = AllocationRun.objects.create(
        round=round_, status=RunStatus.DONE, requested_at=start, finished_at=start
    )
    children = Child.objects.bulk_create(
        [
            Child(
                first_name="Bench",
                last_name=f"Child {n}",
                date_of_birth=dt.date(2015, 10, 1),
                ehcp_reference=f"BENCH-{n:05d}",
                primary_need="ASD",
                home_postcode="ME15 6LX",
                is_synthetic=True,
            )
            for n in range(cases + 20)
        ],
        batch_size=1000,
    )
    areas = [AREAS[n % 4] for n in range(cases)] + ["Outside Kent"] * 20
    made = Case.objects.bulk_create(
        [
            Case(
                reference=f"27B-{n:05d}",
                child=child,
                round=round_,
                state=CaseState.PROPOSED,
                send_area=area,
            )
            for n, (child, area) in enumerate(zip(children, areas, strict=True))
        ],
        batch_size=1000,
    )
    preferences, proposals, consultations = [], [], []
    for case in made:
        pool = schools.get(case.send_area) or schools["North"]
        chosen = rng.sample(pool, rng.randint(1, 4))
        for rank, setting in enumerate(chosen, start=1):
            preferences.append(Preference(case=case, rank=rank, setting=setting))
        proposals.append(
            Proposal(run=run, case=case, setting=chosen[0], preference_rank=1, distance_km=3.0)
        )
        sent = start + dt.timedelta(days=rng.randint(0, 45))
        for setting in chosen[: rng.randint(1, len(chosen))]:
            consultations.append(
                Consultation(
                    case=case, setting=setting, sent_at=sent, due_at=sent + dt.timedelta(days=16)
                )
            )
    Preference.objects.bulk_create(preferences, batch_size=2000)
    Proposal.objects.bulk_create(proposals, batch_size=2000)
    Consultation.objects.bulk_create(consultations, batch_size=2000)


def build(cases: int, sessions: int, seed: int) -> object:
    from phasetransfer.models import Round

    rng = random.Random(seed)
    round_ = Round.objects.create(
        name="Bench secondary 2027",
        phase="secondary",
        entry_year=2027,
        preference_opens_at=dt.datetime(2026, 9, 1, tzinfo=LONDON_OFFSET),
        preference_closes_at=dt.datetime(2026, 11, 1, tzinfo=LONDON_OFFSET),
        offer_day_at=dt.datetime(2027, 2, 12, 16, tzinfo=LONDON_OFFSET),
        is_synthetic=True,
    )
    schools = _settings(rng, per_area=130)
    _sessions(round_, sessions, schools, rng)
    _cases(round_, cases, schools, rng)
    return round_


def check(round_: object) -> list[str]:
    """Every rule, on what was written. Returns the problems found (none expected)."""
    from django.db.models import Max

    from panels.models import PanelCase, PanelSession
    from phasetransfer.models import Consultation

    problems = []
    live = PanelCase.objects.filter(session__round=round_, removed_at=None).select_related(
        "session", "case"
    )
    due = dict(
        Consultation.objects.filter(case__round=round_)
        .values("case_id")
        .annotate(d=Max("due_at"))
        .values_list("case_id", "d")
    )
    fill = Counter(pc.session_id for pc in live)
    for pc in live:
        if pc.session.send_area != pc.case.send_area:
            problems.append(f"{pc.case.reference}: wrong area")
        if pc.case_id in due and pc.session.starts_at < due[pc.case_id]:
            problems.append(f"{pc.case.reference}: before its consultations are due")
    for session in PanelSession.objects.filter(round=round_):
        if fill[session.pk] > session.case_limit:
            problems.append(f"session {session.pk} over its limit")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--postgres", help="e.g. postgres://postgres@127.0.0.1:5432/bench")
    parser.add_argument("--seed", type=int, default=2027)
    args = parser.parse_args()
    cases, sessions = (600, 16) if args.quick else (3000, 80)
    with tempfile.TemporaryDirectory(prefix="bench-scheduling-") as folder:
        _configure(args.postgres, Path(folder))
        from django.core.management import call_command
        from django.db import connection

        from panels.services.scheduling import panels_schedule

        if args.postgres:
            connection.creation.create_test_db(verbosity=0, autoclobber=True)
        else:
            call_command("migrate", verbosity=0)
        try:
            started = time.perf_counter()
            round_ = build(cases, sessions, args.seed)
            took = time.perf_counter() - started
            print(f"Generated {cases} cases, {sessions} sessions in {took:.1f}s")
            now = dt.datetime(2026, 12, 20, 9, tzinfo=LONDON_OFFSET)
            for label, rebuild in (("first schedule", False), ("full rebuild", True)):
                started = time.perf_counter()
                report = panels_schedule(round_=round_, actor=None, rebuild=rebuild, now=now)
                seconds = time.perf_counter() - started
                print(f"\n{label}: {seconds:.2f}s wall ({report.summary()})")
                for area in report.areas:
                    print(
                        f"  {area.area:<6} {area.placed}/{area.cases} placed, {area.sessions} "
                        f"sessions, {area.classes} classes, fill {area.lowest_fill:.0%}-"
                        f"{area.highest_fill:.0%}, {area.conflicted} with a recusal, "
                        f"{area.status}, solver {area.seconds:.2f}s"
                    )
                reasons = Counter(u.reason.split(" (")[0] for u in report.unplaced)
                for reason, count in reasons.most_common():
                    print(f"  not placed ({count}): {reason}")
                problems = check(round_)
                print(f"  rule check: {'ok' if not problems else problems[:5]}")
            cpus = len(os.sched_getaffinity(0))
            today = dt.datetime.now(tz=LONDON_OFFSET).date().isoformat()
            print(
                f"\n{today}, {cpus} CPUs (nproc), Python "
                f"{platform.python_version()}, {connection.vendor}"
            )
        finally:
            if args.postgres:
                connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
