"""import_cohort: children, cases and contacts in, all or nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from phasetransfer.cohort.imports import REQUIRED_COLUMNS, cohort_import
from phasetransfer.core.roles import Role
from phasetransfer.models import AuditEvent, Case, CaseState, Child, Contact, Phase
from tests.factories import RoundFactory, SettingFactory, UserFactory

COLUMNS = [
    *REQUIRED_COLUMNS,
    "current_setting_urn",
    "caseworker_email",
    "contact_address",
    "contact_mobile",
]


def _row(n: int, **overrides: str) -> dict[str, str]:
    row = {
        "ehcp_reference": f"EHC{n:04d}",
        "first_name": "Sam",
        "last_name": f"Child{n}",
        "date_of_birth": "2015-10-01",
        "primary_need": "ASD",
        "home_postcode": "me15 6lx",
        "contact_name": "Alex Parent",
        "contact_relationship": "parent",
        "contact_email": f"parent{n}@example.org",
        "current_setting_urn": "",
        "caseworker_email": "",
        "contact_address": "",
        "contact_mobile": "",
    }
    row.update(overrides)
    return row


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.mark.django_db
def test_a_valid_cohort_opens_one_case_per_child_with_a_primary_contact() -> None:
    round_ = RoundFactory()
    worker = UserFactory(email="cw@example.org", roles=[Role.CASEWORKER])
    school = SettingFactory(urn=118365)
    rows = [_row(1, current_setting_urn="118365", caseworker_email="CW@example.org"), _row(2)]

    report = cohort_import(round_=round_, source=_csv(rows))

    assert report.ok, report.errors
    assert report.created == 2
    first = Case.objects.get(child__ehcp_reference="EHC0001")
    assert first.reference == "27S-00001"
    assert first.state == CaseState.IDENTIFIED
    assert first.caseworker == worker
    assert first.child.current_setting == school
    assert first.child.home_postcode == "ME15 6LX"
    assert first.child.home_latitude is not None  # placed at the ME15 district centroid
    assert Contact.objects.get(case=first).email == "parent1@example.org"
    assert AuditEvent.objects.filter(action="case.opened").count() == 2


@pytest.mark.django_db
def test_a_mobile_number_is_kept_for_text_messages() -> None:
    round_ = RoundFactory()
    report = cohort_import(round_=round_, source=_csv([_row(1, contact_mobile="+44 7700 900123")]))
    assert report.ok, report.errors
    assert Contact.objects.get().mobile == "+44 7700 900123"


@pytest.mark.django_db
def test_reimport_updates_instead_of_duplicating() -> None:
    round_ = RoundFactory()
    cohort_import(round_=round_, source=_csv([_row(1), _row(2)]))
    report = cohort_import(
        round_=round_, source=_csv([_row(1, contact_email="new@example.org"), _row(2), _row(3)])
    )
    assert (report.created, report.updated) == (1, 2)
    assert Case.objects.count() == 3
    assert Contact.objects.get(case__child__ehcp_reference="EHC0001").email == "new@example.org"


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"date_of_birth": "01/10/2015"}, "date_of_birth", "is not a date"),
        ({"primary_need": "XYZ"}, "primary_need", "is not one of"),
        ({"home_postcode": "NOT A POSTCODE"}, "home_postcode", "is not a UK postcode"),
        ({"current_setting_urn": "999999"}, "current_setting_urn", "no setting with URN"),
        ({"contact_email": "not-an-email"}, "contact_email", "is not an email address"),
        ({"contact_email": ""}, "contact_email", "needs an email address or a postal address"),
        ({"contact_relationship": "neighbour"}, "contact_relationship", "is not one of"),
        ({"contact_relationship": "young_person"}, "contact_relationship", "post-16"),
        ({"caseworker_email": "nobody@example.org"}, "caseworker_email", "no caseworker"),
        ({"first_name": ""}, "first_name", "first name is missing"),
        ({"contact_mobile": "01622 123456"}, "contact_mobile", "is not a UK mobile number"),
    ],
)
@pytest.mark.django_db
def test_a_bad_row_rejects_the_file_and_writes_nothing(
    overrides: dict[str, str], column: str, message: str
) -> None:
    round_ = RoundFactory()
    report = cohort_import(round_=round_, source=_csv([_row(1), _row(2, **overrides)]))

    assert not report.ok
    assert [(e.row, e.column) for e in report.errors] == [(3, column)]
    assert message in report.errors[0].message
    assert Child.objects.count() == 0
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_a_duplicate_ehcp_reference_is_reported() -> None:
    report = cohort_import(round_=RoundFactory(), source=_csv([_row(1), _row(1)]))
    assert [str(e) for e in report.errors] == [
        "row 3 [ehcp_reference]: duplicate EHCP reference EHC0001 (first on row 2)"
    ]


@pytest.mark.django_db
def test_a_young_person_may_be_the_contact_in_a_post16_round() -> None:
    round_ = RoundFactory(phase=Phase.POST16, offer_day_at=None)
    row = _row(1, contact_relationship="young_person", date_of_birth="2010-10-01")
    report = cohort_import(round_=round_, source=_csv([row]))
    assert report.ok, report.errors


@pytest.mark.django_db
def test_a_child_outside_the_usual_year_group_is_a_warning_not_an_error() -> None:
    report = cohort_import(
        round_=RoundFactory(), source=_csv([_row(1, date_of_birth="2014-10-01")])
    )
    assert report.ok
    assert "outside the usual year group" in report.warnings[0].message


@pytest.mark.django_db
def test_the_command_needs_a_known_round(tmp_path: Path) -> None:
    path = tmp_path / "cohort.csv"
    path.write_bytes(_csv([_row(1)]))
    with pytest.raises(CommandError, match="No round 'secondary-2031'"):
        call_command("import_cohort", str(path), "--round", "secondary-2031")


@pytest.mark.django_db
def test_the_command_imports_into_a_round_named_by_phase_and_year(tmp_path: Path) -> None:
    RoundFactory()
    path = tmp_path / "cohort.csv"
    path.write_bytes(_csv([_row(1), _row(2)]))
    out = io.StringIO()
    call_command("import_cohort", str(path), "--round", "secondary-2027", stdout=out)
    assert "2 created" in out.getvalue()


@pytest.mark.django_db
def test_looked_after_is_an_optional_yes_or_no_column_and_anything_else_is_refused() -> None:
    round_ = RoundFactory()
    columns = [*COLUMNS, "looked_after"]

    def as_csv(rows: list[dict[str, str]]) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue().encode()

    bad = cohort_import(
        round_=round_, source=as_csv([_row(1, looked_after="Yes"), _row(2, looked_after="maybe")])
    )
    assert not bad.ok
    assert [(e.row, e.column) for e in bad.errors] == [(3, "looked_after")]
    assert "must be yes or no" in bad.errors[0].message
    assert not Child.objects.exists()  # all or nothing
    good = cohort_import(
        round_=round_, source=as_csv([_row(1, looked_after="Yes"), _row(2, looked_after="")])
    )
    assert good.ok, good.errors
    assert Child.objects.get(ehcp_reference="EHC0001").looked_after
    assert not Child.objects.get(ehcp_reference="EHC0002").looked_after
