"""Who opened which case: one row per look, no content, an administrator's page and CSV,
and retention by round."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from phasetransfer.models import (
    AuditEvent,
    AuditRetention,
    CaseAccess,
    CaseState,
    Child,
    Proposal,
)
from phasetransfer.security.access_log import retention_days
from tests.conftest import signed_in
from tests.factories import CaseFactory, RoundFactory
from tests.factories.consultations import ConsultationFactory
from tests.factories.worlds import SecurityWorld, world_for_security
from tests.moments import AFTER_OFFER_DAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> Any:
    with time_machine.travel(AFTER_OFFER_DAY, tick=False):
        yield world_for_security()


def as_(world: SecurityWorld, persona: str) -> Client:
    return signed_in(Client(), world.users[persona])


def test_opening_a_case_page_writes_one_row_with_one_insert(world: SecurityWorld) -> None:
    staff = as_(world, "caseworker")
    with CaptureQueriesContext(connection) as queries:
        response = staff.get(f"/staff/cases/{world.case.reference}/?q=Secret+Name")
    assert response.status_code == 200
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "phasetransfer_caseaccess"')]
    assert len(inserts) == 1
    row = CaseAccess.objects.get()
    assert (row.case, row.user, row.action, row.path_name, row.at) == (
        world.case,
        world.users["caseworker"],
        "view",
        "staff-case",
        AFTER_OFFER_DAY,
    )
    assert "Secret" not in str(CaseAccess.objects.values().get())  # no query string kept


@pytest.mark.parametrize(
    ("persona", "path", "method", "action"),
    [
        ("parent", "/family/{ref}/", "get", "view"),
        ("parent", "/family/{ref}/outcome/", "get", "view"),
        ("parent", "/family/{ref}/outcome/", "post", "change"),
        ("parent", "/family/{ref}/outcome/letter.pdf", "get", "download"),
        ("caseworker", "/staff/cases/{ref}/consultations/", "get", "view"),
        ("school_a", "/school/consultations/{consultation}/", "get", "view"),
        ("chair", "/panels/sessions/{s1}/cases/{case}/decision/", "get", "view"),
    ],
)
def test_each_page_of_one_case_records_who_looked(
    world: SecurityWorld, persona: str, path: str, method: str, action: str
) -> None:
    url = path.format(
        ref=world.case.reference,
        consultation=world.consultation.pk,
        s1=world.s1.pk,
        case=world.case.pk,
    )
    response = getattr(as_(world, persona), method)(url)
    assert response.status_code in (200, 302, 400)
    assert list(CaseAccess.objects.values_list("case", "user", "action")) == [
        (world.case.pk, world.users[persona].pk, action)
    ]


def test_a_pack_records_the_cases_its_reader_saw_and_not_the_recused_one(
    world: SecurityWorld,
) -> None:
    # A surname no generated name contains (a random "Smith" once matched "Smith-James").
    Child.objects.filter(pk=world.case.child_id).update(last_name="Quillfeather")
    response = as_(world, "recused_member").get(f"/panels/sessions/{world.s1.pk}/pack/")
    assert response.status_code == 200
    assert "Quillfeather" not in response.content.decode()
    assert not CaseAccess.objects.filter(case=world.case).exists()
    chair = as_(world, "chair")
    assert "Quillfeather" in chair.get(f"/panels/sessions/{world.s1.pk}/pack/").content.decode()
    assert CaseAccess.objects.get(case=world.case).action == "view"
    chair.get(f"/panels/sessions/{world.s1.pk}/minutes.csv")
    assert CaseAccess.objects.filter(case=world.case, action="download").count() == 1


def test_the_progress_board_records_the_children_on_its_page_and_the_export_each_row(
    world: SecurityWorld,
) -> None:
    coordinator = as_(world, "coordinator")
    in_round = set(world.round.cases.values_list("pk", flat=True))
    assert {world.case.pk, world.other_case.pk} <= in_round

    board = coordinator.get(f"/staff/rounds/{world.round.pk}/progress/")
    assert board.status_code == 200
    seen = CaseAccess.objects.filter(user=world.users["coordinator"], action="view")
    assert set(seen.values_list("case", flat=True)) == in_round
    assert set(seen.values_list("path_name", flat=True)) == {"coordination-round-progress"}

    export = coordinator.get(f"/staff/rounds/{world.round.pk}/progress.csv")
    assert export.status_code == 200
    assert export.content.decode().count("\r\n") == len(in_round) + 1  # and the header
    downloads = CaseAccess.objects.filter(action="download")
    assert sorted(downloads.values_list("case", "user")) == sorted(
        (pk, world.users["coordinator"].pk) for pk in in_round
    )


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("caseworker", "/staff/rounds/{round}/cohort/"),
        ("caseworker", "/staff/rounds/{round}/consultations/"),
        ("caseworker", "/staff/rounds/{round}/consultations/overdue/"),
        ("caseworker", "/staff/allocation-runs/{run}/"),
        ("school_a", "/school/"),
    ],
)
def test_a_list_page_records_each_child_it_names(
    world: SecurityWorld, persona: str, path: str
) -> None:
    """A page listing children is a look at each of them, whoever else it lists."""
    # A case still being consulted on, and overdue, so the consultation lists show it.
    listed = ConsultationFactory(
        case=CaseFactory(round=world.round, state=CaseState.CONSULTING),
        setting=world.school_a,
        sent_at=AFTER_OFFER_DAY - dt.timedelta(days=40),
    ).case
    Proposal.objects.create(run=world.run, case=listed, setting=world.school_a, preference_rank=1)

    response = as_(world, persona).get(path.format(round=world.round.pk, run=world.run.pk))

    assert response.status_code == 200
    assert listed.reference in response.content.decode()
    rows = CaseAccess.objects.filter(case=listed)
    assert list(rows.values_list("user", "action")) == [(world.users[persona].pk, "view")]


def test_a_refused_look_records_nothing(world: SecurityWorld) -> None:
    as_(world, "another_parent").get(f"/family/{world.case.reference}/")
    as_(world, "school_b").get(f"/school/consultations/{world.consultation.pk}/")
    assert not CaseAccess.objects.exists()


def _trail_csv(client: Client, query: str = "") -> list[list[str]]:
    response = client.get(f"/staff/audit.csv{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_the_administrator_filters_the_trail_and_downloads_it(world: SecurityWorld) -> None:
    with time_machine.travel(AFTER_OFFER_DAY, tick=False):
        as_(world, "caseworker").get(f"/staff/cases/{world.case.reference}/")
        as_(world, "chair").get(f"/staff/cases/{world.other_case.reference}/")
    admin = as_(world, "administrator")
    page = admin.get("/staff/audit/", {"reference": world.case.reference}).content.decode()
    assert "caseworker@kent.example" in page
    assert "chair@example.org" not in page
    rows = _trail_csv(
        admin,
        f"?user=chair@example.org&since={AFTER_OFFER_DAY.date()}&until={AFTER_OFFER_DAY.date()}",
    )
    assert rows[0] == ["When (London)", "Case reference", "User", "Kind", "Page or action"]
    assert [r[1:] for r in rows[1:]] == [
        [world.other_case.reference, "chair@example.org", "view", "staff-case"]
    ]
    later = (AFTER_OFFER_DAY + dt.timedelta(days=1)).date()
    assert len(_trail_csv(admin, f"?user=chair@example.org&since={later}")) == 1
    # Audit events (changes) are in the same trail.
    events = _trail_csv(admin, f"?reference={world.case.reference}")
    assert (
        any(r[3] == "event" for r in events[1:])
        == AuditEvent.objects.filter(case=world.case).exists()
    )


def test_the_trail_csv_cannot_run_a_formula(world: SecurityWorld) -> None:
    CaseAccess.objects.create(
        case=world.case, user=None, at=AFTER_OFFER_DAY, action="view", path_name="=HYPERLINK(1)"
    )
    rows = _trail_csv(as_(world, "administrator"))
    assert rows[1][4] == "'=HYPERLINK(1)"


def test_prune_keeps_each_round_for_its_own_retention(world: SecurityWorld) -> None:
    other = RoundFactory(phase="post16")
    other_case = type(world.case).objects.create(
        reference="OLD-1", child=world.case.child, round=other
    )
    AuditRetention.objects.create(round=other, days=30)
    ages = [10, 40, 800]
    for age in ages:
        for case in (world.case, other_case):
            CaseAccess.objects.create(
                case=case, at=AFTER_OFFER_DAY - dt.timedelta(days=age), action="view", path_name="x"
            )
    assert retention_days(world.round) == 730
    with time_machine.travel(AFTER_OFFER_DAY, tick=False):
        out = io.StringIO()
        call_command("prune_audit", "--dry-run", stdout=out)
        assert CaseAccess.objects.count() == 6
        assert "Would delete 1 record(s)" in out.getvalue()
        assert "Would delete 2 record(s)" in out.getvalue()
        call_command("prune_audit", stdout=io.StringIO())
    assert sorted(CaseAccess.objects.values_list("case__round", flat=True)) == sorted(
        [world.round.pk, world.round.pk, other.pk]
    )


def test_the_administrator_sets_a_rounds_retention_on_the_page(world: SecurityWorld) -> None:
    admin = as_(world, "administrator")
    response = admin.post("/staff/audit/retention/", {"round_id": world.round.pk, "days": 90})
    assert response["Location"] == "/staff/audit/"
    assert retention_days(world.round) == 90
    admin.post("/staff/audit/retention/", {"round_id": world.round.pk, "days": 5})
    assert retention_days(world.round) == 90  # under 30 days is refused


def test_a_wrong_date_in_the_filter_is_explained_not_crashed_on(world: SecurityWorld) -> None:
    admin = as_(world, "administrator")
    page = admin.get("/staff/audit/", {"since": "yesterday"})
    assert page.status_code == 200
    assert "Enter the date as year-month-day" in page.content.decode()
    assert len(_trail_csv(admin, "?since=yesterday")) == 1  # the header only
