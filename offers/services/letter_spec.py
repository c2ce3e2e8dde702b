"""Does a letter PDF meet GOV.UK Notify's precompiled letter specification?

Letters are sent to Notify as precompiled letters: Notify prints the PDF as it is, reads the
recipient's address from the envelope window of page 1, and refuses a PDF that breaks its
specification (the API answers 400, and the letter is not posted). ``check_precompiled``
finds those problems here, before a letter is stored or sent, and says each in words.

The rules, their figures, and where they come from:

- Sources. [guidance]: Notify's "Upload a letter" guidance, section "Letter specification",
  https://www.notifications.service.gov.uk/using-notify/upload-a-letter (in the repository
  alphagov/notifications-admin: app/templates/views/guidance/using-notify/upload-a-letter.html;
  the old address /using-notify/guidance/letter-specification redirects there; the PDF version
  is https://docs.notifications.service.gov.uk/documentation/images/notify-pdf-letter-spec-v2.4.pdf).
  [validator]: the code that validates precompiled letters, alphagov/notifications-template-preview
  app/precompiled.py (constants at the top, ``get_invalid_pages_with_message``,
  ``_colour_no_print_areas_of_page_in_red``, ``rewrite_address_block``), its docs/notify-tag.md,
  and the address rules it applies from alphagov/notifications-utils
  notifications_utils/recipient_validation/postal_address.py and notifications_utils/__init__.py.
- Every page A4 portrait, 210 x 297 mm [guidance]; the validator allows 2 mm either way and
  a landscape page turned by /Rotate 90 or 270. Checked here within 1 pt (0.35 mm), on the
  page as displayed (its /Rotate applied).
- At most 10 pages ("10 pages or less (5 double-sided sheets of paper)" [guidance];
  ``LETTER_MAX_PAGE_COUNT = 10`` in notifications_utils).
- At most 2 MB ("Maximum file size: 2 MB" [guidance]; ``MAX_FILESIZE = 2 * 1024 * 1024`` in
  the validator).
- Printable area, every page: nothing within 15 mm of the left and right edges or 5 mm of the
  top and bottom edges ([guidance] "Left margin 15mm ... Bottom margin 5mm"; the validator's
  ``BORDER_*`` constants).
- Page 1, further: the top 95 mm (the validator's ``BODY_TOP_FROM_TOP_OF_PAGE``) holds only
  the logo block (15-125 mm from the left, 5-30 mm from the top), the contact block
  (125-195 mm from the left, 5-95 mm from the top; [guidance] gives 125 mm from the left,
  30 mm from the top, 65 x 65 mm) and the address window; everything else there (left of,
  above, right of and below the window) is a no-print zone. The validator's red overlay
  (``_colour_no_print_areas_of_page_in_red``) draws exactly these zones.
- The address window, page 1: 24.6 mm from the left, 39.5 mm from the top, 95.4 mm wide,
  26.8 mm high ([guidance] "Address block"; the validator's ``ADDRESS_*`` constants:
  24.6-120 mm from the left, 39.5-66.3 mm from the top). Notify reads as the address all
  text within 3 mm of the window (``ADDRESS_BOUNDING_BOX``), so text just outside it would
  join the address: the no-print zones around the window keep it away, and text crossing the
  window's edge is reported as such.
- The address: 3 to 7 lines (``PostalAddress.MIN_LINES = 3``, ``MAX_LINES = 7``); the last
  line a real UK postcode (error ``not-a-real-uk-postcode``); lines 1 and 2 with a letter or
  digit; no line starting with one of ``@()=[]"\\/,<>~``; no "NFA" line and no "no fixed
  abode/address". Notify also takes a country as the last line (international letters, when
  the service allows them) and BFPO addresses; this service writes to UK addresses, so a last
  line that is not a UK postcode is reported.
- The NOTIFY tag area, every page: Notify writes the word NOTIFY at the top left of page 1 for
  the printer (DVLA), in the box 0-15.191 mm from the left and 0-6.149 mm from the top
  (docs/notify-tag.md; ``NOTIFY_TAG_BOUNDING_BOX``), and refuses a letter with that tag on a
  later page (``notify-tag-found-in-content``). Most of the box is margin already; its edge
  past 15 mm is checked too.

What is checked is the text: every glyph run's box (from the font's advance widths, ascent
and descent, through the text and graphics matrices) must lie inside the page and outside
every no-print zone. Notify's validator goes further and looks at every printed pixel (lines,
borders, images too), with 1 mm of allowance around each area; this checker allows none,
following the validator's note that letters should be laid out to the published figures.
Coordinates in a PDF start at the bottom left, in points: they are turned into millimetres
from the top left (1 mm = 72 / 25.4 pt), as the specification measures.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pypdf import PageObject, PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ContentStream, DictionaryObject, StreamObject, TextStringObject

PT_PER_MM = 72 / 25.4  # PDF measures in points, 1/72 inch; the specification in mm
A4_WIDTH_MM = 210.0  # [guidance] "A4 portrait (210 × 297 mm)"
A4_HEIGHT_MM = 297.0
PAGE_SIZE_TOLERANCE_PT = 1.0  # stricter than the validator's 2 mm: ours are made A4 exactly
MAX_PAGES = 10  # [guidance]; notifications_utils LETTER_MAX_PAGE_COUNT
MAX_FILE_SIZE = 2 * 1024 * 1024  # [guidance] "2 MB"; the validator's MAX_FILESIZE
MIN_ADDRESS_LINES = 3  # notifications_utils PostalAddress.MIN_LINES
MAX_ADDRESS_LINES = 7  # PostalAddress.MAX_LINES
# Floating-point noise only: a glyph placed exactly on a boundary is inside it.
EPSILON_MM = 0.01

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass(frozen=True)
class Rect:
    """An area of the page in mm, measured from its top-left corner as displayed."""

    left: float
    top: float
    right: float
    bottom: float

    def contains(self, other: Rect) -> bool:
        return (
            other.left >= self.left - EPSILON_MM
            and other.right <= self.right + EPSILON_MM
            and other.top >= self.top - EPSILON_MM
            and other.bottom <= self.bottom + EPSILON_MM
        )

    def overlaps(self, other: Rect) -> bool:
        # Touching along an edge is not overlapping: a glyph may end exactly on a boundary.
        return (
            other.left < self.right - EPSILON_MM
            and other.right > self.left + EPSILON_MM
            and other.top < self.bottom - EPSILON_MM
            and other.bottom > self.top + EPSILON_MM
        )

    def describe(self) -> str:
        return (
            f"{self.left:.1f}-{self.right:.1f} mm from the left, "
            f"{self.top:.1f}-{self.bottom:.1f} mm from the top"
        )


@dataclass(frozen=True)
class Zone:
    name: str
    area: Rect


PAGE = Rect(0.0, 0.0, A4_WIDTH_MM, A4_HEIGHT_MM)
# [guidance] margins; the validator's BORDER_* constants.
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 15.0, 15.0, 5.0, 5.0
PRINT_LEFT = MARGIN_LEFT
PRINT_RIGHT = A4_WIDTH_MM - MARGIN_RIGHT
PRINT_TOP = MARGIN_TOP
PRINT_BOTTOM = A4_HEIGHT_MM - MARGIN_BOTTOM
BODY_TOP = 95.0  # page 1: where the body may begin (BODY_TOP_FROM_TOP_OF_PAGE)
LOGO_BOTTOM = 30.0  # page 1: the logo block's lower edge (LOGO_BOTTOM_FROM_TOP_OF_PAGE)
CONTACT_BLOCK_LEFT = 125.0  # page 1: the contact block (SERVICE_ADDRESS_LEFT_FROM_LEFT_OF_PAGE)
# [guidance] "24.6mm from left edge, 39.5mm from top edge ... 95.4mm wide by 26.8mm high";
# the validator's ADDRESS_{LEFT,RIGHT,TOP,BOTTOM}_* (24.6, 120.0, 39.5, 66.3).
ADDRESS_WINDOW = Rect(24.6, 39.5, 24.6 + 95.4, 39.5 + 26.8)
# docs/notify-tag.md: "Bounding box: top-left=(0, 0), bottom-right=(15.191, 6.149)".
NOTIFY_TAG_AREA = Rect(0.0, 0.0, 15.191, 6.149)

EVERY_PAGE_ZONES = (
    Zone("the left margin (15 mm)", Rect(0.0, 0.0, PRINT_LEFT, A4_HEIGHT_MM)),
    Zone("the right margin (15 mm)", Rect(PRINT_RIGHT, 0.0, A4_WIDTH_MM, A4_HEIGHT_MM)),
    Zone("the top margin (5 mm)", Rect(PRINT_LEFT, 0.0, PRINT_RIGHT, PRINT_TOP)),
    Zone("the bottom margin (5 mm)", Rect(PRINT_LEFT, PRINT_BOTTOM, PRINT_RIGHT, A4_HEIGHT_MM)),
    Zone("the area kept clear for Notify's NOTIFY tag", NOTIFY_TAG_AREA),
)
# Page 1's top 95 mm outside the logo block, the contact block and the window: the
# validator's red overlay for a first page (_colour_no_print_areas_of_page_in_red).
FIRST_PAGE_ZONES = (
    Zone(
        "the no-print zone left of the address window",
        Rect(PRINT_LEFT, LOGO_BOTTOM, ADDRESS_WINDOW.left, BODY_TOP),
    ),
    Zone(
        "the no-print zone above the address window",
        Rect(ADDRESS_WINDOW.left, LOGO_BOTTOM, ADDRESS_WINDOW.right, ADDRESS_WINDOW.top),
    ),
    Zone(
        "the no-print zone right of the address window",
        Rect(ADDRESS_WINDOW.right, LOGO_BOTTOM, CONTACT_BLOCK_LEFT, BODY_TOP),
    ),
    Zone(
        "the no-print zone below the address window",
        Rect(ADDRESS_WINDOW.left, ADDRESS_WINDOW.bottom, ADDRESS_WINDOW.right, BODY_TOP),
    ),
)

# A UK postcode's shape (outward code, then inward code: digit and two letters that are not
# C, I, K, M, O or V). Notify also checks the area letters against Royal Mail's list.
UK_POSTCODE = re.compile(r"(?:[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][ABD-HJLNP-UW-Z]{2}|GIR0AA)")
INVALID_FIRST_CHARACTERS = tuple('@()=[]"\\/,<>~')


@dataclass(frozen=True)
class TextFragment:
    """One run of text as printed: a Tj/TJ operator's glyphs."""

    page: int
    text: str
    box: Rect  # the glyphs' extent, from their ascent to their descent
    baseline: float  # mm from the top
    x: float  # where the first glyph starts, mm from the left
    font_size: float  # mm


def check_precompiled(pdf: bytes) -> list[str]:
    """The ways ``pdf`` breaks Notify's precompiled letter specification; empty if none."""
    problems: list[str] = []
    if len(pdf) > MAX_FILE_SIZE:
        problems.append(
            f"The file is {len(pdf):,} bytes: Notify takes at most 2 MB ({MAX_FILE_SIZE:,} bytes)."
        )
    try:
        reader = PdfReader(io.BytesIO(pdf))
        pages = list(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        return [*problems, f"The file is not a PDF that can be read: {exc}."]
    if not pages:
        return [*problems, "The PDF has no pages."]
    if len(pages) > MAX_PAGES:
        problems.append(
            f"The letter has {len(pages)} pages: Notify takes at most {MAX_PAGES} "
            "(5 double-sided sheets)."
        )
    for number, page in enumerate(pages, start=1):
        size_problem = _page_size_problem(page, number)
        if size_problem:
            # The areas are measured on an A4 page: on another size they mean nothing.
            problems.append(size_problem)
            continue
        fragments = list(text_fragments(page, number))
        problems.extend(_printable_area_problems(fragments, number))
        if number == 1:
            problems.extend(_address_problems(fragments))
    return problems


def address_block_lines(pdf: bytes) -> list[str]:
    """The lines of text inside page 1's address window, top to bottom: what Notify reads
    as the recipient's address."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    return _address_lines(list(text_fragments(page, 1)))


def _page_size_problem(page: PageObject, number: int) -> str:
    width, height = _displayed_size_pt(page)
    a4_width, a4_height = A4_WIDTH_MM * PT_PER_MM, A4_HEIGHT_MM * PT_PER_MM
    if (
        abs(width - a4_width) <= PAGE_SIZE_TOLERANCE_PT
        and abs(height - a4_height) <= PAGE_SIZE_TOLERANCE_PT
    ):
        return ""
    return (
        f"Page {number} is {width / PT_PER_MM:.1f} x {height / PT_PER_MM:.1f} mm: "
        "Notify needs A4 portrait (210 x 297 mm) pages."
    )


def _printable_area_problems(fragments: Iterable[TextFragment], number: int) -> Iterator[str]:
    zones = EVERY_PAGE_ZONES + (FIRST_PAGE_ZONES if number == 1 else ())
    for fragment in fragments:
        where = f"Page {number}: text {_quoted(fragment.text)} ({fragment.box.describe()})"
        if not PAGE.contains(fragment.box):
            yield f"{where} runs off the page."
            continue
        hit = [zone.name for zone in zones if zone.area.overlaps(fragment.box)]
        if hit:
            yield f"{where} is in {_listed(hit)}, where Notify prints nothing."


def _address_problems(fragments: Sequence[TextFragment]) -> Iterator[str]:
    for fragment in fragments:
        box = fragment.box
        if ADDRESS_WINDOW.overlaps(box) and not ADDRESS_WINDOW.contains(box):
            yield (
                f"Page 1: text {_quoted(fragment.text)} ({box.describe()}) crosses the edge "
                "of the address window: Notify would read it as part of the address."
            )
    lines = _address_lines(fragments)
    if len(lines) < MIN_ADDRESS_LINES:
        shown = f": {' / '.join(lines)}" if lines else ""
        yield (
            f"The address window has {len(lines)} line{'s' if len(lines) != 1 else ''}{shown}. "
            f"Notify needs {MIN_ADDRESS_LINES} to {MAX_ADDRESS_LINES} (the name, the address, "
            "the postcode last)."
        )
        return
    if len(lines) > MAX_ADDRESS_LINES:
        yield (
            f"The address window has {len(lines)} lines: Notify takes at most {MAX_ADDRESS_LINES}."
        )
    if not UK_POSTCODE.fullmatch("".join(lines[-1].split()).upper()):
        yield f"The address's last line, {_quoted(lines[-1])}, is not a UK postcode."
    if not all(re.search(r"[A-Za-z0-9]", line) for line in lines[:2]):
        yield "The address's first two lines must each have a letter or a digit."
    for line in lines:
        if line.startswith(INVALID_FIRST_CHARACTERS):
            yield f"The address line {_quoted(line)} starts with a character Notify refuses."
    if any(line.lower() == "nfa" for line in lines) or re.search(
        r"no fixed (abode|address)", "\n".join(lines), re.IGNORECASE
    ):
        yield "The address is 'no fixed abode': Notify does not post to one."


def _address_lines(fragments: Iterable[TextFragment]) -> list[str]:
    inside = sorted(
        (f for f in fragments if ADDRESS_WINDOW.contains(f.box) and f.text.strip()),
        key=lambda f: (f.baseline, f.x),
    )
    lines: list[list[TextFragment]] = []
    for fragment in inside:
        # One line: runs on the same baseline, give or take a third of the type's size.
        if lines and abs(fragment.baseline - lines[-1][0].baseline) < fragment.font_size / 3:
            lines[-1].append(fragment)
        else:
            lines.append([fragment])
    result = []
    for runs in lines:
        runs.sort(key=lambda f: f.x)
        text = runs[0].text
        for previous, run in zip(runs, runs[1:], strict=False):
            # Runs placed apart without a space glyph between them are separate words.
            gap = run.box.left - previous.box.right
            joiner = " " if gap > run.font_size / 5 and not text.endswith(" ") else ""
            text += joiner + run.text
        result.append(" ".join(text.split()))
    return [line for line in result if line]


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    return f'"{text[:40]}…"' if len(text) > 40 else f'"{text}"'


# --- Where the text is: a small interpreter of the content stream's text operators -------


def _displayed_size_pt(page: PageObject) -> tuple[float, float]:
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    return (height, width) if page.rotation % 180 == 90 else (width, height)


def _to_page_mm(page: PageObject, x: float, y: float) -> tuple[float, float]:
    """A point of the PDF's default user space (points, from the media box's bottom left)
    as mm from the top left of the page as displayed (its /Rotate applied, clockwise)."""
    box = page.mediabox
    u, v = x - float(box.left), y - float(box.bottom)
    width, height = float(box.width), float(box.height)
    rotation = page.rotation % 360
    if rotation == 90:
        across, down = v, u
    elif rotation == 180:
        across, down = width - u, v
    elif rotation == 270:
        across, down = height - v, width - u
    else:
        across, down = u, height - v
    return across / PT_PER_MM, down / PT_PER_MM


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """m then n, as PDF composes matrices (m x n)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    )


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5]


def _matrix(operands: Sequence[Any]) -> Matrix:
    try:
        a, b, c, d, e, f = (float(value) for value in operands[:6])
    except (TypeError, ValueError):
        return IDENTITY
    return (a, b, c, d, e, f)


def _number(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


class _Font:
    """What the checker needs of a font: how its codes read, how wide and tall its glyphs are.

    Widths are in thousandths of the type's size, as for every font but Type 3 (glyphs drawn
    by procedures, with a /FontMatrix of their own), which WeasyPrint does not write.
    """

    def __init__(self, font: DictionaryObject | None) -> None:
        font = font if font is not None else DictionaryObject()
        self.composite = font.get("/Subtype") == "/Type0"
        descriptor: Any = font.get("/FontDescriptor")
        self.widths: dict[int, float] = {}
        if self.composite:
            descendants: Any = font.get("/DescendantFonts") or []
            descendant: Any = descendants[0].get_object() if len(descendants) else {}
            self.default_width = _number(descendant.get("/DW"), 1000.0)
            self._cid_widths(descendant.get("/W"))
            descriptor = descendant.get("/FontDescriptor")
        else:
            first = int(_number(font.get("/FirstChar"), 0))
            widths: Any = font.get("/Widths")
            for offset, width in enumerate(widths.get_object() if widths is not None else []):
                self.widths[first + offset] = _number(width)
            # The standard 14 fonts come without widths: 556 is Helvetica's digits and most
            # of its lower case, near enough for a margin check.
            self.default_width = 556.0
        descriptor = descriptor.get_object() if descriptor is not None else DictionaryObject()
        if "/MissingWidth" in descriptor and not self.composite:
            self.default_width = _number(descriptor["/MissingWidth"], self.default_width)
        bbox: Any = descriptor.get("/FontBBox") or [0, -200, 1000, 800]
        self.ascent = _number(descriptor.get("/Ascent"), _number(bbox[3], 800.0)) or 800.0
        self.descent = -abs(_number(descriptor.get("/Descent"), _number(bbox[1], -200.0)))
        to_unicode: Any = font.get("/ToUnicode")
        to_unicode = to_unicode.get_object() if to_unicode is not None else None
        self.unicode = (
            _parse_to_unicode(to_unicode.get_data()) if isinstance(to_unicode, StreamObject) else {}
        )

    def _cid_widths(self, w: Any) -> None:
        """A CIDFont's /W: ``c [w1 w2 ...]`` or ``c_first c_last w``."""
        items = list(w.get_object()) if w is not None else []
        index = 0
        while index < len(items) - 1:
            first = int(_number(items[index]))
            following = items[index + 1].get_object()
            if isinstance(following, list):
                for offset, width in enumerate(following):
                    self.widths[first + offset] = _number(width)
                index += 2
            elif index + 2 < len(items):
                last, width = int(_number(following)), _number(items[index + 2])
                for code in range(first, min(last, first + 65535) + 1):
                    self.widths[code] = width
                index += 3
            else:
                break

    def codes(self, raw: bytes) -> list[int]:
        if self.composite:  # two-byte codes (Identity-H, as WeasyPrint and most tools write)
            return [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
        return list(raw)

    def char(self, code: int) -> str:
        if code in self.unicode:
            return self.unicode[code]
        if self.composite:
            return "\ufffd"
        return bytes([code]).decode("cp1252", errors="replace")

    def width(self, code: int) -> float:
        return self.widths.get(code, self.default_width)


_HEX = re.compile(r"<([0-9A-Fa-f]*)>")


def _utf16(hex_digits: str) -> str:
    return bytes.fromhex(hex_digits if len(hex_digits) % 2 == 0 else "0" + hex_digits).decode(
        "utf-16-be", errors="replace"
    )


def _parse_to_unicode(data: bytes) -> dict[int, str]:
    """A ToUnicode CMap's bfchar and bfrange entries: code -> text."""
    text = data.decode("latin-1")
    mapping: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.DOTALL):
        tokens = _HEX.findall(block)
        for source, target in zip(tokens[0::2], tokens[1::2], strict=False):
            mapping[int(source or "0", 16)] = _utf16(target)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.DOTALL):
        for match in re.finditer(
            r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]*>|\[[^\]]*\])", block
        ):
            low, high, target = int(match[1], 16), int(match[2], 16), match[3]
            high = min(high, low + 65535)  # a corrupt range must not run away
            if target.startswith("["):
                for offset, digits in enumerate(_HEX.findall(target)):
                    mapping[low + offset] = _utf16(digits)
            else:
                digits = target[1:-1]
                start = int(digits or "0", 16)
                for offset in range(high - low + 1):
                    mapping[low + offset] = _utf16(f"{start + offset:0{len(digits)}x}")
    return mapping


@dataclass
class _State:
    """The graphics state that q and Q save: the matrix and the text state parameters."""

    ctm: Matrix = IDENTITY
    font: _Font | None = None
    size: float = 0.0
    char_spacing: float = 0.0
    word_spacing: float = 0.0
    scale: float = 1.0
    leading: float = 0.0
    rise: float = 0.0


# Text state operators that set one parameter from one operand (PDF 32000-1, 9.3).
_PARAMETERS: dict[bytes, tuple[str, Callable[[float], float]]] = {
    b"Tc": ("char_spacing", float),
    b"Tw": ("word_spacing", float),
    b"Tz": ("scale", lambda percent: percent / 100),
    b"TL": ("leading", float),
    b"Ts": ("rise", float),
}


@dataclass
class _Cursor:
    """Where one content stream has got to: its graphics state, the states q saved, and the
    text line matrix (where the line began) and text matrix (where the next glyph goes)."""

    state: _State
    stack: list[_State] = field(default_factory=list)
    line: Matrix = IDENTITY
    text: Matrix = IDENTITY

    def next_line(self, tx: float, ty: float) -> None:
        self.line = self.text = _multiply((1.0, 0.0, 0.0, 1.0, tx, ty), self.line)

    def move(self, operator: bytes, operands: list[Any]) -> None:
        """The operators that move the pen or change the matrix; others are not text."""
        if operator == b"q":
            self.stack.append(replace(self.state))
        elif operator == b"Q":
            self.state = self.stack.pop() if self.stack else self.state
        elif operator == b"cm":
            self.state.ctm = _multiply(_matrix(operands), self.state.ctm)
        elif operator == b"BT":
            self.line = self.text = IDENTITY
        elif operator in (b"Td", b"TD") and len(operands) >= 2:
            tx, ty = _number(operands[0]), _number(operands[1])
            if operator == b"TD":
                self.state.leading = -ty
            self.next_line(tx, ty)
        elif operator == b"Tm":
            self.line = self.text = _matrix(operands)
        elif operator == b"T*":
            self.next_line(0.0, -self.state.leading)


class _TextWalker:
    """Follows one page's content stream (and the forms it draws) and records every run of
    text with the box its glyphs take on the page."""

    MAX_FORM_DEPTH = 8

    def __init__(self, page: PageObject, number: int) -> None:
        self.page = page
        self.number = number
        self.fragments: list[TextFragment] = []
        self._fonts: dict[tuple[int, str], _Font] = {}

    def walk(self) -> list[TextFragment]:
        contents = self.page.get_contents()
        if contents is not None:
            resources: Any = self.page.get("/Resources")
            self._run(contents, resources, _State(), depth=0)
        return self.fragments

    def _run(self, contents: Any, resources: Any, state: _State, depth: int) -> None:
        resources = resources.get_object() if resources is not None else DictionaryObject()
        cursor = _Cursor(state)
        for operands, operator in ContentStream(contents, self.page.pdf).operations:
            if operator in _PARAMETERS and operands:
                name, convert = _PARAMETERS[operator]
                setattr(cursor.state, name, convert(_number(operands[0])))
            elif operator == b"Tf" and len(operands) >= 2:
                cursor.state.font = self._font(resources, operands[0])
                cursor.state.size = _number(operands[1])
            elif operator in (b"Tj", b"TJ", b"'", b'"'):
                self._show_operator(cursor, operator, operands)
            elif operator == b"Do" and operands and depth < self.MAX_FORM_DEPTH:
                self._form(resources, operands[0], cursor.state, depth)
            else:
                cursor.move(operator, operands)

    def _show_operator(self, cursor: _Cursor, operator: bytes, operands: list[Any]) -> None:
        if operator == b'"' and len(operands) >= 3:  # aw ac string ": spacings, then '
            cursor.state.word_spacing = _number(operands[0])
            cursor.state.char_spacing = _number(operands[1])
            operands = operands[2:]
        if operator in (b"'", b'"'):  # next line, then show
            cursor.next_line(0.0, -cursor.state.leading)
        shown = operands[0] if operands else []
        items = shown if operator == b"TJ" else [shown]
        cursor.text = self._show(items, cursor.state, cursor.text)

    def _font(self, resources: Any, name: Any) -> _Font:
        # Parsed once per resource dictionary and name: a letter sets its fonts hundreds of times.
        key = (id(resources), str(name))
        if key not in self._fonts:
            fonts: Any = resources.get("/Font")
            fonts = fonts.get_object() if fonts is not None else DictionaryObject()
            font: Any = fonts.get(name)
            self._fonts[key] = _Font(font.get_object() if font is not None else None)
        return self._fonts[key]

    def _form(self, resources: Any, name: Any, state: _State, depth: int) -> None:
        xobjects: Any = resources.get("/XObject")
        if xobjects is None or name not in xobjects:
            return
        form: Any = xobjects[name].get_object()
        if form.get("/Subtype") != "/Form":
            return  # images are not text
        # The form draws in its own space (/Matrix), and its q/Q cannot touch the caller's state.
        ctm = _multiply(_matrix(form.get("/Matrix", IDENTITY)), state.ctm)
        self._run(form, form.get("/Resources", resources), replace(state, ctm=ctm), depth + 1)

    def _show(self, items: Iterable[Any], state: _State, text: Matrix) -> Matrix:
        """Record the glyphs of one Tj/TJ at the text matrix ``text``; return the matrix
        moved past them."""
        font = state.font or _Font(None)
        x = 0.0
        ink_start: float | None = None
        ink_end = 0.0
        chars: list[str] = []
        for item in items:
            if isinstance(item, (int, float)):
                # A TJ number moves the next glyph back by thousandths of the type's size.
                x -= _number(item) / 1000 * state.size * state.scale
                continue
            for code in font.codes(_raw_bytes(item)):
                char = font.char(code)
                glyph = font.width(code) / 1000 * state.size
                spacing = state.char_spacing
                if code == 32 and not font.composite:  # word spacing applies to byte 32 only
                    spacing += state.word_spacing
                if not char.isspace():
                    ink_start = x if ink_start is None else ink_start
                    ink_end = x + glyph * state.scale
                chars.append(char)
                x += (glyph + spacing) * state.scale
        if ink_start is not None:
            self._record("".join(chars), ink_start, ink_end, state, text)
        return _multiply((1.0, 0.0, 0.0, 1.0, x, 0.0), text)

    def _record(self, chars: str, start: float, end: float, state: _State, text: Matrix) -> None:
        font = state.font or _Font(None)
        to_user = _multiply(text, state.ctm)
        low = state.rise + font.descent / 1000 * state.size
        high = state.rise + font.ascent / 1000 * state.size
        corners = [
            _to_page_mm(self.page, *_apply(to_user, x, y))
            for x in (start, end)
            for y in (low, high)
        ]
        across = [c[0] for c in corners]
        down = [c[1] for c in corners]
        x, baseline = _to_page_mm(self.page, *_apply(to_user, start, state.rise))
        top_x, top_y = _to_page_mm(self.page, *_apply(to_user, start, state.rise + state.size))
        self.fragments.append(
            TextFragment(
                page=self.number,
                text=chars,
                box=Rect(min(across), min(down), max(across), max(down)),
                baseline=baseline,
                x=x,
                font_size=((top_x - x) ** 2 + (top_y - baseline) ** 2) ** 0.5,
            )
        )


def _raw_bytes(item: Any) -> bytes:
    """The string operand's bytes as written: pypdf may have read them as text already."""
    if isinstance(item, TextStringObject):
        return item.original_bytes
    if isinstance(item, bytes):
        return bytes(item)
    if isinstance(item, str):
        return item.encode("latin-1", errors="replace")
    return b""


def text_fragments(page: PageObject, number: int) -> list[TextFragment]:
    """Every run of text on ``page`` (page ``number``, from 1), with where it is printed."""
    return _TextWalker(page, number).walk()
