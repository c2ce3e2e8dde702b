"""The demo's results file: grades for the young people holding the demo round's conditional
offers, for a new user to import on the demo's results day and watch the offers settle.

Dealt out deterministically (by case reference): most meet their condition, some miss it by
one grade in English, a few have no maths result yet (the file the exam board sends late),
so the results-day page shows every kind of outcome. Offers the provider must confirm get
no rows: results cannot settle them.
"""

from __future__ import annotations

import csv
import io
import zlib

from offers.selectors import conditional_offers
from phasetransfer.core.conditions import Condition, grade_rank, grades_on
from phasetransfer.models import Round

OTHER_SUBJECTS = [
    "Combined Science",
    "History",
    "Geography",
    "Art and Design",
    "Computer Science",
    "Religious Studies",
    "French",
]
NAMED = {"english language": "English Language", "mathematics": "Mathematics"}


def _grades(condition: Condition, luck: int) -> list[tuple[str, str]]:
    scale = condition.scale
    order = grades_on(scale)
    floor = grade_rank(scale, condition.min_grade)
    named_floor = grade_rank(scale, condition.including_grade or condition.min_grade)
    rows: list[tuple[str, str]] = []
    miss_english = luck % 100 < 25
    no_maths = 25 <= luck % 100 < 33
    for index, subject in enumerate(condition.including):
        name = NAMED.get(subject, subject.title())
        if name == "Mathematics" and no_maths:
            continue
        rank = named_floor + (luck + index) % 2
        if name == "English Language" and miss_english:
            rank = named_floor - 1
        rows.append((name, order[max(0, min(rank, len(order) - 1))]))
    others = condition.count - len(condition.including) + 1
    for index, subject in enumerate(OTHER_SUBJECTS[:others]):
        rank = floor + (luck // 7 + index) % 3
        rows.append((subject, order[max(0, min(rank, len(order) - 1))]))
    return rows


def demo_results_csv(round_: Round) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["candidate", "subject", "grade", "scale"])
    for decision in conditional_offers(round_):
        condition = decision.the_condition()
        if condition is None or condition.provider_confirms:
            continue
        luck = zlib.crc32(decision.case.reference.encode())
        for subject, grade in _grades(condition, luck):
            writer.writerow([decision.case.reference, subject, grade, condition.scale.value])
    return out.getvalue()
