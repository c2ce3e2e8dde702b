from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from offers.services.demo import STAGES, full_demo_seed
from phasetransfer.demo.seed import DEMO_PASSWORD, DemoAlreadyLoaded


class Command(BaseCommand):
    help = (
        "Load the synthetic Kent demo (real schools, invented families) through every stage "
        "of the process, and print the logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--children", type=int, default=1236, help="Year 6 -> 7 cohort size")
        parser.add_argument("--post16-children", type=int, default=1400)
        parser.add_argument("--seed", type=int, default=2027)
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="Date the demo's timetable is built around (default: today)",
        )
        parser.add_argument(
            "--through",
            choices=STAGES,
            default="at-panel",
            help="How far the post-16 round goes (decided: every case decided and signed off)",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing (successfully) if already loaded"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            demo = full_demo_seed(
                secondary_children=options["children"],
                post16_children=options["post16_children"],
                seed=options["seed"],
                today=options["today"],
                through=options["through"],
            )
        except DemoAlreadyLoaded as exc:
            if options["if_empty"]:
                self.stdout.write(f"{exc} Nothing to do.")
                return
            raise
        summary = demo.base
        self.stdout.write(
            self.style.SUCCESS(
                f"Synthetic demo loaded: {summary.settings} settings, {summary.cases} cases."
            )
        )
        for name, places in summary.places.items():
            self.stdout.write(f"  {name}: {places} places (synthetic); {demo.stages.get(name, '')}")
        self.stdout.write(
            f"Demo logins (password for all: {DEMO_PASSWORD}). Staff, panel and school "
            "accounts also need a code from an authenticator app: in this demo (DEBUG only) "
            "the code page shows the current code."
        )
        for role, email in summary.logins:
            self.stdout.write(f"  {role:<45} {email}")
