"""Import a round's cohort (children with an EHCP and their contacts) from a CSV file.

The columns are documented in the README ("Cohort CSV"). Idempotent: a child is
matched by EHCP reference, and a child already in the round keeps its case.
All-or-nothing per file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from phasetransfer.cases.services import cases_open
from phasetransfer.core import geo
from phasetransfer.core.channels import is_uk_mobile
from phasetransfer.core.csvfile import ImportReport, parse_float, read_rows
from phasetransfer.core.roles import Role
from phasetransfer.models import (
    Case,
    Child,
    Contact,
    ContactRelationship,
    Need,
    Phase,
    Round,
    Setting,
    Sex,
    User,
)
from phasetransfer.models.choices import PHASE_ENTRY_AGE

REQUIRED_COLUMNS = [
    "ehcp_reference",
    "first_name",
    "last_name",
    "date_of_birth",
    "primary_need",
    "home_postcode",
    "contact_name",
    "contact_relationship",
    "contact_email",
]
OPTIONAL_COLUMNS = [
    "needs_summary",
    "current_setting_urn",
    "current_setting_name",
    "home_latitude",
    "home_longitude",
    "contact_phone",
    "contact_mobile",
    "contact_address",
    "caseworker_email",
    "looked_after",
    "sex",
]
# "sex": for single-sex schools in the nearest-school advice; blank: not recorded.
SEXES = {"female": Sex.FEMALE, "f": Sex.FEMALE, "male": Sex.MALE, "m": Sex.MALE, "": ""}
# "looked_after": looked after or previously looked after (first under some councils'
# oversubscription rule); blank means no.
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}


@dataclass
class _Row:
    number: int
    child: dict[str, Any]
    contact: dict[str, Any]
    caseworker: User | None


@dataclass
class _Lookups:
    settings_by_urn: dict[int, Setting]
    caseworkers: dict[str, User]


def _lookups() -> _Lookups:
    return _Lookups(
        settings_by_urn={s.urn: s for s in Setting.objects.only("id", "urn", "name")},
        caseworkers={
            u.email.lower(): u for u in User.objects.filter(groups__name=Role.CASEWORKER.value)
        },
    )


def _date_of_birth(raw: str, number: int, report: ImportReport, round_: Round) -> dt.date | None:
    try:
        born = dt.date.fromisoformat(raw)
    except ValueError:
        report.error(number, f"date of birth {raw!r} is not a date (YYYY-MM-DD)", "date_of_birth")
        return None
    age_at_entry = (round_.entry_year - born.year) - (1 if (born.month, born.day) > (8, 31) else 0)
    expected = PHASE_ENTRY_AGE[Phase(round_.phase)]
    if not 0 < age_at_entry < 26:
        report.error(number, f"date of birth {raw} is not plausible", "date_of_birth")
        return None
    if age_at_entry != expected:
        report.warn(
            number,
            f"aged {age_at_entry} on 31 August {round_.entry_year}: outside the usual year group "
            f"({expected}) for this phase",
            "date_of_birth",
        )
    return born


def _home(row: dict[str, str], number: int, report: ImportReport) -> dict[str, Any]:
    postcode = geo.normalise_postcode(row["home_postcode"])
    if postcode is None:
        report.error(number, f"{row['home_postcode']!r} is not a UK postcode", "home_postcode")
        return {}
    lat_raw, lon_raw = row.get("home_latitude", ""), row.get("home_longitude", "")
    if lat_raw or lon_raw:
        lat, lon = parse_float(lat_raw), parse_float(lon_raw)
        if lat is None or lon is None or not (49.8 <= lat <= 60.95 and -8.7 <= lon <= 1.8):
            report.error(
                number,
                f"home coordinates {lat_raw!r}, {lon_raw!r} are not in Great Britain",
                "home_latitude",
            )
            return {}
        return {"home_postcode": postcode, "home_latitude": lat, "home_longitude": lon}
    located = geo.locate_postcode(postcode)
    if located is None:
        report.warn(
            number,
            f"postcode district of {postcode} is not known: distances cannot be shown",
            "home_postcode",
        )
        return {"home_postcode": postcode, "home_latitude": None, "home_longitude": None}
    return {"home_postcode": postcode, "home_latitude": located[0], "home_longitude": located[1]}


def _current_setting(
    row: dict[str, str], number: int, report: ImportReport, lookups: _Lookups
) -> dict[str, Any]:
    raw = row.get("current_setting_urn", "")
    if not raw:
        return {
            "current_setting": None,
            "current_setting_name": row.get("current_setting_name", ""),
        }
    setting = lookups.settings_by_urn.get(int(raw)) if raw.isdigit() else None
    if setting is None:
        report.error(number, f"no setting with URN {raw!r}", "current_setting_urn")
        return {}
    return {"current_setting": setting, "current_setting_name": ""}


def _contact(
    row: dict[str, str], number: int, report: ImportReport, round_: Round
) -> dict[str, Any]:
    relationship = row["contact_relationship"].lower()
    if relationship not in ContactRelationship.values:
        allowed = ", ".join(ContactRelationship.values)
        report.error(
            number,
            f"relationship {relationship!r} is not one of: {allowed}",
            "contact_relationship",
        )
    elif relationship == ContactRelationship.YOUNG_PERSON and round_.phase != Phase.POST16:
        report.error(
            number,
            "the young person is the contact only in a post-16 round",
            "contact_relationship",
        )
    email = row["contact_email"].lower()
    address = row.get("contact_address", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            report.error(number, f"{email!r} is not an email address", "contact_email")
    elif not address:
        report.error(
            number, "the contact needs an email address or a postal address", "contact_email"
        )
    if not row["contact_name"]:
        report.error(number, "contact name is missing", "contact_name")
    mobile = row.get("contact_mobile", "").strip()
    if mobile and not is_uk_mobile(mobile):
        report.error(
            number, f"{mobile!r} is not a UK mobile number (07... or +447...)", "contact_mobile"
        )
    return {
        "name": row["contact_name"],
        "relationship": relationship,
        "email": email,
        "phone": row.get("contact_phone", ""),
        "mobile": mobile,
        "address": address,
    }


def _check_row(
    number: int,
    row: dict[str, str],
    *,
    round_: Round,
    report: ImportReport,
    lookups: _Lookups,
    seen: dict[str, int],
) -> _Row | None:
    errors_before = len(report.errors)
    reference = row["ehcp_reference"].upper()
    if not reference:
        report.error(number, "EHCP reference is missing", "ehcp_reference")
    elif reference in seen:
        report.error(
            number,
            f"duplicate EHCP reference {reference} (first on row {seen[reference]})",
            "ehcp_reference",
        )
    else:
        seen[reference] = number
    for column in ("first_name", "last_name"):
        if not row[column]:
            report.error(number, f"{column.replace('_', ' ')} is missing", column)
    need = row["primary_need"]
    if need not in Need.values:
        report.error(
            number, f"primary need {need!r} is not one of: {', '.join(Need.values)}", "primary_need"
        )
    born = _date_of_birth(row["date_of_birth"], number, report, round_)
    home = _home(row, number, report)
    current = _current_setting(row, number, report, lookups)
    contact = _contact(row, number, report, round_)
    looked_after = row.get("looked_after", "").strip().lower()
    if looked_after not in YES | NO:
        report.error(
            number, f"looked after {row['looked_after']!r} must be yes or no", "looked_after"
        )
    sex = SEXES.get(row.get("sex", "").strip().lower())
    if sex is None:
        report.error(number, f"sex {row['sex']!r} must be female, male or blank", "sex")
    caseworker_email = row.get("caseworker_email", "").lower()
    caseworker = lookups.caseworkers.get(caseworker_email) if caseworker_email else None
    if caseworker_email and caseworker is None:
        report.error(number, f"no caseworker with email {caseworker_email!r}", "caseworker_email")
    if len(report.errors) > errors_before:
        return None
    child = {
        "ehcp_reference": reference,
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "date_of_birth": born,
        "primary_need": need,
        "needs_summary": row.get("needs_summary", ""),
        "looked_after": looked_after in YES,
        "sex": sex or "",
        **home,
        **current,
    }
    return _Row(number, child, contact, caseworker)


def _apply(rows: list[_Row], round_: Round, report: ImportReport, actor: User | None) -> None:
    existing = {
        c.ehcp_reference: c
        for c in Child.objects.filter(ehcp_reference__in=[r.child["ehcp_reference"] for r in rows])
    }
    cases = {c.child_id: c for c in Case.objects.filter(round=round_, child__in=existing.values())}
    new_children: list[Child] = []
    new_workers: list[User | None] = []
    new_contacts: list[dict[str, Any]] = []
    for row in rows:
        child = existing.get(row.child["ehcp_reference"])
        if child is None:
            child = Child.objects.create(**row.child)
        else:
            for name, value in row.child.items():
                setattr(child, name, value)
            child.save()
        case = cases.get(child.pk)
        if case is None:
            new_children.append(child)
            new_workers.append(row.caseworker)
            new_contacts.append(row.contact)
            report.created += 1
            continue
        if row.caseworker is not None and case.caseworker_id != row.caseworker.pk:
            case.caseworker = row.caseworker
            case.save(update_fields=["caseworker"])
        Contact.objects.update_or_create(case=case, is_primary=True, defaults=row.contact)
        report.updated += 1
    opened = cases_open(
        round_=round_,
        children=new_children,
        caseworkers=new_workers,
        actor=actor,
        system_label="cohort import",
    )
    Contact.objects.bulk_create(
        Contact(case=case, is_primary=True, **contact)
        for case, contact in zip(opened, new_contacts, strict=True)
    )


def cohort_import(
    *, round_: Round, source: Path | str | bytes, actor: User | None = None
) -> ImportReport:
    """Check every row, then create or update children, cases and contacts, or nothing."""
    report = ImportReport()
    lookups = _lookups()
    seen: dict[str, int] = {}
    checked: list[_Row] = []
    for number, row in read_rows(source, required=REQUIRED_COLUMNS):
        report.rows += 1
        result = _check_row(number, row, round_=round_, report=report, lookups=lookups, seen=seen)
        if result is not None:
            checked.append(result)
    if report.rows == 0:
        report.error(0, "the file has a header but no rows")
    if report.ok:
        with transaction.atomic():
            _apply(checked, round_, report, actor)
    return report
