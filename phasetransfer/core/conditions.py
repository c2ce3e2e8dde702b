"""Conditions of a post-16 conditional offer, and whether a young person's results meet them
(issue 19: decided before exam results, settled on results day).

Plain computation, no database: a condition is structured (never free text) so that the
service, not a person reading prose, can say on results day whether it is met. A condition
is one of:

* **passes**: at least ``count`` subjects at ``min_grade`` or better on one grade scale,
  among which every subject named in ``including`` (each at ``including_grade``, the same
  grade unless said): "five GCSEs at grade 4 or above including English and maths";
* **provider confirms**: only the college or sixth form can say (an audition, an
  interview, a portfolio); results alone never settle it.

Grade scales accepted: GCSE 9-1 (9 highest, U ungraded); the common vocational grades
(BTEC, Cambridge Nationals and the like: D*, D, M, P, U, optionally with the level, L2 above
L1: "L2 D*", "L1 M"); and pass/fail (Functional Skills). A grade not on the scale is refused
where it is read (the results import), not guessed here.

A result that cannot be read against the condition leaves it **unsettled**, with the reason,
for a caseworker: no results at all, or none for a subject the condition names. "Not met"
is said only when the results in hand cannot meet it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class Scale(StrEnum):
    GCSE = "gcse"
    VOCATIONAL = "vocational"
    PASS_FAIL = "pass_fail"


# As people write them, in messages.
SCALE_NAMES = {Scale.GCSE: "GCSE", Scale.VOCATIONAL: "vocational", Scale.PASS_FAIL: "pass or fail"}


class GradeRefused(ValueError):
    """A grade that is not on its scale; the message says which are."""


_GCSE = ["U", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
_VOCATIONAL_GRADES = ["P", "M", "D", "D*"]
# Level 1 grades sit below every Level 2 grade; a grade without its level is Level 2, the
# level a post-16 entry requirement names.
_VOCATIONAL = [
    "U",
    *(f"L1 {g}" for g in _VOCATIONAL_GRADES),
    *(f"L2 {g}" for g in _VOCATIONAL_GRADES),
]
_PASS_FAIL = ["FAIL", "PASS"]
_ORDER: dict[Scale, list[str]] = {
    Scale.GCSE: _GCSE,
    Scale.VOCATIONAL: _VOCATIONAL,
    Scale.PASS_FAIL: _PASS_FAIL,
}
_VOCATIONAL_WORDS = {
    "DISTINCTION*": "D*",
    "DISTINCTION STAR": "D*",
    "DISTINCTION": "D",
    "MERIT": "M",
    "PASS": "P",
    "UNCLASSIFIED": "U",
}


def grades_on(scale: Scale) -> list[str]:
    """The scale's grades, lowest first."""
    return list(_ORDER[scale])


def grade_rank(scale: Scale, grade: str) -> int:
    """The grade's place on its scale (higher is better). Raises GradeRefused."""
    key = normalise_grade(scale, grade)
    return _ORDER[scale].index(key)


def normalise_grade(scale: Scale, grade: str) -> str:
    """The scale's own spelling of ``grade`` ("l2 d*", "Distinction*" -> "L2 D*")."""
    text = " ".join(grade.strip().upper().split())
    if scale == Scale.VOCATIONAL:
        level = "L2"
        found = re.fullmatch(r"(?:LEVEL ?|L)([12]) ?(.+)", text)
        if found:
            level, text = f"L{found.group(1)}", found.group(2).strip()
        text = _VOCATIONAL_WORDS.get(text, text)
        if text == "U":
            return "U"
        text = f"{level} {text}"
    if scale == Scale.GCSE and text == "UNCLASSIFIED":
        text = "U"
    if text not in _ORDER[scale]:
        allowed = ", ".join(_ORDER[scale])
        raise GradeRefused(
            f"{grade!r} is not a grade on the {SCALE_NAMES[scale]} scale ({allowed})"
        )
    return text


# Subjects as schools and awarding bodies write them, to one name each. Only what an entry
# requirement names needs to match: "English" is English Language (Literature alone does
# not meet a requirement for English), "maths" is Mathematics.
_SUBJECT_NAMES = {
    "english": "english language",
    "english language": "english language",
    "eng lang": "english language",
    "maths": "mathematics",
    "math": "mathematics",
    "mathematics": "mathematics",
}


def normalise_subject(subject: str) -> str:
    text = " ".join(subject.strip().lower().replace("&", "and").split())
    return _SUBJECT_NAMES.get(text, text)


@dataclass(frozen=True)
class Result:
    subject: str
    grade: str
    scale: Scale


class Verdict(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNSETTLED = "unsettled"


@dataclass(frozen=True)
class Settlement:
    verdict: Verdict
    reason: str  # in words a caseworker and a family can read


@dataclass(frozen=True)
class Condition:
    """One branch's entry requirement (see the module docstring)."""

    provider_confirms: bool = False
    scale: Scale = Scale.GCSE
    count: int = 0
    min_grade: str = ""
    including: Sequence[str] = field(default_factory=tuple)
    including_grade: str = ""

    def __post_init__(self) -> None:
        if self.provider_confirms:
            return
        if self.count < len(self.including) or self.count < 1:
            raise ValueError("a condition needs at least one pass, and one per named subject")
        normalise_grade(self.scale, self.min_grade)
        if self.including_grade:
            normalise_grade(self.scale, self.including_grade)

    def to_json(self) -> dict[str, object]:
        """As the decision stores it (``Decision.condition``)."""
        if self.provider_confirms:
            return {"provider_confirms": True}
        return {
            "scale": self.scale.value,
            "count": self.count,
            "min_grade": normalise_grade(self.scale, self.min_grade),
            "including": [normalise_subject(s) for s in self.including],
            "including_grade": (
                normalise_grade(self.scale, self.including_grade) if self.including_grade else ""
            ),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Condition:
        if data.get("provider_confirms"):
            return cls(provider_confirms=True)
        count = data.get("count", 0)
        including = data.get("including", [])
        return cls(
            scale=Scale(str(data.get("scale", Scale.GCSE.value))),
            count=count if isinstance(count, int) else 0,
            min_grade=str(data.get("min_grade", "")),
            including=tuple(str(s) for s in including) if isinstance(including, list) else (),
            including_grade=str(data.get("including_grade", "")),
        )

    def describe(self) -> str:
        """The condition in plain English, as the letter states it."""
        if self.provider_confirms:
            return "if the college or sixth form confirms you meet its entry requirements"
        scale = {Scale.GCSE: "GCSEs", Scale.VOCATIONAL: "vocational qualifications"}.get(
            self.scale, "qualifications"
        )
        grade = normalise_grade(self.scale, self.min_grade)
        words = f"if you get {self.count} {scale} at grade {grade} or above"
        if self.scale == Scale.PASS_FAIL:
            words = f"if you pass {self.count} qualification{'s' if self.count != 1 else ''}"
        if self.including:
            named = _and([_display(s) for s in self.including])
            words += f" including {named}"
            if self.including_grade and self.including_grade != self.min_grade:
                words += f" at grade {normalise_grade(self.scale, self.including_grade)} or above"
        return words


def _display(subject: str) -> str:
    name = normalise_subject(subject)
    return {"english language": "English", "mathematics": "maths"}.get(name, subject.strip())


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def settle(condition: Condition, results: Iterable[Result]) -> Settlement:
    """Whether ``results`` meet ``condition``: met, not met, or unsettled with the reason."""
    if condition.provider_confirms:
        return Settlement(Verdict.UNSETTLED, "the college or sixth form must confirm it")
    on_scale = [r for r in results if r.scale == condition.scale]
    if not on_scale:
        return Settlement(Verdict.UNSETTLED, "no results yet")
    best: dict[str, int] = {}
    for result in on_scale:
        subject = normalise_subject(result.subject)
        rank = grade_rank(condition.scale, result.grade)
        best[subject] = max(rank, best.get(subject, -1))
    floor = grade_rank(condition.scale, condition.min_grade)
    named_floor = grade_rank(condition.scale, condition.including_grade or condition.min_grade)
    missing = [s for s in condition.including if normalise_subject(s) not in best]
    if missing:
        return Settlement(
            Verdict.UNSETTLED, f"no result for {_and([_display(s) for s in missing])}"
        )
    short = [s for s in condition.including if best[normalise_subject(s)] < named_floor]
    passes = sum(1 for rank in best.values() if rank >= floor)
    if short:
        return Settlement(
            Verdict.NOT_MET, f"{_and([_display(s) for s in short])} below the grade needed"
        )
    if passes < condition.count:
        return Settlement(Verdict.NOT_MET, f"{passes} of the {condition.count} passes needed")
    return Settlement(Verdict.MET, f"{passes} passes, {condition.count} needed")


def infer_scale(grade: str) -> Scale | None:
    """The scale a grade written without one belongs to: "pass"/"fail" are Functional
    Skills, a number or U is GCSE, D*/D/M/P (with or without a level) vocational."""
    text = grade.strip().upper()
    if text in _PASS_FAIL:
        return Scale.PASS_FAIL
    for scale in (Scale.GCSE, Scale.VOCATIONAL):
        try:
            normalise_grade(scale, grade)
        except GradeRefused:
            continue
        return scale
    return None
