"""The progress board as CSV: the same rows, in the same order, as the filtered board."""

from __future__ import annotations

from collections.abc import Iterable

from phasetransfer.coordination.selectors import ProgressRow
from phasetransfer.core import clock
from phasetransfer.core.csv_safe import csv_text

HEADER = [
    "Case reference",
    "Child",
    "Caseworker",
    "SEND area",
    "District",
    "Stage",
    "Next milestone",
    "Due (London)",
    "Status",
    "At risk this week",
    "Why at risk",
]


def _cells(row: ProgressRow) -> list[str]:
    due = row.due.astimezone(clock.LONDON).strftime("%Y-%m-%d %H:%M") if row.due else ""
    return [
        row.reference,
        row.child_name,
        row.caseworker_name or "Unassigned",
        row.send_area,
        row.district,
        row.stage.label,
        row.milestone.label if row.milestone else "",
        due,
        row.status.label,
        "yes" if row.at_risk else "no",
        row.risk,
    ]


def progress_csv(rows: Iterable[ProgressRow]) -> str:
    return csv_text(HEADER, (_cells(row) for row in rows))
