"""Results day: importing young people's exam results (issue 19).

The file is a CSV with a header: ``candidate`` (the case reference, 27P-00214, or the
young person's EHCP reference), ``subject``, ``grade``, and optionally ``scale`` (gcse,
vocational or pass_fail; without it the grade says which:
phasetransfer.core.conditions.infer_scale).
All or nothing, as every import: each row is checked first and the file is refused with
the row and the reason of every fault; only a clean file writes. A row for a subject the
young person already has a result in (on the same scale) replaces it: a corrected file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Q, QuerySet

from offers.models import ExamResult
from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record
from phasetransfer.core.conditions import (
    GradeRefused,
    Scale,
    infer_scale,
    normalise_grade,
    normalise_subject,
)
from phasetransfer.core.csvfile import ImportReport, read_rows
from phasetransfer.models import Case, Round, User

REQUIRED_COLUMNS = ["candidate", "subject", "grade"]
SUBJECT_MAX = 100


@dataclass(frozen=True)
class _Row:
    case: Case
    subject: str
    scale: Scale
    grade: str


def _cases(round_: Round, within: QuerySet[Case] | None) -> dict[str, Case]:
    """The round's cases (``within`` them, if given) by reference and by EHCP reference
    (upper case)."""
    found: dict[str, Case] = {}
    cases = Case.objects.filter(round=round_) if within is None else within.filter(round=round_)
    for case in cases.select_related("child"):
        found[case.reference.upper()] = case
        found[case.child.ehcp_reference.upper()] = case
    return found


def _scale(row: dict[str, str], number: int, report: ImportReport) -> Scale | None:
    written = row.get("scale", "").strip().lower()
    if written:
        if written not in Scale.__members__.values():
            allowed = ", ".join(s.value for s in Scale)
            report.error(number, f"{written!r} is not a scale ({allowed})", "scale")
            return None
        return Scale(written)
    scale = infer_scale(row["grade"])
    if scale is None:
        report.error(
            number,
            f"{row['grade']!r} is not a grade: GCSE 9 to 1 or U, vocational D*, D, M, P "
            "(with L1 or L2), or pass/fail",
            "grade",
        )
    return scale


def _check(
    number: int,
    row: dict[str, str],
    cases: dict[str, Case],
    seen: dict[tuple[int, str, str], tuple[int, str]],
    report: ImportReport,
    scope: str,
) -> _Row | None:
    faults = len(report.errors)
    case = cases.get(row["candidate"].upper())
    if not row["candidate"]:
        report.error(number, "the candidate is missing", "candidate")
    elif case is None:
        # Said the same way whether the case is another provider's or none at all.
        report.error(number, f"no young person {row['candidate']!r} {scope}", "candidate")
    if not row["subject"]:
        report.error(number, "the subject is missing", "subject")
    elif len(row["subject"]) > SUBJECT_MAX:
        report.error(number, f"the subject is longer than {SUBJECT_MAX} characters", "subject")
    scale = _scale(row, number, report)
    grade = ""
    if scale is not None:
        try:
            grade = normalise_grade(scale, row["grade"])
        except GradeRefused as refused:
            report.error(number, str(refused), "grade")
    # Every fault of the row is reported above; a row with any goes no further.
    if len(report.errors) > faults or case is None or scale is None:
        return None
    key = (case.pk, normalise_subject(row["subject"]), scale.value)
    if key in seen and seen[key][1] != grade:
        first, earlier = seen[key]
        report.error(
            number,
            f"{row['subject']} for {row['candidate']} is {grade} here but {earlier} on row {first}",
            "grade",
        )
        return None
    seen[key] = (number, grade)
    return _Row(case=case, subject=row["subject"].strip(), scale=scale, grade=grade)


def results_import(
    *,
    round_: Round,
    source: Path | str | bytes,
    actor: User | None = None,
    now: dt.datetime | None = None,
    within: QuerySet[Case] | None = None,
) -> ImportReport:
    """Check every row, then write every result, or nothing (CsvRejected for a file that
    cannot be read at all). ``within``: the only cases the file may name (a provider's own
    students); any other candidate is a fault of its row."""
    moment = now or clock.now()
    report = ImportReport()
    cases = _cases(round_, within)
    scope = "in this round" if within is None else "with a conditional offer from you"
    seen: dict[tuple[int, str, str], tuple[int, str]] = {}
    checked: list[_Row] = []
    for number, row in read_rows(source, required=REQUIRED_COLUMNS):
        report.rows += 1
        found = _check(number, row, cases, seen, report, scope)
        if found is not None:
            checked.append(found)
    if report.rows == 0:
        report.error(0, "the file has a header but no rows")
    if not report.ok:
        return report
    with transaction.atomic():
        for item in checked:
            existing = ExamResult.objects.filter(
                Q(case=item.case, scale=item.scale),
                subject__iexact=item.subject,
            ).first()
            if existing is None:
                ExamResult.objects.create(
                    case=item.case,
                    subject=item.subject,
                    scale=item.scale,
                    grade=item.grade,
                    imported_at=moment,
                    imported_by=actor,
                )
                report.created += 1
            elif existing.grade != item.grade:
                ExamResult.objects.filter(pk=existing.pk).update(
                    grade=item.grade, imported_at=moment, imported_by=actor
                )
                report.updated += 1
            else:
                report.unchanged += 1
        for case_id in sorted({item.case.pk for item in checked}):
            audit_record(
                case=Case.objects.get(pk=case_id),
                action="results.imported",
                actor=actor,
                data={"results": sum(1 for i in checked if i.case.pk == case_id)},
                now=moment,
            )
    return report
