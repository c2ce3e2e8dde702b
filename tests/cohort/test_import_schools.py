"""import_schools: the shipped Kent file loads; broken files change nothing and say why."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from phasetransfer.cohort.schools import REQUIRED_COLUMNS, schools_import
from phasetransfer.core.csvfile import CsvRejected
from phasetransfer.core.geo import DATA_DIR
from phasetransfer.models import Phase, Setting, SettingKind

KENT = DATA_DIR / "kent-schools.csv"


def _rows() -> list[dict[str, str]]:
    with KENT.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _csv(rows: list[dict[str, str]], columns: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or list(rows[0]), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.mark.django_db
def test_the_shipped_kent_file_loads_all_529_schools_with_blank_capacities_as_warnings() -> None:
    report = schools_import(source=KENT)

    assert report.ok, report.errors
    assert (report.rows, report.created) == (529, 529)
    assert Setting.objects.count() == 529
    blank = [w for w in report.warnings if w.column == "SchoolCapacity"]
    assert len(blank) == 11
    assert Setting.objects.filter(school_capacity__isnull=True).count() == 11


@pytest.mark.django_db
def test_the_kent_file_maps_types_and_phases() -> None:
    schools_import(source=KENT)
    adisham = Setting.objects.get(urn=141308)
    assert adisham.kind == SettingKind.MAINSTREAM_ACADEMY
    assert adisham.phases == [Phase.RECEPTION, Phase.JUNIOR]
    # A special academy is filed by GIAS under "Academies" with phase "Not applicable".
    milestone = Setting.objects.get(urn=137883)
    assert milestone.kind == SettingKind.SPECIAL
    assert milestone.phases == list(Phase.values)
    assert Setting.objects.filter(kind=SettingKind.SPECIAL).count() == 24


@pytest.mark.django_db
def test_reimport_is_idempotent_and_updates_by_urn() -> None:
    schools_import(source=KENT)
    again = schools_import(source=KENT)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 529)

    rows = _rows()
    rows[0]["SchoolCapacity"] = "999"
    rows[0]["EstablishmentName"] = "Renamed School"
    changed = schools_import(source=_csv(rows))
    assert (changed.created, changed.updated) == (0, 1)
    school = Setting.objects.get(urn=int(rows[0]["URN"]))
    assert (school.name, school.school_capacity) == ("Renamed School", 999)
    assert Setting.objects.count() == 529


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("URN", "", "URN is missing"),
        ("URN", "12AB", "not a positive whole number"),
        ("SchoolCapacity", "lots", "is not a whole number"),
        ("SchoolCapacity", "-5", "is negative"),
        ("PhaseOfEducation (name)", "Kindergarten", "unknown phase"),
        ("EstablishmentTypeGroup (name)", "Spaceport", "unknown establishment type group"),
        ("Latitude", "48.85", "outside Great Britain"),
        ("Longitude", "east", "are not numbers"),
        ("EstablishmentName", "", "name is missing"),
    ],
)
@pytest.mark.django_db
def test_a_bad_value_rejects_the_whole_file_with_the_row_and_reason(
    column: str, value: str, message: str
) -> None:
    schools_import(source=KENT)
    before = list(Setting.objects.order_by("urn").values_list("urn", "name", "school_capacity"))
    rows = _rows()
    rows[1]["SchoolCapacity"] = "1"  # a valid change that must not be applied either
    rows[41][column] = value

    report = schools_import(source=_csv(rows))

    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(43, column)]
    assert message in report.errors[0].message
    after = list(Setting.objects.order_by("urn").values_list("urn", "name", "school_capacity"))
    assert after == before


@pytest.mark.django_db
def test_a_duplicate_urn_names_both_rows_and_nothing_is_imported() -> None:
    rows = _rows()
    rows[10]["URN"] = rows[3]["URN"]
    report = schools_import(source=_csv(rows))
    assert [str(e) for e in report.errors] == [
        f"row 12 [URN]: duplicate URN {rows[3]['URN']} (first on row 5)"
    ]
    assert Setting.objects.count() == 0


@pytest.mark.django_db
def test_a_missing_column_rejects_the_file() -> None:
    columns = [c for c in REQUIRED_COLUMNS if c != "SchoolCapacity"]
    with pytest.raises(CsvRejected, match="Missing column.*SchoolCapacity"):
        schools_import(source=_csv(_rows(), columns))
    assert Setting.objects.count() == 0


@pytest.mark.django_db
def test_a_file_that_is_not_utf8_is_rejected_clearly() -> None:
    data = _csv(_rows()[:3]).replace(b"Adisham", "Ädisham".encode("latin-1"))
    with pytest.raises(CsvRejected, match="not UTF-8"):
        schools_import(source=data)


@pytest.mark.django_db
def test_the_command_reports_every_rejected_row_and_fails(tmp_path: Path) -> None:
    rows = _rows()
    rows[2]["SchoolCapacity"] = "abc"
    rows[5]["URN"] = ""
    path = tmp_path / "broken.csv"
    path.write_bytes(_csv(rows))
    err = io.StringIO()

    with pytest.raises(CommandError, match="2 error"):
        call_command("import_schools", str(path), stderr=err, stdout=io.StringIO())

    assert "row 4 [SchoolCapacity]" in err.getvalue()
    assert "row 7 [URN]: URN is missing" in err.getvalue()
    assert Setting.objects.count() == 0


@pytest.mark.django_db
def test_the_command_imports_the_shipped_file() -> None:
    out = io.StringIO()
    call_command("import_schools", str(KENT), stdout=out)
    assert "Imported 529 row(s): 529 created" in out.getvalue()
