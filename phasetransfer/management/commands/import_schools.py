from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from phasetransfer.cohort.schools import admissions_import, schools_import
from phasetransfer.core.csvfile import CsvRejected
from phasetransfer.management.commands._report import print_report


class Command(BaseCommand):
    help = (
        "Import schools and colleges from a GIAS CSV extract (all-or-nothing, by URN); with "
        "--admissions, only who each loaded school admits (Gender, AdmissionsPolicy)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--admissions",
            action="store_true",
            help="FILE has URN, Gender (name), AdmissionsPolicy (name) for schools already "
            "loaded (for an extract without those columns)",
        )

    def handle(self, *args: Any, file: Path, admissions: bool, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        importer = admissions_import if admissions else schools_import
        try:
            report = importer(source=file)
        except CsvRejected as exc:
            raise CommandError(f"Rejected: {exc} Nothing was imported.") from None
        print_report(self, report)
