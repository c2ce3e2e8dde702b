from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from phasetransfer.core import clock
from phasetransfer.core.rounds import RoundNotFound, round_by_key
from phasetransfer.security.access_log import access_log_prune, retention_set


class Command(BaseCommand):
    help = (
        "Delete page access records (who opened which case) older than each round's retention "
        "(AUDIT_ACCESS_RETENTION_DAYS unless the round sets its own). Audit events are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing")
        parser.add_argument(
            "--round", dest="round_key", help="With --days: set this round's retention first"
        )
        parser.add_argument("--days", type=int, help="Days to keep the round's records (30+)")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        if (options["round_key"] is None) != (options["days"] is None):
            raise CommandError("Give --round and --days together")
        if options["round_key"] is not None:
            if options["days"] < 30:
                raise CommandError("Keep the records for at least 30 days")
            try:
                target = round_by_key(options["round_key"])
            except RoundNotFound as exc:
                raise CommandError(str(exc)) from None
            retention_set(round_=target, days=options["days"])
        verb = "Would delete" if dry_run else "Deleted"
        for line in access_log_prune(now=clock.now(), dry_run=dry_run):
            self.stdout.write(
                f"{line.round.name}: keep {line.days} days; {verb} {line.rows} record(s) "
                f"from before {line.before.astimezone(clock.LONDON):%Y-%m-%d %H:%M}"
            )
