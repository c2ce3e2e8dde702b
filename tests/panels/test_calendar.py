"""Importing a term's panel calendar: all-or-nothing, reasons per row, command and upload."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from panels.models import PanelMember, PanelSession
from panels.services.calendar import calendar_import
from phasetransfer.core.clock import LONDON
from phasetransfer.core.csvfile import CsvRejected
from phasetransfer.core.roles import Role
from phasetransfer.models import Round
from tests.conftest import signed_in
from tests.factories import RoundFactory, SettingFactory, UserFactory
from tests.factories.panels import proposed_case
from tests.moments import BEFORE_PANELS

pytestmark = pytest.mark.django_db
HEADER = "area,starts_at,place,online_link,chair_email,case_limit,members\n"


@pytest.fixture
def round_() -> Round:
    return RoundFactory()


@pytest.fixture
def people() -> dict[str, object]:
    return {
        "chair": UserFactory(email="chair@kent.example", roles=[Role.PANEL_CHAIR]),
        "head": UserFactory(email="head@oak.example", roles=[Role.SCHOOL_CONTACT]),
        "ep": UserFactory(email="ep@kent.example"),
        "school": SettingFactory(urn=118765, name="Oak School"),
    }


def _import(round_: Round, text: str):  # noqa: ANN202
    return calendar_import(round_=round_, source=(HEADER + text).encode(), now=BEFORE_PANELS)


def test_a_good_calendar_creates_sessions_and_members(round_: Round, people: dict) -> None:
    report = _import(
        round_,
        "north,2027-01-20 10:00,County Hall,,chair@kent.example,30,"
        '"head@oak.example:118765:Head teacher; EP@kent.example::Educational psychologist"\n'
        "East,2027-01-21T14:00,,https://meet.example/x,chair@kent.example,,\n",
    )
    assert report.ok, report.errors
    assert (report.rows, report.created) == (2, 2)
    north = PanelSession.objects.get(send_area="North")
    assert north.starts_at == dt.datetime(2027, 1, 20, 10, 0, tzinfo=LONDON)
    assert north.case_limit == 30
    assert north.chair == people["chair"]
    members = {m.user.email: m for m in north.members.select_related("user", "school")}
    assert members["head@oak.example"].school == people["school"]
    assert members["head@oak.example"].role_title == "Head teacher"
    assert members["ep@kent.example"].school is None
    east = PanelSession.objects.get(send_area="East")
    assert (east.online_link, east.case_limit) == ("https://meet.example/x", 40)
    ep = members["ep@kent.example"].user
    ep.__dict__.pop("_phasetransfer_roles", None)
    assert ep.groups.filter(name=Role.PANEL_MEMBER.value).exists()


def test_reimport_updates_the_session_and_its_members(round_: Round, people: dict) -> None:
    _import(
        round_,
        'North,2027-01-20 10:00,Hall,,chair@kent.example,30,"head@oak.example; ep@kent.example"\n',
    )
    report = _import(
        round_, "North,2027-01-20 10:00,New Hall,,chair@kent.example,25,ep@kent.example\n"
    )
    assert (report.created, report.updated) == (0, 1)
    session = PanelSession.objects.get()
    assert (session.place, session.case_limit) == ("New Hall", 25)
    assert list(PanelMember.objects.values_list("user__email", flat=True)) == ["ep@kent.example"]


def test_any_error_rejects_the_whole_file_with_row_reasons(round_: Round, people: dict) -> None:
    UserFactory(email="mum@family.example", roles=[Role.PARENT])
    rows = [
        "North,2027-01-20 10:00,Hall,,chair@kent.example,30,",  # row 2: fine
        "Middle,2027-01-20 10:00,Hall,,chair@kent.example,30,",  # 3
        "North,20/01/2027,Hall,,chair@kent.example,30,",  # 4
        "North,2027-01-22 10:00,Hall,,nobody@kent.example,30,",  # 5
        "North,2027-01-21 10:00,Hall,,head@oak.example,30,",  # 6: not a chair
        "North,2027-01-21 14:00,,,chair@kent.example,30,",  # 7: no place or link
        "North,2027-01-25 10:00,,not a link,chair@kent.example,30,",  # 8
        "North,2027-01-26 10:00,Hall,,chair@kent.example,500,",  # 9
        "North,2027-01-27 10:00,Hall,,chair@kent.example,ten,",  # 10
        "North,2027-01-28 10:00,Hall,,chair@kent.example,30,stranger@x.example",  # 11
        "North,2027-01-29 10:00,Hall,,chair@kent.example,30,head@oak.example:999",  # 12
        "North,2027-02-02 10:00,Hall,,chair@kent.example,30,mum@family.example",  # 13
        "North,2027-01-20 10:00,Hall,,chair@kent.example,30,",  # 14: same as row 2
        'North,2027-02-03 10:00,Hall,,chair@kent.example,30,"ep@kent.example;ep@kent.example"',
        "North,2027-02-01 10:00,Hall,,chair@kent.example,30,chair@kent.example",  # 16
    ]
    report = _import(round_, "\n".join(rows) + "\n")
    assert not report.ok
    assert PanelSession.objects.count() == 0
    found = {(p.row, p.column) for p in report.errors}
    assert found == {
        (3, "area"),
        (4, "starts_at"),
        (5, "chair_email"),
        (6, "chair_email"),
        (7, "place"),
        (8, "online_link"),
        (9, "case_limit"),
        (10, "case_limit"),
        (11, "members"),
        (12, "members"),
        (13, "members"),
        (14, "starts_at"),
        (15, "members"),
        (16, "members"),
    }
    messages = {p.row: p.message for p in report.errors}
    assert messages[3] == "'Middle' is not a SEND area"
    assert "is not a panel chair" in messages[6]
    assert "family's account" in messages[13]
    assert "same area and start as row 2" in messages[14]


def test_signed_off_session_cannot_be_reimported(round_: Round, people: dict) -> None:
    _import(round_, "North,2027-01-20 10:00,Hall,,chair@kent.example,30,\n")
    PanelSession.objects.update(signed_off_at=BEFORE_PANELS)
    report = _import(round_, "North,2027-01-20 10:00,Elsewhere,,chair@kent.example,30,\n")
    assert [str(e) for e in report.errors] == [
        "row 2 [starts_at]: that session is signed off: it cannot be changed"
    ]


def test_sessions_after_the_cut_off_or_past_are_warned_about(round_: Round, people: dict) -> None:
    report = _import(
        round_,
        "North,2027-02-09 10:00,Hall,,chair@kent.example,30,\n"
        "North,2026-12-01 10:00,Hall,,chair@kent.example,30,\n",
    )
    assert report.ok
    assert [w.row for w in report.warnings] == [2, 3]
    assert "after the last panel day (7 February 2027)" in report.warnings[0].message


def test_missing_column_rejects_the_file(round_: Round) -> None:
    with pytest.raises(CsvRejected, match="chair_email"):
        calendar_import(round_=round_, source=b"area,starts_at\nNorth,2027-01-20 10:00\n")


def test_command(tmp_path: Path, round_: Round, people: dict) -> None:
    good = tmp_path / "calendar.csv"
    good.write_text(HEADER + "West,2027-01-20 10:00,Hall,,chair@kent.example,30,\n")
    out = StringIO()
    call_command("import_panel_calendar", str(good), "--round", str(round_.pk), stdout=out)
    assert "Imported 1 row(s): 1 created" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "Nowhere,2027-01-20 10:00,Hall,,chair@kent.example,30,\n")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_panel_calendar", str(bad), "--round", str(round_.pk), stderr=err)
    assert "row 2 [area]" in err.getvalue()


def test_upload_form(client: Client, round_: Round, people: dict) -> None:
    officer = UserFactory(roles=[Role.CASEWORKER])
    url = reverse("panels-import", args=[round_.pk])
    with time_machine.travel(BEFORE_PANELS, tick=False):
        signed_in(client, officer)
        bad = client.post(
            url,
            {"file": SimpleUploadedFile("c.csv", (HEADER + "Nowhere,x,,,,,\n").encode())},
        )
        assert bad.status_code == 400
        assert "row 2 [area]" in bad.content.decode()
        good = client.post(
            url,
            {
                "file": SimpleUploadedFile(
                    "c.csv",
                    (HEADER + "South,2027-01-20 10:00,Hall,,chair@kent.example,,\n").encode(),
                )
            },
        )
    assert good.status_code == 302
    assert PanelSession.objects.get().send_area == "South"


def test_reimport_cannot_drop_members_of_a_panel_that_has_decided(
    round_: Round, people: dict
) -> None:
    from panels.models import Decision, Outcome

    _import(round_, 'North,2027-01-20 10:00,Hall,,chair@kent.example,30,"ep@kent.example"\n')
    session = PanelSession.objects.get()
    case = proposed_case(round_, preferences=(SettingFactory(),))
    Decision.objects.create(
        case=case,
        session=session,
        outcome=Outcome.DEFER,
        decided_by=session.chair,
        decided_at=BEFORE_PANELS,
    )
    report = _import(round_, "North,2027-01-20 10:00,Hall,,chair@kent.example,30,\n")
    assert [e.column for e in report.errors] == ["members"]
    assert "ep@kent.example would leave the session" in report.errors[0].message
    assert PanelMember.objects.count() == 1


def test_sessions_sit_on_working_days_unless_the_calendar_says_otherwise(
    round_: Round, people: dict
) -> None:
    from panels.services.calendar import calendar_import

    header = (
        "area,starts_at,place,online_link,chair_email,case_limit,members,outside_working_days\n"
    )
    rows = (
        "North,2027-01-23 10:00,Hall,,chair@kent.example,30,,\n"  # a Saturday
        "North,2026-12-28 10:00,Hall,,chair@kent.example,30,,\n"  # Boxing Day, observed
    )
    refused = calendar_import(round_=round_, source=(header + rows).encode(), now=BEFORE_PANELS)
    assert [(e.row, e.column) for e in refused.errors] == [(2, "starts_at"), (3, "starts_at")]
    assert "Saturday 23 January 2027 is not a working day" in refused.errors[0].message
    allowed = calendar_import(
        round_=round_,
        source=(header + "North,2027-01-23 10:00,Hall,,chair@kent.example,30,,yes\n").encode(),
        now=BEFORE_PANELS,
    )
    assert allowed.ok, allowed.errors
