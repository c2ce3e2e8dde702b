from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from offers.selectors import release_status
from phasetransfer.core.rounds import RoundNotFound, round_by_key


class Command(BaseCommand):
    help = "Print a round's offer-day progress: released, letters, emails sent/failed/pending."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--round", dest="round_key", required=True)

    def handle(self, *args: Any, round_key: str, **_: Any) -> None:
        try:
            target = round_by_key(round_key)
        except RoundNotFound as exc:
            raise CommandError(str(exc)) from None
        status = release_status(target)
        for label, value in (
            ("cases", status.cases),
            ("released", status.released),
            ("letters rendered (current)", status.letters_current),
            ("emails queued", status.emails_total),
            ("emails sent", status.emails_sent),
            ("emails failed", status.emails_failed),
            ("emails pending", status.emails_pending),
            ("letters to post", status.letters_to_post),
            ("progress %", status.percent),
        ):
            self.stdout.write(f"{label:<28} {value}")
