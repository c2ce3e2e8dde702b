"""Reading an uploaded CSV safely, and the report every importer returns.

Imports are all-or-nothing: every row is checked first, and the database is
only touched when no row has an error.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile

MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class RowProblem:
    row: int  # the line in the file, counting the header as row 1, as a spreadsheet shows it
    message: str
    column: str = ""

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        column = f" [{self.column}]" if self.column else ""
        return f"{where}{column}: {self.message}"


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, row: int, message: str, column: str = "") -> None:
        self.errors.append(RowProblem(row, message, column))

    def warn(self, row: int, message: str, column: str = "") -> None:
        self.warnings.append(RowProblem(row, message, column))

    def summary(self) -> str:
        if not self.ok:
            return (
                f"Rejected: {len(self.errors)} error(s) in {self.rows} row(s); "
                "nothing was imported."
            )
        return (
            f"Imported {self.rows} row(s): {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged; {len(self.warnings)} warning(s)."
        )


class CsvRejected(Exception):
    """The file as a whole cannot be read (encoding, size, columns)."""


def read_upload(upload: UploadedFile) -> bytes:
    """An uploaded file's bytes, refusing an oversized one before reading it into memory."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise CsvRejected(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    return bytes(upload.read())


def read_rows(
    source: Path | str | bytes, *, required: list[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number, row) with values stripped. Raises CsvRejected for file-level faults."""
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    if len(raw) > MAX_BYTES:
        raise CsvRejected(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvRejected(
            f"The file is not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' and try again."
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [h.strip() for h in (reader.fieldnames or [])]
    if not headers:
        raise CsvRejected("The file is empty: it has no header row.")
    missing = [column for column in required if column not in headers]
    if missing:
        raise CsvRejected("Missing column(s): " + ", ".join(missing) + ".")
    reader.fieldnames = headers
    for number, row in enumerate(reader, start=2):
        if None in row:
            raise CsvRejected(f"Row {number} has more values than the header has columns.")
        yield number, {key: (value or "").strip() for key, value in row.items()}


def parse_int(value: str) -> int | None:
    """A whole number written plainly ("120"), or None if it is not one."""
    if value.isdigit():
        return int(value)
    if value.startswith("-") and value[1:].isdigit():
        return int(value)
    return None


def parse_float(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None
