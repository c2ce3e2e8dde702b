from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from phasetransfer.cohort.imports import cohort_import
from phasetransfer.core.csvfile import CsvRejected
from phasetransfer.core.rounds import RoundNotFound, round_by_key
from phasetransfer.management.commands._report import print_report


class Command(BaseCommand):
    help = "Import a round's cohort of children and contacts from CSV (all-or-nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--round",
            dest="round_key",
            required=True,
            help="Round id or phase-year, e.g. secondary-2027",
        )

    def handle(self, *args: Any, file: Path, round_key: str, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            target = round_by_key(round_key)
            report = cohort_import(round_=target, source=file)
        except (CsvRejected, RoundNotFound) as exc:
            raise CommandError(f"Rejected: {exc} Nothing was imported.") from None
        print_report(self, report)
