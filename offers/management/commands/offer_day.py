from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from offers.services.release import OfferDayRefused, offer_day_rehearse, offer_day_set
from phasetransfer.core.clock import LONDON
from phasetransfer.core.rounds import RoundNotFound, round_by_key


def _moment(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=LONDON)


class Command(BaseCommand):
    help = "Set a round's SEN offer day (London time unless an offset is given), or rehearse it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--round", dest="round_key", required=True, help="Round id or phase-year"
        )
        parser.add_argument("--at", type=_moment, help="e.g. 2027-02-12T16:00")
        parser.add_argument(
            "--rehearse",
            action="store_true",
            help="Render every letter and count every message; release and send nothing.",
        )

    def handle(
        self, *args: Any, round_key: str, at: dt.datetime | None, rehearse: bool, **_: Any
    ) -> None:
        try:
            target = round_by_key(round_key)
            if at is not None:
                offer_day_set(round_=target, at=at, actor=None)
                when = at.astimezone(LONDON)
                self.stdout.write(
                    self.style.SUCCESS(f"SEN offer day set: {when:%A %d %B %Y %H:%M}")
                )
        except (RoundNotFound, OfferDayRefused) as exc:
            raise CommandError(str(exc)) from None
        if rehearse:
            result = offer_day_rehearse(round_=target)
            self.stdout.write(
                f"Rehearsal (nothing released or sent): {result.cases} cases, "
                f"{result.offer_letters} offer letters, {result.no_decision_letters} "
                f"'no decision yet' letters, {result.emails} emails, {result.letters_to_post} "
                f"letters to post; rendering took {result.render_seconds:.1f}s of CPU."
            )
            for problem in result.problems:
                self.stderr.write(f"problem: {problem}")
        elif at is None:
            raise CommandError("Give --at to set offer day, or --rehearse.")
