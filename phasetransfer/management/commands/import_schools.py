from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from phasetransfer.cohort.schools import schools_import
from phasetransfer.core.csvfile import CsvRejected
from phasetransfer.management.commands._report import print_report


class Command(BaseCommand):
    help = "Import schools and colleges from a GIAS CSV extract (all-or-nothing, by URN)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            report = schools_import(source=file)
        except CsvRejected as exc:
            raise CommandError(f"Rejected: {exc} Nothing was imported.") from None
        print_report(self, report)
