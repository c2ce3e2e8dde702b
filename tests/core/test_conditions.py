"""Conditions of a post-16 conditional offer against every grade scale they accept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phasetransfer.core.conditions import (
    Condition,
    GradeRefused,
    Result,
    Scale,
    Verdict,
    grade_rank,
    normalise_grade,
    settle,
)

FIVE_WITH_ENGLISH_AND_MATHS = Condition(count=5, min_grade="4", including=("English", "maths"))


def _gcse(**grades: str) -> list[Result]:
    return [
        Result(subject.replace("_", " "), grade, Scale.GCSE) for subject, grade in grades.items()
    ]


@pytest.mark.parametrize(
    ("scale", "low", "high"),
    [
        (Scale.GCSE, "U", "1"),
        (Scale.GCSE, "3", "4"),
        (Scale.GCSE, "8", "9"),
        (Scale.VOCATIONAL, "U", "L1 P"),
        (Scale.VOCATIONAL, "L1 D*", "L2 P"),  # every Level 2 grade is above Level 1
        (Scale.VOCATIONAL, "Merit", "Distinction"),
        (Scale.VOCATIONAL, "L2 D", "D*"),  # no level written: Level 2
        (Scale.PASS_FAIL, "Fail", "Pass"),
    ],
)
def test_each_scale_orders_its_grades(scale: Scale, low: str, high: str) -> None:
    assert grade_rank(scale, low) < grade_rank(scale, high)


@pytest.mark.parametrize(
    ("scale", "written", "normal"),
    [
        (Scale.VOCATIONAL, "distinction*", "L2 D*"),
        (Scale.VOCATIONAL, "Level 1 Merit", "L1 M"),
        (Scale.VOCATIONAL, "l2d*", "L2 D*"),
        (Scale.VOCATIONAL, "unclassified", "U"),
        (Scale.GCSE, " 7 ", "7"),
        (Scale.PASS_FAIL, "pass", "PASS"),
    ],
)
def test_grades_are_read_as_schools_write_them(scale: Scale, written: str, normal: str) -> None:
    assert normalise_grade(scale, written) == normal


@pytest.mark.parametrize(
    ("scale", "grade"),
    [(Scale.GCSE, "A*"), (Scale.GCSE, "10"), (Scale.VOCATIONAL, "L3 D"), (Scale.PASS_FAIL, "M")],
)
def test_a_grade_off_its_scale_is_refused_with_the_grades_it_takes(
    scale: Scale, grade: str
) -> None:
    with pytest.raises(GradeRefused, match="is not a grade on the"):
        grade_rank(scale, grade)


def test_five_gcses_including_english_and_maths_are_met() -> None:
    results = _gcse(English_Language="5", Mathematics="4", Science="6", History="4", Art="7")
    settled = settle(FIVE_WITH_ENGLISH_AND_MATHS, results)
    assert settled.verdict == Verdict.MET


@pytest.mark.parametrize(
    ("results", "verdict", "reason"),
    [
        (
            _gcse(English="5", Maths="3", Science="6", History="4", Art="7", Music="9"),
            Verdict.NOT_MET,
            "maths below the grade needed",
        ),
        (
            _gcse(English="5", Maths="4", Science="6", History="3", Art="2"),
            Verdict.NOT_MET,
            "3 of the 5 passes needed",
        ),
        (
            _gcse(English_Literature="9", Maths="9", Science="9", History="9", Art="9"),
            Verdict.UNSETTLED,
            "no result for English",
        ),  # Literature is not English Language
        ([], Verdict.UNSETTLED, "no results yet"),
        ([Result("Maths", "L2 D", Scale.VOCATIONAL)], Verdict.UNSETTLED, "no results yet"),
    ],
)
def test_what_is_short_or_missing_is_said(
    results: list[Result], verdict: Verdict, reason: str
) -> None:
    settled = settle(FIVE_WITH_ENGLISH_AND_MATHS, results)
    assert (settled.verdict, settled.reason) == (verdict, reason)


def test_a_subject_taken_twice_counts_once_at_its_best_grade() -> None:
    results = _gcse(English="4", Maths="4", Science="4", History="4") + [
        Result("maths", "2", Scale.GCSE)  # a resit line
    ]
    assert settle(Condition(count=4, min_grade="4"), results).verdict == Verdict.MET
    assert settle(Condition(count=5, min_grade="4"), results).reason == "4 of the 5 passes needed"


def test_a_vocational_condition_and_a_provider_confirmation() -> None:
    merit = Condition(scale=Scale.VOCATIONAL, count=1, min_grade="L2 M")
    assert (
        settle(
            merit, [Result("Health and Social Care", "L2 Distinction", Scale.VOCATIONAL)]
        ).verdict
        == Verdict.MET
    )
    assert (
        settle(merit, [Result("Health and Social Care", "L1 D*", Scale.VOCATIONAL)]).verdict
        == Verdict.NOT_MET
    )
    audition = Condition(provider_confirms=True)
    assert settle(audition, _gcse(Music="9")).verdict == Verdict.UNSETTLED


def test_a_condition_says_itself_in_plain_english() -> None:
    assert FIVE_WITH_ENGLISH_AND_MATHS.describe() == (
        "if you get 5 GCSEs at grade 4 or above including English and maths"
    )
    stricter = Condition(count=5, min_grade="4", including=("maths",), including_grade="5")
    assert stricter.describe().endswith("including maths at grade 5 or above")


def test_a_condition_that_cannot_be_checked_is_refused() -> None:
    with pytest.raises(ValueError, match="one per named subject"):
        Condition(count=1, min_grade="4", including=("English", "maths"))
    with pytest.raises(GradeRefused):
        Condition(count=5, min_grade="C")


GCSE_GRADES = st.sampled_from(["U", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
SUBJECTS = ["English", "Maths", "Science", "History", "Art", "Music", "French"]


@given(
    grades=st.lists(GCSE_GRADES, min_size=len(SUBJECTS), max_size=len(SUBJECTS)),
    better=st.integers(min_value=0, max_value=len(SUBJECTS) - 1),
)
def test_a_better_grade_never_undoes_a_met_condition(grades: list[str], better: int) -> None:
    results = [Result(s, g, Scale.GCSE) for s, g in zip(SUBJECTS, grades, strict=True)]
    before = settle(FIVE_WITH_ENGLISH_AND_MATHS, results).verdict
    raised = list(grades)
    raised[better] = str(min(9, int(grades[better]) + 1)) if grades[better] != "U" else "1"
    after = settle(
        FIVE_WITH_ENGLISH_AND_MATHS,
        [Result(s, g, Scale.GCSE) for s, g in zip(SUBJECTS, raised, strict=True)],
    ).verdict
    if before == Verdict.MET:
        assert after == Verdict.MET
    if after == Verdict.NOT_MET:
        assert before == Verdict.NOT_MET
