from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from phasetransfer.allocation.services import AllocationBusy, allocation_execute, allocation_request
from phasetransfer.core.rounds import RoundNotFound, round_by_key


class Command(BaseCommand):
    help = "Run the allocation model for a round now and write proposals for the panels."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--round", dest="round_key", required=True, help="Round id or phase-year"
        )

    def handle(self, *args: Any, round_key: str, **options: Any) -> None:
        started = time.perf_counter()
        try:
            target = round_by_key(round_key)
            run = allocation_request(round_=target, actor=None, queue=False)
        except (RoundNotFound, AllocationBusy) as exc:
            raise CommandError(str(exc)) from None
        done = allocation_execute(run_id=run.pk)
        assert done is not None
        report = done.report["min_cost_flow"]
        da = done.report["deferred_acceptance"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Run {done.pk}: {report['children']} children, objective {done.objective}, "
                f"{time.perf_counter() - started:.2f}s"
            )
        )
        for label, figures in (("model", report), ("deferred acceptance", da)):
            self.stdout.write(
                f"  {label:<20} first preference {figures['family_first_preference_rate']:.1%}, "
                f"any preference {figures['family_any_preference_rate']:.1%}, "
                f"unplaced {figures['unplaced']}, justified envy {figures['justified_envy']}"
            )
