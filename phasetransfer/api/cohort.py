"""The cohort import over the API: JSON rows or a CSV file, checked exactly as the CSV import.

JSON rows are written out as the same CSV the command reads, so there is one set of
rules (``services.imports.cohort``): all-or-nothing, with an error per row and column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from phasetransfer.cohort.imports import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, cohort_import
from phasetransfer.core.csvfile import CsvRejected, ImportReport, RowProblem
from phasetransfer.models import Round, User

COLUMNS = [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS]
MAX_JSON_ROWS = 5000


@dataclass
class Outcome:
    report: ImportReport | None = None
    errors: list[RowProblem] = field(default_factory=list)
    references: list[str] = field(default_factory=list)  # EHCP references imported

    @property
    def ok(self) -> bool:
        return self.report is not None and self.report.ok and not self.errors


def _cell(value: Any, row: int, column: str, errors: list[RowProblem]) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors.append(RowProblem(row, "must be text", column))
        return ""
    text = str(value)
    if "\x00" in text:
        errors.append(RowProblem(row, "contains a NUL character", column))
        return ""
    return text


def _json_row(number: int, row: Any, errors: list[RowProblem]) -> dict[str, str]:
    if not isinstance(row, dict):
        errors.append(RowProblem(number, "each row must be an object of column: value"))
        return {}
    for column in row:
        if column not in COLUMNS:
            errors.append(RowProblem(number, "is not a column of the cohort CSV", str(column)))
    return {column: _cell(row.get(column), number, column, errors) for column in COLUMNS}


def rows_to_csv(data: Any) -> tuple[bytes, list[RowProblem]]:
    """JSON ``{"rows": [...]}`` as cohort CSV bytes; structural errors use the JSON position."""
    rows = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        return b"", [RowProblem(0, 'send {"rows": [...]}, one object per child', "rows")]
    if len(rows) > MAX_JSON_ROWS:
        message = f"at most {MAX_JSON_ROWS} rows per request; send a larger cohort as a CSV file"
        return b"", [RowProblem(0, message, "rows")]
    errors: list[RowProblem] = []
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for number, row in enumerate(rows, start=1):
        writer.writerow(_json_row(number, row, errors))
    return out.getvalue().encode("utf-8"), errors


def _renumber(problems: list[RowProblem]) -> list[RowProblem]:
    """CSV line numbers (header = 1) back to JSON positions (first row = 1)."""
    return [RowProblem(max(p.row - 1, 0), p.message, p.column) for p in problems]


def import_cohort(
    *, round_: Round, csv_bytes: bytes, actor: User | None, from_json: bool = False
) -> Outcome:
    if b"\x00" in csv_bytes:
        return Outcome(errors=[RowProblem(0, "the file contains NUL characters: not a CSV")])
    try:
        report = cohort_import(round_=round_, source=csv_bytes, actor=actor)
    except CsvRejected as rejected:
        return Outcome(errors=[RowProblem(0, str(rejected))])
    except csv.Error as broken:  # a malformed file the csv module cannot read at all
        return Outcome(errors=[RowProblem(0, f"the file is not readable as CSV ({broken})")])
    if from_json:
        report.errors = _renumber(report.errors)
        report.warnings = _renumber(report.warnings)
    references = _references(csv_bytes) if report.ok else []
    return Outcome(report=report, errors=list(report.errors), references=references)


def _references(csv_bytes: bytes) -> list[str]:
    """The EHCP references of an imported file (the importer matches them upper-cased)."""
    reader = csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"), newline=""))
    header = [name.strip() for name in next(reader, [])]
    column = header.index("ehcp_reference")
    return [row[column].strip().upper() for row in reader if len(row) > column]


def problems_json(problems: list[RowProblem]) -> list[dict[str, Any]]:
    return [{"row": p.row, "column": p.column, "message": p.message} for p in problems]
