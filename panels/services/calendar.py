"""Import a term's panel calendar for a round from CSV (all-or-nothing).

Columns (the header names; order does not matter):

``area`` (required)
    North, East, South or West (any case).
``starts_at`` (required)
    ISO date and time, e.g. ``2027-01-20T10:00`` or ``2027-01-20 10:00``: Europe/London
    time unless it carries an offset.
``chair_email`` (required)
    An existing account with the panel chair role.
``place``, ``online_link``
    At least one of them; the link a full ``https://`` address.
``case_limit``
    1 to 200; blank means 40.
``outside_working_days``
    ``yes`` for a session meant to be on a weekend or a bank holiday; otherwise such a
    date is refused.
``members``
    ``email:urn:role`` separated by ``;``, e.g.
    ``head@oak.sch.uk:118765:Head teacher; ep@kent.gov.uk::Educational psychologist``.
    The URN (the member's school, for conflicts of interest) and the role may be blank.
    Every email must be an existing account that is not a family's; it gets the panel
    member role if it has no panel or staff role.

A row matches an existing session of the round with the same area and start: that
session is updated (its member list becomes the row's), unless it is signed off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from panels.models import PanelMember, PanelSession
from panels.selectors import last_panel_day, live_count
from panels.services.sessions import (
    SessionDetails,
    SessionRefused,
    area_canonical,
    check_details,
    member_account,
    member_seat,
    membership_fixed,
    recusals_refresh,
)
from phasetransfer.core import clock
from phasetransfer.core.csvfile import ImportReport, parse_int, read_rows
from phasetransfer.models import Round, Setting, User

REQUIRED_COLUMNS = ["area", "starts_at", "chair_email"]
OPTIONAL_COLUMNS = ["place", "online_link", "case_limit", "members", "outside_working_days"]
DEFAULT_LIMIT = 40
CSV_COLUMN = {
    "send_area": "area",
    "chair": "chair_email",
    "date": "starts_at",
}  # form field -> CSV column


@dataclass
class _Seat:
    user: User
    school: Setting | None
    role_title: str


@dataclass
class _Row:
    number: int
    details: SessionDetails
    seats: list[_Seat] = field(default_factory=list)
    existing: PanelSession | None = None


def _starts_at(raw: str, number: int, report: ImportReport) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(raw)
    except ValueError:
        report.error(number, f"{raw!r} is not a date and time like 2027-01-20T10:00", "starts_at")
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=clock.LONDON)


def _chair(raw: str, number: int, report: ImportReport) -> User | None:
    user = User.objects.filter(email__iexact=raw).first() if raw else None
    if user is None:
        report.error(number, f"no account uses {raw!r}", "chair_email")
    return user


def _limit(raw: str, number: int, report: ImportReport) -> int | None:
    if not raw:
        return DEFAULT_LIMIT
    value = parse_int(raw)
    if value is None:
        report.error(number, f"{raw!r} is not a whole number", "case_limit")
    return value


def _seat(item: str, number: int, report: ImportReport) -> _Seat | None:
    email, urn, role = ([*item.split(":", 2), "", ""])[:3]
    try:
        user = member_account(email)
    except SessionRefused as refused:
        report.error(number, str(refused), "members")
        return None
    school = None
    if urn.strip():
        school = Setting.objects.filter(urn=parse_int(urn.strip()) or -1).first()
        if school is None:
            report.error(number, f"no school or college has URN {urn.strip()!r}", "members")
            return None
    return _Seat(user, school, role.strip())


def _seats(raw: str, number: int, report: ImportReport, chair: User | None) -> list[_Seat]:
    seats: list[_Seat] = []
    for item in (part.strip() for part in raw.split(";")):
        if not item:
            continue
        seat = _seat(item, number, report)
        if seat is None:
            continue
        if any(s.user.pk == seat.user.pk for s in seats):
            report.error(number, f"{seat.user.email} is listed twice", "members")
        elif chair is not None and seat.user.pk == chair.pk:
            report.error(number, f"{seat.user.email} chairs the session", "members")
        else:
            seats.append(seat)
    return seats


def _existing(round_: Round, row: _Row, report: ImportReport) -> PanelSession | None:
    found = PanelSession.objects.filter(
        round=round_, send_area=row.details.send_area, starts_at=row.details.starts_at
    ).first()
    if found is None:
        return None
    if found.is_signed_off:
        report.error(row.number, "that session is signed off: it cannot be changed", "starts_at")
        return found
    leaving = found.members.exclude(user_id__in=[seat.user.pk for seat in row.seats])
    fixed = membership_fixed(found)
    if fixed and leaving.exists():
        names = ", ".join(sorted(m.user.email for m in leaving.select_related("user")))
        report.error(row.number, f"{names} would leave the session. {fixed}", "members")
    elif live_count(found) > row.details.case_limit:
        report.error(
            row.number,
            f"that session already has {live_count(found)} cases: the limit cannot be lower",
            "case_limit",
        )
    return found


def _parse(round_: Round, number: int, raw: dict[str, str], report: ImportReport) -> _Row | None:
    errors_before = len(report.errors)
    area = area_canonical(raw["area"])
    if area is None:
        report.error(number, f"{raw['area']!r} is not a SEND area", "area")
    starts_at = _starts_at(raw["starts_at"], number, report)
    chair = _chair(raw["chair_email"], number, report)
    limit = _limit(raw.get("case_limit", ""), number, report)
    seats = _seats(raw.get("members", ""), number, report, chair)
    if area is None or starts_at is None or chair is None or limit is None:
        return None  # each of these has reported its error
    if len(report.errors) > errors_before:
        return None
    details = SessionDetails(
        area,
        starts_at,
        raw.get("place", ""),
        raw.get("online_link", ""),
        chair,
        limit,
        outside_working_days=raw.get("outside_working_days", "").strip().lower() == "yes",
    )
    for column, message in check_details(details):
        report.error(number, message, CSV_COLUMN.get(column, column))
    if len(report.errors) > errors_before:
        return None
    row = _Row(number, details, seats)
    row.existing = _existing(round_, row, report)
    return row


def _warn_dates(row: _Row, report: ImportReport, now: dt.datetime, last: dt.date) -> None:
    day = row.details.starts_at.astimezone(clock.LONDON).date()
    if row.details.starts_at <= now:
        report.warn(row.number, "the session is in the past: no case will be scheduled into it")
    elif day > last:
        report.warn(
            row.number,
            f"after the last panel day ({last:%-d %B %Y}): no case will be scheduled into it",
        )


def _write_row(round_: Round, row: _Row) -> None:
    details = row.details
    session = row.existing or PanelSession(round=round_)
    session.send_area = details.send_area
    session.starts_at = details.starts_at
    session.place = details.place.strip()
    session.online_link = details.online_link.strip()
    session.chair = details.chair
    session.case_limit = details.case_limit
    session.save()
    wanted = {seat.user.pk for seat in row.seats}
    PanelMember.objects.filter(session=session).exclude(user_id__in=wanted).delete()
    for seat in row.seats:
        member_seat(
            session=session,
            user=seat.user,
            school=seat.school,
            role_title=seat.role_title,
            refresh=False,
        )
    recusals_refresh(session=session)


def calendar_import(
    *, round_: Round, source: Path | str | bytes, now: dt.datetime | None = None
) -> ImportReport:
    """Check every row; write them all only if none has an error. See the module docstring."""
    moment = now or clock.now()
    report = ImportReport()
    rows: list[_Row] = []
    seen: dict[tuple[str, dt.datetime], int] = {}
    last = last_panel_day(round_)
    for number, raw in read_rows(source, required=REQUIRED_COLUMNS):
        report.rows += 1
        row = _parse(round_, number, raw, report)
        if row is None:
            continue
        key = (row.details.send_area, row.details.starts_at)
        if key in seen:
            report.error(number, f"the same area and start as row {seen[key]}", "starts_at")
            continue
        seen[key] = number
        _warn_dates(row, report, moment, last)
        rows.append(row)
    if not report.ok:
        return report
    with transaction.atomic():
        for row in rows:
            _write_row(round_, row)
            if row.existing is None:
                report.created += 1
            else:
                report.updated += 1
    return report
