"""Hostile input: formulas in CSV exports, oversized and wrongly encoded files, HTML in names.

Each is rejected with a clear error or neutralised, and nothing is partly written.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from offers.services.letters import offer_day_spec, render_html
from panels.models import Decision, PanelSession
from phasetransfer.api.scopes import Scope
from phasetransfer.cohort.imports import REQUIRED_COLUMNS, cohort_import
from phasetransfer.cohort.schools import schools_import
from phasetransfer.core.csv_safe import FORMULA_STARTS, csv_lines, csv_text, neutralise
from phasetransfer.core.csvfile import MAX_BYTES, CsvRejected
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, Child, Contact
from tests.api.conftest import bearer
from tests.conftest import signed_in
from tests.factories import RoundFactory, UserFactory
from tests.factories.api import token_with
from tests.factories.worlds import SecurityWorld, world_for_security
from tests.moments import AFTER_OFFER_DAY

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def world() -> Any:
    with time_machine.travel(AFTER_OFFER_DAY, tick=False):
        yield world_for_security()


def as_(world: SecurityWorld, persona: str) -> Client:
    return signed_in(Client(), world.users[persona])


# --- CSV exports -----------------------------------------------------------------------


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_every_formula_start_is_neutralised(start: str) -> None:
    assert neutralise(f"{start}cmd|' /C calc'!A0") == f"'{start}cmd|' /C calc'!A0"


def test_plain_cells_are_left_alone() -> None:
    assert neutralise("O'Neill-Smith") == "O'Neill-Smith"
    assert neutralise(None) == ""
    assert neutralise(12) == "12"
    assert csv_text(["a"], [["=1+1"]]) == "a\r\n'=1+1\r\n"
    assert "".join(csv_lines(["a"], [["@SUM(A1)"]])) == "a\r\n'@SUM(A1)\r\n"


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_the_panel_minutes_csv_neutralises_a_formula_in_a_decision(world: SecurityWorld) -> None:
    Decision.objects.filter(pk=world.decision.pk).update(reasons='=HYPERLINK("http://x")')
    response = as_(world, "chair").get(f"/panels/sessions/{world.s1.pk}/minutes.csv")
    cells = _cells(response.content.decode())
    assert '\'=HYPERLINK("http://x")' in cells
    assert not any(cell.startswith(FORMULA_STARTS) for cell in cells)


def test_the_progress_board_csv_neutralises_a_formula_in_a_name(world: SecurityWorld) -> None:
    Child.objects.filter(pk=world.case.child_id).update(first_name="+SUM(1)", last_name="-2")
    response = as_(world, "coordinator").get(f"/staff/rounds/{world.round.pk}/progress.csv")
    cells = _cells(response.content.decode())
    assert any(cell.startswith("'+SUM(1)") for cell in cells), cells
    assert not any(cell.startswith(FORMULA_STARTS) for cell in cells)


# --- Oversized and wrongly encoded files ---------------------------------------------------


def _cohort_csv(rows: int = 1, **overrides: str) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REQUIRED_COLUMNS)
    writer.writeheader()
    for n in range(rows):
        row = {
            "ehcp_reference": f"EHC{n:05d}",
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
        writer.writerow(row)
    return out.getvalue().encode()


def _oversized(text: bytes) -> bytes:
    header, _, rest = text.partition(b"\n")
    filler = rest * (MAX_BYTES // max(len(rest), 1) + 2)
    return header + b"\n" + filler


def test_an_oversized_cohort_is_refused_and_writes_nothing() -> None:
    round_ = RoundFactory()
    with pytest.raises(CsvRejected, match="larger than 20 MB"):
        cohort_import(round_=round_, source=_oversized(_cohort_csv()))
    assert not Case.objects.exists()
    assert not Child.objects.exists()


def test_an_oversized_schools_file_is_refused() -> None:
    with pytest.raises(CsvRejected, match="larger than 20 MB"):
        schools_import(source=b"URN\n" + b"1\n" * (MAX_BYTES // 2 + 1))


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252"])
def test_a_cohort_not_in_utf8_is_refused_with_how_to_fix_it(encoding: str) -> None:
    source = _cohort_csv(first_name="Zoë").decode().encode(encoding)
    with pytest.raises(CsvRejected, match="not UTF-8.*CSV UTF-8"):
        cohort_import(round_=RoundFactory(), source=source)
    assert not Case.objects.exists()


def test_one_bad_row_among_good_ones_writes_nothing() -> None:
    rows = _cohort_csv(rows=3).decode().splitlines()
    rows[2] = rows[2].replace("2015-10-01", "not a date")
    report = cohort_import(round_=RoundFactory(), source="\n".join(rows).encode())
    assert not report.ok
    assert [e.row for e in report.errors] == [3]
    assert not Child.objects.exists()


def test_the_calendar_upload_refuses_an_oversized_or_mis_encoded_file() -> None:
    round_ = RoundFactory()
    chair = signed_in(Client(), UserFactory(roles=[Role.PANEL_CHAIR]))
    url = f"/panels/rounds/{round_.pk}/import/"
    header = b"area,starts_at,chair_email,place,online_link,case_limit,members\n"
    big = SimpleUploadedFile("big.csv", header + b"North," * (MAX_BYTES // 6 + 10))
    response = chair.post(url, {"file": big})
    assert response.status_code == 400
    assert "larger than 20 MB" in response.content.decode()
    latin = SimpleUploadedFile("c.csv", header + "Nörth,x,,,,,\n".encode("cp1252"))
    response = chair.post(url, {"file": latin})
    assert response.status_code == 400
    assert "not UTF-8" in response.content.decode()
    assert not PanelSession.objects.exists()


def test_the_api_refuses_an_oversized_or_mis_encoded_cohort(client: Client) -> None:
    round_ = RoundFactory()
    token = token_with(Scope.COHORT_WRITE)
    url = f"/api/v1/rounds/{round_.pk}/cohort/"
    big = SimpleUploadedFile("cohort.csv", _oversized(_cohort_csv()), content_type="text/csv")
    response = client.post(url, {"file": big}, **bearer(token))
    assert response.status_code == 400
    assert "larger than 20 MB" in response.json()["errors"][0]["message"]
    latin = _cohort_csv(first_name="Zoë").decode().encode("cp1252")
    response = client.post(url, {"file": SimpleUploadedFile("c.csv", latin)}, **bearer(token))
    assert response.status_code == 400
    assert "not UTF-8" in str(response.json())
    utf16 = _cohort_csv().decode().encode("utf-16")
    response = client.post(url, {"file": SimpleUploadedFile("c.csv", utf16)}, **bearer(token))
    assert response.status_code == 400
    assert "not a CSV" in str(response.json())
    assert not Case.objects.exists()


# --- HTML in names ---------------------------------------------------------------------------


def _hostile(world: SecurityWorld) -> None:
    Child.objects.filter(pk=world.case.child_id).update(first_name=SCRIPT, last_name=SCRIPT)
    Contact.objects.filter(case=world.case).update(name=SCRIPT)


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("parent", "/family/"),
        ("parent", "/family/{ref}/"),
        ("parent", "/family/{ref}/details/"),
        ("parent", "/family/{ref}/outcome/"),
        ("caseworker", "/staff/cases/{ref}/"),
        ("caseworker", "/staff/cases/{ref}/consultations/"),
        ("caseworker", "/staff/rounds/{round}/cohort/"),
        ("coordinator", "/staff/rounds/{round}/progress/"),
        ("school_a", "/school/"),
        ("school_a", "/school/consultations/{consultation}/"),
        ("chair", "/panels/sessions/{s1}/pack/"),
        ("chair", "/panels/sessions/{s1}/cases/{case}/decision/"),
    ],
)
def test_a_childs_name_made_of_html_is_shown_escaped(
    world: SecurityWorld, persona: str, path: str
) -> None:
    _hostile(world)
    url = path.format(
        ref=world.case.reference,
        round=world.round.pk,
        consultation=world.consultation.pk,
        s1=world.s1.pk,
        case=world.case.pk,
    )
    with time_machine.travel(AFTER_OFFER_DAY, tick=False):
        response = as_(world, persona).get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert SCRIPT not in html
    assert ESCAPED in html


def test_the_letter_html_escapes_the_name_too(world: SecurityWorld) -> None:
    _hostile(world)
    case = Case.objects.select_related("child", "round").get(pk=world.case.pk)
    html = render_html(case, offer_day_spec(case))
    assert SCRIPT not in html
    assert ESCAPED in html
