from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from phasetransfer.consultations.emails import consultations_chase
from phasetransfer.core.rounds import RoundNotFound, round_by_key


class Command(BaseCommand):
    help = (
        "Email each contact of a setting about each of its overdue consultations, at most "
        "once a day (Celery beat runs this hourly from 8am)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--round", dest="round_key", help="Only this round (id or phase-year); default all"
        )

    def handle(self, *args: Any, round_key: str | None = None, **options: Any) -> None:
        try:
            target = round_by_key(round_key) if round_key else None
        except RoundNotFound as exc:
            raise CommandError(str(exc)) from None
        report = consultations_chase(round_=target)
        self.stdout.write(self.style.SUCCESS(report.summary()))
