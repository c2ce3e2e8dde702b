from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from offers.services.rehearsal import RehearsalBusy, offer_day_rehearse
from offers.services.release import OfferDayRefused, offer_day_set
from phasetransfer.core.clock import LONDON
from phasetransfer.core.rounds import RoundNotFound, round_by_key
from phasetransfer.models import Round


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
            self._rehearse(target)
        elif at is None:
            raise CommandError("Give --at to set offer day, or --rehearse.")

    def _rehearse(self, target: Round) -> None:
        try:
            done = offer_day_rehearse(round_=target)
        except RehearsalBusy as exc:
            raise CommandError(str(exc)) from None
        counts = done.result["counts"]
        self.stdout.write(
            f"Rehearsal (nothing released or sent): {counts.get('cases', 0)} cases, "
            f"{counts.get('offer_letters', 0)} offer letters, "
            f"{counts.get('no_decision_letters', 0)} 'no decision yet' letters, "
            f"{counts.get('emails', 0)} emails, {counts.get('letters_to_post', 0)} letters to "
            f"post; {len(done.result['not_rendered'])} letters not rendered yet."
        )
        for row in done.result["cannot_be_told"]:
            self.stderr.write(f"problem: {row['case']} cannot be told ({row['why']})")
        for row in done.result["failures"]:
            self.stderr.write(f"problem: {row['case']} letter failed ({row['why']})")
        if done.result["suppressed"]:
            self.stderr.write(
                f"warning: {len(done.result['suppressed'])} recipient(s) are not on this "
                "deployment's allow-list and would not be emailed"
            )
