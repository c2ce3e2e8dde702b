"""Letters meet GOV.UK Notify's precompiled letter specification: the real letters as the
project renders them, and the checker (offers/services/letter_spec.py) on small PDFs that each
break one rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from offers.services.letter_spec import (
    MAX_FILE_SIZE,
    address_block_lines,
    check_precompiled,
)
from offers.services.letters import LetterSpec, letter_render, offer_day_spec, render_pdf
from phasetransfer.models import Case
from tests.factories import RoundFactory
from tests.factories.offers import decided_case, undecided_case

NAME = "Ann Example"


def _rendered(case: Case, spec: LetterSpec | None = None) -> bytes:
    """The PDF the project stores and would send: rendered by its own letter code."""
    letter = letter_render(case=case, spec=spec or offer_day_spec(case))
    return bytes(letter.pdf)


@pytest.mark.django_db
def test_an_offer_letter_meets_the_spec_with_the_contact_in_the_address_window() -> None:
    case = decided_case(
        RoundFactory(), name=NAME, address="Flat 2\n14 Station Road, Maidstone", postcode="ME15 6LX"
    )
    pdf = _rendered(case)
    assert check_precompiled(pdf) == []
    assert address_block_lines(pdf) == [NAME, "Flat 2", "14 Station Road", "Maidstone", "ME15 6LX"]


@pytest.mark.django_db
def test_a_no_decision_letter_meets_the_spec_with_the_contact_in_the_address_window() -> None:
    # The postcode typed into the address too is printed once, last.
    case = undecided_case(
        RoundFactory(), name=NAME, address="1 High Street\nMaidstone\nME15 6LX", postcode="ME156LX"
    )
    pdf = _rendered(case)
    assert check_precompiled(pdf) == []
    assert address_block_lines(pdf) == [NAME, "1 High Street", "Maidstone", "ME15 6LX"]


@pytest.mark.django_db
def test_an_amended_letter_and_the_longest_address_still_meet_the_spec() -> None:
    """Seven lines, Notify's most, fill the window; the amended notice sits below it. An
    address of more parts has its first ones joined rather than an eighth line."""
    case = decided_case(
        RoundFactory(),
        name=NAME,
        address="Flat 2, Block B, Orchard House, 14 Station Road, Loose, Maidstone, Kent",
        postcode="ME15 6LX",
    )
    spec = offer_day_spec(case)
    amended = LetterSpec(
        decision=spec.decision,
        dated=spec.dated + dt.timedelta(days=3),
        amended=True,
        replaces=spec.dated,
    )
    pdf = _rendered(case, amended)
    assert check_precompiled(pdf) == []
    assert address_block_lines(pdf) == [
        NAME,
        "Flat 2, Block B, Orchard House",
        "14 Station Road",
        "Loose",
        "Maidstone",
        "Kent",
        "ME15 6LX",
    ]


# --- The checker, on small PDFs: one laid out to the spec, then one rule broken at a time ---

ADDRESS = (NAME, "1 High Street", "Maidstone", "ME15 6LX")


def _letter(*, address: Sequence[str] = ADDRESS, page_size: str = "A4", extra: str = "") -> bytes:
    """A one-page letter: the address in the window, a line of body text, and ``extra``.

    With no page margins, an absolutely placed block's left and top are the page's own; the
    body text is in the flow, so that ``extra`` may break to a new page after it."""
    lines = "".join(f"<div>{line}</div>" for line in address)
    html = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><style>
    @page {{ size: {page_size}; margin: 0 }}
    body {{ margin: 0; font: 10pt/11pt Arial, sans-serif }}
    .at {{ position: absolute; margin: 0 }}
    </style></head><body>
    <div class="at" style="left: 26mm; top: 41mm">{lines}</div>
    <p style="margin: 100mm 0 0 25mm">Dear {NAME},</p>
    {extra}
    </body></html>"""
    return render_pdf(html)


def _only(problems: list[str]) -> str:
    assert len(problems) == 1, problems
    return problems[0]


def test_a_letter_laid_out_to_the_spec_has_no_problems() -> None:
    pdf = _letter()
    assert check_precompiled(pdf) == []
    assert address_block_lines(pdf) == list(ADDRESS)


def test_letter_size_pages_are_reported() -> None:
    problem = _only(check_precompiled(_letter(page_size="letter")))
    assert "Page 1 is 215.9 x 279.4 mm" in problem
    assert "A4 portrait" in problem


def test_a4_landscape_pages_are_reported() -> None:
    problem = _only(check_precompiled(_letter(page_size="A4 landscape")))
    assert "Page 1 is 297.0 x 210.0 mm" in problem


def test_text_in_the_left_margin_is_reported() -> None:
    pdf = _letter(extra='<p class="at" style="left: 5mm; top: 150mm">Signed</p>')
    problem = _only(check_precompiled(pdf))
    assert 'text "Signed"' in problem
    assert "the left margin" in problem


def test_text_running_into_the_right_margin_is_reported() -> None:
    # Starts inside the printable area, ends past 195 mm.
    pdf = _letter(extra='<p class="at" style="left: 170mm; top: 150mm">A long unbreakable</p>')
    assert "the right margin" in _only(check_precompiled(pdf))


def test_text_in_a_later_pages_top_margin_is_reported() -> None:
    later = '<p style="break-before: page; margin: 0 0 0 25mm; padding-top: 1mm">Page two</p>'
    problem = _only(check_precompiled(_letter(extra=later)))
    assert problem.startswith('Page 2: text "Page two"')
    assert "the top margin" in problem


def test_an_address_of_two_lines_is_reported() -> None:
    pdf = _letter(address=(NAME, "ME15 6LX"))
    assert address_block_lines(pdf) == [NAME, "ME15 6LX"]
    problem = _only(check_precompiled(pdf))
    assert "The address window has 2 lines" in problem
    assert "3 to 7" in problem


def test_an_address_of_eight_lines_is_reported() -> None:
    # 8 lines at 8 pt still fit the window: only the count is wrong.
    address = [NAME, "Flat 2", "Block B", "Orchard House", "Station Road", "Loose", "Kent"]
    address.append("ME15 6LX")
    lines = "".join(f"<div>{line}</div>" for line in address)
    pdf = _letter(
        address=(),
        extra=f'<div class="at" style="left: 26mm; top: 40mm; font: 8pt/8.8pt Arial">{lines}</div>',
    )
    assert "has 8 lines: Notify takes at most 7" in _only(check_precompiled(pdf))


def test_an_address_without_a_postcode_last_is_reported() -> None:
    pdf = _letter(address=(NAME, "1 High Street", "Maidstone"))
    assert "is not a UK postcode" in _only(check_precompiled(pdf))


def test_text_crossing_into_the_address_window_is_reported() -> None:
    # Level with the address, from inside the window across its right edge (120 mm).
    pdf = _letter(extra='<p class="at" style="left: 100mm; top: 50mm">Our reference: 27S-0001</p>')
    problems = check_precompiled(pdf)
    assert any("crosses the edge of the address window" in p for p in problems), problems
    assert any("right of the address window" in p for p in problems), problems


def test_text_in_the_notify_tag_area_is_reported() -> None:
    # On a later page: Notify refuses a letter with its tag anywhere but page 1.
    later = '<p style="break-before: page; margin: 0; padding: 1mm 0 0 1mm">NOTIFY</p>'
    problem = _only(check_precompiled(_letter(extra=later)))
    assert problem.startswith('Page 2: text "NOTIFY"')
    assert "the area kept clear for Notify's NOTIFY tag" in problem


def test_more_than_ten_pages_are_reported() -> None:
    pages = "".join(
        f'<p style="break-before: page; margin: 0; padding: 20mm 25mm">Page {n}</p>'
        for n in range(2, 12)
    )
    assert "11 pages: Notify takes at most 10" in _only(check_precompiled(_letter(extra=pages)))


def test_a_file_over_2_mb_is_reported() -> None:
    # A PDF comment after the end: the file grows, its pages stay as they were.
    pdf = _letter() + b"\n%" + b"x" * MAX_FILE_SIZE + b"\n"
    problems = check_precompiled(pdf)
    assert any("Notify takes at most 2 MB" in p for p in problems), problems
