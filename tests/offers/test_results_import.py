"""Results day's import: every grade scale, corrections, and bad files refused whole with
the row and the reason of each fault."""

from __future__ import annotations

import pytest

from offers.models import ExamResult
from offers.services.results import results_import
from phasetransfer.core.csvfile import CsvRejected
from phasetransfer.models import AuditEvent, Phase, Round
from tests.factories import CaseFactory, RoundFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_() -> Round:
    return RoundFactory(phase=Phase.POST16, offer_day_at=None)


def _csv(*rows: str, header: str = "candidate,subject,grade,scale") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_a_clean_file_writes_every_result_in_its_scales_spelling(round_: Round) -> None:
    case = CaseFactory(round=round_)
    other = CaseFactory(round=round_)
    report = results_import(
        round_=round_,
        source=_csv(
            f"{case.reference},English Language,5,",
            f"{case.reference},Mathematics,4,gcse",
            f"{case.reference},Health and Social Care,l2 distinction*,",
            f"{case.reference},Functional Skills English,Pass,",
            f"{other.child.ehcp_reference},Maths,U,",
        ),
    )
    assert report.ok, report.errors
    assert report.created == 5
    grades = dict(ExamResult.objects.filter(case=case).values_list("subject", "grade"))
    assert grades == {
        "English Language": "5",
        "Mathematics": "4",
        "Health and Social Care": "L2 D*",
        "Functional Skills English": "PASS",
    }
    assert ExamResult.objects.get(case=other).scale == "gcse"
    assert AuditEvent.objects.filter(action="results.imported").count() == 2


def test_a_corrected_file_replaces_a_grade_and_says_so(round_: Round) -> None:
    case = CaseFactory(round=round_)
    results_import(round_=round_, source=_csv(f"{case.reference},Maths,3,"))
    report = results_import(
        round_=round_, source=_csv(f"{case.reference},maths,4,", f"{case.reference},Art,6,")
    )
    assert (report.created, report.updated) == (1, 1)
    assert ExamResult.objects.get(case=case, subject="Maths").grade == "4"


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("NOBODY-1,Maths,4,", "candidate", "no young person 'NOBODY-1' in this round"),
        (",Maths,4,", "candidate", "the candidate is missing"),
        ("{ref},,4,", "subject", "the subject is missing"),
        ("{ref},Maths,A*,", "grade", "is not a grade"),
        ("{ref},Maths,10,gcse", "grade", "is not a grade on the GCSE scale"),
        ("{ref},Maths,4,ib", "scale", "'ib' is not a scale"),
        ("{ref},Maths,5,", "grade", "is 5 here but 4 on row 2"),
    ],
)
def test_a_bad_row_refuses_the_whole_file_with_its_row_and_reason(
    round_: Round, row: str, column: str, message: str
) -> None:
    case = CaseFactory(round=round_)
    source = _csv(f"{case.reference},Maths,4,", row.format(ref=case.reference))
    report = results_import(round_=round_, source=source)
    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(3, column)]
    assert message in report.errors[0].message
    assert ExamResult.objects.count() == 0  # nothing written, not even the good row


def test_a_case_of_another_round_is_not_a_candidate_here(round_: Round) -> None:
    elsewhere = CaseFactory(round=RoundFactory())
    report = results_import(round_=round_, source=_csv(f"{elsewhere.reference},Maths,4,"))
    assert not report.ok
    assert ExamResult.objects.count() == 0


def test_files_that_cannot_be_read_are_refused(round_: Round) -> None:
    with pytest.raises(CsvRejected, match="Missing column"):
        results_import(round_=round_, source=b"candidate,subject\nX,Maths\n")
    report = results_import(round_=round_, source=_csv())
    assert [e.message for e in report.errors] == ["the file has a header but no rows"]
    assert ExamResult.objects.count() == 0
