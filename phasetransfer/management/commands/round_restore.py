from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from phasetransfer.security.backup import RestoreRefused, round_restore


class Command(BaseCommand):
    help = (
        "Restore a round written by round_backup, all or nothing, into a database migrated to "
        "the same version that does not hold the round."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        raw = file.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise CommandError(f"Not a round backup (not JSON: {exc}). Nothing restored.") from None
        try:
            report = round_restore(data=data)
        except RestoreRefused as exc:
            raise CommandError(f"{exc} Nothing was restored.") from None
        self.stdout.write(self.style.SUCCESS(report.summary()))
