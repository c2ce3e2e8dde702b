from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from phasetransfer.core.rounds import RoundNotFound, round_by_key
from phasetransfer.security.backup import round_backup


class Command(BaseCommand):
    help = (
        "Write one round's rows (cases, preferences, consultations, panels, decisions, "
        "letters, audit trail...) to a JSON file, gzipped if it ends in .gz. The file holds "
        "children's personal data: it is written readable by its owner only; encrypt it at rest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--round",
            dest="round_key",
            required=True,
            help="Round id or phase-year, e.g. secondary-2027",
        )
        parser.add_argument("--out", required=True, type=Path, help="File to write")

    def handle(self, *args: Any, round_key: str, out: Path, **options: Any) -> None:
        try:
            target = round_by_key(round_key)
        except RoundNotFound as exc:
            raise CommandError(str(exc)) from None
        if out.exists():
            raise CommandError(f"{out} exists: choose a new file name")
        document = round_backup(round_=target)
        text = json.dumps(document, cls=DjangoJSONEncoder)
        # Owner-only from the first byte: a backup is as sensitive as the database.
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            payload = text.encode("utf-8")
            handle.write(gzip.compress(payload) if out.suffix == ".gz" else payload)
        rows = sum(document["counts"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {target.name}: {rows} rows, {len(document['shared'])} "
                f"shared rows, to {out}"
            )
        )
