"""Import schools and colleges from a DfE "Get Information About Schools" (GIAS) extract.

Idempotent: re-importing updates settings by URN. All-or-nothing per file.
Two optional columns that GIAS does not have, ``SettingKind`` and
``DesignatedNeeds`` (codes separated by ';'), let an LA load its special
designations and independent settings with the same importer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from phasetransfer.core.csvfile import ImportReport, parse_float, parse_int, read_rows
from phasetransfer.models import (
    AdmissionsPolicy,
    Need,
    Phase,
    SchoolGender,
    Setting,
    SettingKind,
)
from phasetransfer.models.settings import GB_LATITUDE, GB_LONGITUDE

REQUIRED_COLUMNS = [
    "URN",
    "EstablishmentName",
    "Town",
    "Postcode",
    "LA (code)",
    "LA (name)",
    "EstablishmentTypeGroup (name)",
    "PhaseOfEducation (name)",
    "SchoolCapacity",
    "Latitude",
    "Longitude",
]

TYPE_GROUP_KINDS = {
    "la maintained schools": SettingKind.MAINSTREAM_MAINTAINED,
    "academies": SettingKind.MAINSTREAM_ACADEMY,
    "free schools": SettingKind.MAINSTREAM_ACADEMY,
    "special schools": SettingKind.SPECIAL,
    "colleges": SettingKind.FE_COLLEGE,
    "independent schools": SettingKind.INDEPENDENT_OTHER,
}

ALL_PHASES = frozenset(Phase.values)
# GIAS phases of education, and the phase-transfer entry points each one takes.
# Secondary schools are taken to have a sixth form unless the extract's
# "OfficialSixthForm (name)" column says otherwise.
GIAS_PHASES: dict[str, frozenset[str]] = {
    "nursery": frozenset(),
    "primary": frozenset({Phase.RECEPTION, Phase.JUNIOR}),
    "infant": frozenset({Phase.RECEPTION}),
    "junior": frozenset({Phase.JUNIOR}),
    "middle deemed primary": frozenset({Phase.JUNIOR}),
    "middle deemed secondary": frozenset({Phase.SECONDARY}),
    "secondary": frozenset({Phase.SECONDARY, Phase.POST16}),
    "16 plus": frozenset({Phase.POST16}),
    "all through": ALL_PHASES,
    "all-through": ALL_PHASES,
}
# "Not applicable" is what GIAS says for special schools (usually 2-19) and colleges.
NOT_APPLICABLE_PHASES: dict[str, frozenset[str]] = {
    SettingKind.SPECIAL: ALL_PHASES,
    SettingKind.NON_MAINTAINED_SPECIAL: ALL_PHASES,
    SettingKind.INDEPENDENT_S41: ALL_PHASES,
    SettingKind.FE_COLLEGE: frozenset({Phase.POST16}),
}


@dataclass
class _Row:
    number: int
    values: dict[str, Any]


def _kind(row: dict[str, str], number: int, report: ImportReport) -> str | None:
    explicit = row.get("SettingKind", "")
    if explicit:
        if explicit not in SettingKind.values:
            report.error(number, f"unknown setting kind {explicit!r}", "SettingKind")
            return None
        return explicit
    group = row["EstablishmentTypeGroup (name)"]
    kind = TYPE_GROUP_KINDS.get(group.lower())
    if kind is None:
        report.error(
            number, f"unknown establishment type group {group!r}", "EstablishmentTypeGroup (name)"
        )
    return kind


def _phases(row: dict[str, str], kind: str, number: int, report: ImportReport) -> frozenset[str]:
    gias_phase = row["PhaseOfEducation (name)"]
    key = gias_phase.lower()
    if key == "not applicable":
        phases = NOT_APPLICABLE_PHASES.get(kind)
        if phases is None:
            report.error(
                number,
                f"phase 'Not applicable' is only allowed for special schools and colleges, "
                f"not {SettingKind(kind).label.lower()}",
                "PhaseOfEducation (name)",
            )
            return frozenset()
        return phases
    if key not in GIAS_PHASES:
        report.error(number, f"unknown phase {gias_phase!r}", "PhaseOfEducation (name)")
        return frozenset()
    phases = GIAS_PHASES[key]
    if row.get("OfficialSixthForm (name)", "").lower() == "does not have a sixth form":
        phases = phases - {Phase.POST16}
    return phases


# GIAS's words for who a school admits and how; anything GIAS says that is not one of
# these ("Not applicable", "Not collected"...) and "unknown" load as not known (blank).
GENDERS: dict[str, str] = {
    "boys": SchoolGender.BOYS,
    "girls": SchoolGender.GIRLS,
    "mixed": SchoolGender.MIXED,
}
POLICIES: dict[str, str] = {
    "selective": AdmissionsPolicy.SELECTIVE,
    "non-selective": AdmissionsPolicy.NON_SELECTIVE,
    "non selective": AdmissionsPolicy.NON_SELECTIVE,
}
NOT_KNOWN = {"", "unknown", "not applicable", "not collected", "not known"}


def _coded(
    row: dict[str, str], column: str, codes: dict[str, str], number: int, report: ImportReport
) -> str | None:
    """The code for ``column``'s value, "" when not known, None (and an error) when bad."""
    raw = row.get(column, "").strip()
    if raw.lower() in NOT_KNOWN:
        return ""
    code = codes.get(raw.lower())
    if code is None:
        allowed = ", ".join(sorted({key.capitalize() for key in codes})) + " or unknown"
        report.error(number, f"{column} {raw!r} is not one of {allowed}", column)
    return code


def _admissions(row: dict[str, str], number: int, report: ImportReport) -> dict[str, str]:
    """The optional GIAS columns of who a school admits, when the file has them."""
    values: dict[str, str] = {}
    if "Gender (name)" in row:
        gender = _coded(row, "Gender (name)", GENDERS, number, report)
        if gender is not None:
            values["gender"] = gender
    if "AdmissionsPolicy (name)" in row:
        policy = _coded(row, "AdmissionsPolicy (name)", POLICIES, number, report)
        if policy is not None:
            values["admissions_policy"] = policy
    return values


def _needs(row: dict[str, str], number: int, report: ImportReport) -> list[str]:
    raw = row.get("DesignatedNeeds", "")
    codes = [code.strip() for code in raw.split(";") if code.strip()]
    unknown = [code for code in codes if code not in Need.values]
    if unknown:
        report.error(number, "unknown need code(s): " + ", ".join(unknown), "DesignatedNeeds")
    return [code for code in Need.values if code in codes]


def _coordinates(
    row: dict[str, str], number: int, report: ImportReport
) -> tuple[float | None, float | None]:
    lat_raw, lon_raw = row["Latitude"], row["Longitude"]
    if not lat_raw and not lon_raw:
        report.warn(number, "no coordinates: the setting cannot be offered as a nearest school")
        return None, None
    lat, lon = parse_float(lat_raw), parse_float(lon_raw)
    if lat is None or lon is None:
        column = "Latitude" if lat is None else "Longitude"
        report.error(number, f"coordinates {lat_raw!r}, {lon_raw!r} are not numbers", column)
        return None, None
    inside = GB_LATITUDE[0] <= lat <= GB_LATITUDE[1] and GB_LONGITUDE[0] <= lon <= GB_LONGITUDE[1]
    if not inside:
        report.error(number, f"coordinates {lat}, {lon} are outside Great Britain", "Latitude")
        return None, None
    return lat, lon


def _capacity(row: dict[str, str], number: int, report: ImportReport) -> int | None:
    raw = row["SchoolCapacity"]
    if raw == "":
        report.warn(number, "capacity is blank: loaded as unknown", "SchoolCapacity")
        return None
    capacity = parse_int(raw)
    if capacity is None:
        report.error(number, f"capacity {raw!r} is not a whole number", "SchoolCapacity")
        return None
    if capacity < 0:
        report.error(number, f"capacity {capacity} is negative", "SchoolCapacity")
        return None
    return capacity


def _urn(
    row: dict[str, str], number: int, report: ImportReport, seen: dict[int, int]
) -> int | None:
    raw = row["URN"]
    if raw == "":
        report.error(number, "URN is missing", "URN")
        return None
    urn = parse_int(raw)
    if urn is None or urn <= 0:
        report.error(number, f"URN {raw!r} is not a positive whole number", "URN")
        return None
    if urn in seen:
        report.error(number, f"duplicate URN {urn} (first on row {seen[urn]})", "URN")
        return None
    seen[urn] = number
    return urn


def _check_row(
    number: int, row: dict[str, str], report: ImportReport, seen: dict[int, int]
) -> _Row | None:
    errors_before = len(report.errors)
    urn = _urn(row, number, report, seen)
    if not row["EstablishmentName"]:
        report.error(number, "name is missing", "EstablishmentName")
    kind = _kind(row, number, report)
    if (
        kind == SettingKind.MAINSTREAM_ACADEMY
        and not row.get("SettingKind")
        and row["PhaseOfEducation (name)"].lower() == "not applicable"
    ):
        # GIAS files special academies and special free schools under "Academies"
        # or "Free Schools", with no phase: they are special schools.
        kind = SettingKind.SPECIAL
    phases = _phases(row, kind, number, report) if kind else frozenset()
    capacity = _capacity(row, number, report)
    latitude, longitude = _coordinates(row, number, report)
    needs = _needs(row, number, report)
    admissions = _admissions(row, number, report)
    if not row["Postcode"]:
        report.warn(number, "postcode is blank", "Postcode")
    if len(report.errors) > errors_before:
        return None
    return _Row(
        number,
        {
            "urn": urn,
            "name": row["EstablishmentName"],
            "town": row["Town"],
            "postcode": row["Postcode"].upper(),
            "la_code": row["LA (code)"],
            "la_name": row["LA (name)"],
            "kind": kind,
            "gias_type_group": row["EstablishmentTypeGroup (name)"],
            "gias_phase": row["PhaseOfEducation (name)"],
            "school_capacity": capacity,
            "latitude": latitude,
            "longitude": longitude,
            **{f"serves_{phase}": phase in phases for phase in Phase.values},
            **({"designated_needs": needs} if "DesignatedNeeds" in row else {}),
            **admissions,
            **({"is_synthetic": row["Synthetic"].lower() == "yes"} if "Synthetic" in row else {}),
        },
    )


def _apply(rows: list[_Row], report: ImportReport) -> None:
    existing = {s.urn: s for s in Setting.objects.filter(urn__in=[r.values["urn"] for r in rows])}
    for row in rows:
        values = row.values
        setting = existing.get(values["urn"])
        if setting is None:
            Setting.objects.create(**values)
            report.created += 1
            continue
        _update(setting, values, report)


def _update(setting: Setting, values: dict[str, Any], report: ImportReport) -> None:
    """Save only what changed, and count it."""
    changed = [name for name, value in values.items() if getattr(setting, name) != value]
    if not changed:
        report.unchanged += 1
        return
    for name in changed:
        setattr(setting, name, values[name])
    setting.save(update_fields=[*changed, "updated_at"])
    report.updated += 1


def schools_import(*, source: Path | str | bytes) -> ImportReport:
    """Check every row, then create or update settings by URN, or change nothing at all."""
    report = ImportReport()
    seen: dict[int, int] = {}
    checked: list[_Row] = []
    for number, row in read_rows(source, required=REQUIRED_COLUMNS):
        report.rows += 1
        result = _check_row(number, row, report, seen)
        if result is not None:
            checked.append(result)
    if report.rows == 0:
        report.error(0, "the file has a header but no rows")
    if report.ok:
        with transaction.atomic():
            _apply(checked, report)
    return report


ADMISSIONS_COLUMNS = ["URN", "Gender (name)", "AdmissionsPolicy (name)"]


def admissions_import(*, source: Path | str | bytes) -> ImportReport:
    """Who each school admits and how (GIAS's "Gender (name)" and "AdmissionsPolicy
    (name)"), for schools already loaded, by URN: for an extract that lacks the columns.
    All or nothing, with a reason per bad row."""
    report = ImportReport()
    seen: dict[int, int] = {}
    updates: dict[int, dict[str, str]] = {}
    rows = list(read_rows(source, required=ADMISSIONS_COLUMNS))
    known = set(
        Setting.objects.filter(urn__in=[parse_int(row["URN"]) for _n, row in rows]).values_list(
            "urn", flat=True
        )
    )
    for number, row in rows:
        report.rows += 1
        urn = _urn(row, number, report, seen)
        if urn is not None and urn not in known:
            report.error(number, f"no school with URN {urn} is loaded", "URN")
        values = _admissions(row, number, report)
        if urn is not None and urn in known:
            updates[urn] = values
    if report.rows == 0:
        report.error(0, "the file has a header but no rows")
    if report.ok:
        with transaction.atomic():
            for setting in Setting.objects.filter(urn__in=updates):
                _update(setting, updates[setting.urn], report)
    return report
