from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from panels.services.scheduling import DEFAULT_TIME_LIMIT, SchedulingBusy, panels_schedule
from phasetransfer.core.rounds import RoundNotFound, round_by_key


class Command(BaseCommand):
    help = "Schedule a round's proposed cases into its panel sessions and report any not placed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--round", dest="round_key", required=True, help="Round id or phase-year"
        )
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Also move undecided cases of sessions that have not started",
        )
        parser.add_argument(
            "--time-limit",
            type=float,
            default=DEFAULT_TIME_LIMIT,
            help="Solver limit per area, in CP-SAT deterministic seconds",
        )

    def handle(
        self, *args: Any, round_key: str, rebuild: bool, time_limit: float, **_: Any
    ) -> None:
        try:
            target = round_by_key(round_key)
        except RoundNotFound as exc:
            raise CommandError(str(exc)) from None
        # A run like the page's, done here and now (as ``allocate`` does); refused while
        # another run of the round is queued or running.
        try:
            report = panels_schedule(
                round_=target, actor=None, rebuild=rebuild, time_limit=time_limit
            )
        except SchedulingBusy as exc:
            raise CommandError(str(exc)) from None
        for area in report.areas:
            self.stdout.write(
                f"  {area.area:<6} {area.placed:>5} of {area.cases:>5} placed in "
                f"{area.sessions} session(s), fill {area.lowest_fill:.0%} to "
                f"{area.highest_fill:.0%}, {area.conflicted} with a recusal, "
                f"{area.status.lower()} in {area.seconds:.2f}s"
            )
        for row in report.unplaced:
            self.stdout.write(
                f"  not placed: {row.reference} ({row.area or 'no area'}): {row.reason}"
            )
        self.stdout.write(self.style.SUCCESS(report.summary()))
