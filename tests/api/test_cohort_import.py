"""Importing a cohort over the API: the CSV import's rules, all-or-nothing, errors per row."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from phasetransfer.api.scopes import Scope
from phasetransfer.api.serializers import CohortRowSerializer
from phasetransfer.cohort.imports import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from phasetransfer.models import ApiCall, Case, Child, Round
from tests.api.conftest import bearer, json_of
from tests.factories import RoundFactory
from tests.factories.api import token_with

pytestmark = pytest.mark.django_db


def _row(n: int, **overrides: str) -> dict[str, str]:
    row = {
        "ehcp_reference": f"EHC{n:04d}",
        "first_name": "Sam",
        "last_name": f"Child{n}",
        "date_of_birth": "2015-10-01",
        "primary_need": "ASD",
        "home_postcode": "ME15 6LX",
        "contact_name": "Alex Parent",
        "contact_relationship": "parent",
        "contact_email": f"parent{n}@example.org",
    }
    row.update(overrides)
    return row


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REQUIRED_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.fixture
def round_() -> Round:
    return RoundFactory()


@pytest.fixture
def writer(db: None) -> dict[str, str]:
    return bearer(token_with(Scope.COHORT_WRITE))


def _post_json(client: Client, round_: Round, body: Any, auth: dict[str, str]) -> Any:
    return client.post(
        f"/api/v1/rounds/{round_.pk}/cohort/", body, content_type="application/json", **auth
    )


def _post_csv(client: Client, round_: Round, content: bytes, auth: dict[str, str]) -> Any:
    upload = SimpleUploadedFile("cohort.csv", content, content_type="text/csv")
    return client.post(f"/api/v1/rounds/{round_.pk}/cohort/", {"file": upload}, **auth)


def test_valid_json_rows_are_imported_with_counts(
    client: Client, round_: Round, writer: dict[str, str]
) -> None:
    response = _post_json(client, round_, {"rows": [_row(1), _row(2)]}, writer)
    assert response.status_code == 201
    assert json_of(response) == {"rows": 2, "created": 2, "updated": 0, "warnings": []}
    cases = Case.objects.filter(round=round_)
    assert cases.count() == 2
    call = ApiCall.objects.get(path=f"/api/v1/rounds/{round_.pk}/cohort/")
    assert call.status == 201
    assert call.object_ids["rounds"] == [round_.pk]
    assert sorted(call.object_ids["cases"]) == sorted(cases.values_list("pk", flat=True))
    again = _post_json(client, round_, {"rows": [_row(1, last_name="Renamed")]}, writer)
    assert json_of(again)["updated"] == 1
    assert Child.objects.get(ehcp_reference="EHC0001").last_name == "Renamed"


def test_invalid_json_rows_are_refused_row_by_row_and_nothing_is_written(
    client: Client, round_: Round, writer: dict[str, str]
) -> None:
    rows = [_row(1), _row(2, primary_need="XYZ"), _row(3, first_name="", contact_email="nope")]
    response = _post_json(client, round_, {"rows": rows}, writer)
    assert response.status_code == 400
    errors = json_of(response)["errors"]
    assert {(e["row"], e["column"]) for e in errors} == {
        (2, "primary_need"),
        (3, "first_name"),
        (3, "contact_email"),
    }
    assert all(e["message"] for e in errors)
    assert not Child.objects.exists()
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"rows": [{**_row(1), "favourite_colour": "blue"}]}, (1, "favourite_colour")),
        ({"rows": [_row(1), "not an object"]}, (2, "")),
        ({"rows": [{**_row(1), "first_name": ["a", "list"]}]}, (1, "first_name")),
        ({"rows": [{**_row(1), "first_name": "Sa\x00m"}]}, (1, "first_name")),
        ({"children": []}, (0, "rows")),
        ({"rows": []}, (0, "")),
    ],
    ids=["unknown column", "not an object", "not text", "NUL", "no rows key", "no rows"],
)
def test_badly_shaped_json_is_refused_with_structured_errors(
    client: Client,
    round_: Round,
    writer: dict[str, str],
    body: Any,
    expected: tuple[int, str],
) -> None:
    response = _post_json(client, round_, body, writer)
    assert response.status_code == 400
    errors = json_of(response)["errors"]
    assert (errors[0]["row"], errors[0]["column"]) == expected
    assert not Child.objects.exists()


def test_a_valid_csv_upload_is_imported(
    client: Client, round_: Round, writer: dict[str, str]
) -> None:
    response = _post_csv(client, round_, _csv([_row(1), _row(2), _row(3)]), writer)
    assert response.status_code == 201
    assert json_of(response)["created"] == 3


def test_an_invalid_csv_names_spreadsheet_rows_and_writes_nothing(
    client: Client, round_: Round, writer: dict[str, str]
) -> None:
    content = _csv([_row(1), _row(2, date_of_birth="31/12/2015")])
    response = _post_csv(client, round_, content, writer)
    assert response.status_code == 400
    assert json_of(response)["errors"] == [
        {
            "row": 3,  # the header is row 1, as a spreadsheet shows it
            "column": "date_of_birth",
            "message": "date of birth '31/12/2015' is not a date (YYYY-MM-DD)",
        }
    ]
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "content",
    [b"first_name\nSam\n", b"\xff\xfe not utf-8", b"ehcp_reference\x00,x\n", b""],
    ids=["missing columns", "not UTF-8", "NUL", "empty"],
)
def test_unreadable_files_are_refused_as_a_whole(
    client: Client, round_: Round, writer: dict[str, str], content: bytes
) -> None:
    response = _post_csv(client, round_, content, writer)
    assert response.status_code == 400
    (error,) = json_of(response)["errors"]
    assert error["row"] == 0
    assert not Case.objects.exists()


def test_multipart_without_a_file_and_unknown_rounds(
    client: Client, round_: Round, writer: dict[str, str]
) -> None:
    response = client.post(f"/api/v1/rounds/{round_.pk}/cohort/", {"other": "x"}, **writer)
    assert response.status_code == 400
    assert json_of(response)["errors"][0]["column"] == "file"
    missing = _post_json(client, Round(pk=round_.pk + 99), {"rows": [_row(1)]}, writer)
    assert missing.status_code == 404
    assert "detail" in json_of(missing)
    bad_json = client.post(
        f"/api/v1/rounds/{round_.pk}/cohort/",
        "{not json",
        content_type="application/json",
        **writer,
    )
    assert bad_json.status_code == 400
    assert json_of(bad_json)["errors"][0]["row"] == 0


def test_the_documented_row_is_exactly_the_importers_columns() -> None:
    assert list(CohortRowSerializer().fields) == [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS]
