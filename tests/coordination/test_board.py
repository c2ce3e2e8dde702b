"""The progress board: filters, pagination, the CSV export, and the "at risk" two clicks."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client

from phasetransfer.core.csv_safe import neutralise
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, Child
from tests.conftest import signed_in
from tests.factories import CaseFactory, RoundFactory, UserFactory
from tests.factories.coordination import caseworkers, many_cases
from tests.moments import MID_ROUND

pytestmark = pytest.mark.django_db
# After the preference window closed, before the last panel day (7 February 2027).


@pytest.fixture
def frozen() -> Iterator[None]:
    """The server clock at MID_ROUND for the whole test (sessions are signed in then too)."""
    with time_machine.travel(MID_ROUND, tick=False):
        yield


@pytest.fixture
def coordinator(client: Client, frozen: None) -> Client:
    return signed_in(client, UserFactory(email="coord@example.org", roles=[Role.COORDINATOR]))


def _board_references(client: Client, url: str) -> list[str]:
    """Every case reference the paginated board shows for ``url``, page after page."""
    references: list[str] = []
    page = 1
    while True:
        joiner = "&" if "?" in url else "?"
        html = client.get(f"{url}{joiner}page={page}").content.decode()
        references += re.findall(r'data-reference="([^"]+)"', html)
        if 'rel="next"' not in html:
            return references
        page += 1


def _export_references(client: Client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Case reference"
    return [row[0] for row in rows[1:]]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "at_risk=1",
        "status=due_soon",
        "area=North&stage=not_invited",
        "caseworker=none",
        "district=ME3&status=closed",
    ],
)
def test_the_export_has_exactly_the_rows_of_the_filtered_board(
    coordinator: Client, query: str
) -> None:
    round_ = many_cases(count=230, workers=caseworkers())
    with time_machine.travel(MID_ROUND, tick=False):
        shown = _board_references(coordinator, f"/staff/rounds/{round_.pk}/progress/?{query}")
        exported = _export_references(
            coordinator, f"/staff/rounds/{round_.pk}/progress.csv?{query}"
        )
    assert shown == exported  # same rows, same order
    assert shown, "every filter here selects some cases"
    if not query:
        assert len(shown) == 230  # three pages of the board


def test_filters_select_what_they_say(coordinator: Client) -> None:
    workers = caseworkers(2)
    round_ = many_cases(count=60, workers=workers)
    base = f"/staff/rounds/{round_.pk}/progress.csv"
    north = _export_references(coordinator, f"{base}?area=North")
    mine = _export_references(coordinator, f"{base}?caseworker={workers[0].pk}")
    nobody = _export_references(coordinator, f"{base}?caseworker=none")
    decided = _export_references(coordinator, f"{base}?stage=decided")
    risky = _export_references(coordinator, f"{base}?at_risk=1")
    cases = Case.objects.filter(round=round_)
    assert set(north) == set(cases.filter(send_area="North").values_list("reference", flat=True))
    assert set(mine) == set(cases.filter(caseworker=workers[0]).values_list("reference", flat=True))
    assert set(nobody) == set(cases.filter(caseworker=None).values_list("reference", flat=True))
    assert set(decided) == set(
        cases.filter(state__in=["decided", "offer_approved"]).values_list("reference", flat=True)
    )
    # 20 January: the window has closed (not invited, invited: overdue) and schools must be
    # consulted by 23 January (preferences in): all at risk. Nothing else is, yet.
    assert set(risky) == set(
        cases.filter(state__in=["identified", "invited", "preferences_received"]).values_list(
            "reference", flat=True
        )
    )


def test_an_invalid_filter_shows_an_error_and_refuses_to_export(coordinator: Client) -> None:
    round_ = many_cases(count=5)
    page = coordinator.get(f"/staff/rounds/{round_.pk}/progress/?stage=nonsense")
    assert page.status_code == 200
    assert "There is a problem" in page.content.decode()
    assert 'data-reference="' not in page.content.decode()
    export = coordinator.get(f"/staff/rounds/{round_.pk}/progress.csv?stage=nonsense")
    assert export.status_code == 400


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_a_spreadsheet_would_run_are_neutralised(start: str) -> None:
    assert neutralise(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"
    assert neutralise("Sam O'Neill") == "Sam O'Neill"


def test_the_export_neutralises_formulas_in_names(coordinator: Client) -> None:
    round_ = RoundFactory()
    case = CaseFactory(round=round_, district="=cmd|' /C calc'!A0")
    Child.objects.filter(pk=case.child_id).update(first_name="@SUM(1+1)", last_name="-2")
    response = coordinator.get(f"/staff/rounds/{round_.pk}/progress.csv")
    (row,) = list(csv.reader(io.StringIO(response.content.decode())))[1:]
    assert row[1] == "'@SUM(1+1) -2"
    assert row[4] == "'=cmd|' /C calc'!A0"
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_each_row_links_to_the_staff_case_page(coordinator: Client) -> None:
    round_ = RoundFactory()
    case = CaseFactory(round=round_)
    html = coordinator.get(f"/staff/rounds/{round_.pk}/progress/").content.decode()
    assert f'href="/staff/cases/{case.reference}/"' in html


def test_a_coordinator_finds_and_exports_the_cases_at_risk_in_two_clicks(client: Client) -> None:
    """Sign in -> progress (home) -> click "At risk this week" -> click "Export"."""
    round_ = RoundFactory()
    late = CaseFactory(round=round_)  # still invited after the window closed: overdue
    Case.objects.filter(pk=late.pk).update(state="invited")
    fine = CaseFactory(round=round_)
    Case.objects.filter(pk=fine.pk).update(state="offer_approved")
    user = UserFactory(email="coord2@example.org", roles=[Role.COORDINATOR])
    with time_machine.travel(MID_ROUND, tick=False):
        signed_in(client, user)
        home = client.get("/home/", follow=True)
        assert home.redirect_chain[-1][0] == "/staff/progress/"
        html = home.content.decode()
        # Click 1: the round's "At risk this week" link.
        at_risk_url = re.search(rf'href="(/staff/rounds/{round_.pk}/progress/\?at_risk=1)"', html)
        assert at_risk_url is not None
        board = client.get(at_risk_url.group(1)).content.decode()
        assert re.findall(r'data-reference="([^"]+)"', board) == [late.reference]
        # Click 2: the export link next to it, for the same filter.
        link = re.search(r'href="([^"]+progress\.csv\?at_risk=1)" id="export-link"', board)
        assert link is not None
        assert _export_references(client, link.group(1).replace("&amp;", "&")) == [late.reference]


def _week_lines(html: str) -> list[tuple[str, str, str]]:
    """(milestone, stage, cases) of each line of the week's table, top to bottom."""
    return re.findall(
        r'data-milestone="([^"]+)" data-stage="([^"]+)">.*?app-table-figure"><a[^>]*>(\d+)<',
        html,
        flags=re.S,
    )


def test_the_week_lists_what_is_due_first_with_what_to_do(coordinator: Client) -> None:
    """20 January: never invited and invited (window closed: overdue), preferences in
    (schools must be consulted by 23 January), a panel booked for the 22nd; the rest later."""
    round_ = many_cases(count=60, workers=caseworkers(2))
    html = coordinator.get(f"/staff/rounds/{round_.pk}/week/").content.decode()
    lines = _week_lines(html)
    counts = {(milestone, stage): int(n) for milestone, stage, n in lines}
    cases = Case.objects.filter(round=round_)
    assert counts[("preferences", "not_invited")] == cases.filter(state="identified").count()
    assert counts[("preferences", "invited")] == cases.filter(state="invited").count()
    assert (
        counts[("consult_by", "preferences_in")]
        == cases.filter(state="preferences_received").count()
    )
    # Overdue (the window closed on 10 January) comes before what is due on the 23rd.
    order = [(milestone, stage) for milestone, stage, _ in lines]
    assert order.index(("preferences", "invited")) < order.index(("consult_by", "preferences_in"))
    # Each line says what to do, and never-invited families need an invitation, not a reminder.
    assert "Invite the family" in html
    assert "Remind families who have not sent their preferences" in html
    assert "Send consultations in time for a panel" in html
    assert f'href="/staff/rounds/{round_.pk}/consultations/"' in html
    # Every number leads to exactly those cases on the board.
    link = re.search(r'href="([^"]*stage=invited&amp;status=overdue)"', html)
    assert link is not None
    board = _board_references(coordinator, link.group(1).replace("&amp;", "&"))
    assert sorted(board) == sorted(
        cases.filter(state="invited").values_list("reference", flat=True)
    )


def test_a_quiet_week_says_so(coordinator: Client) -> None:
    round_ = RoundFactory()
    Case.objects.filter(pk=CaseFactory(round=round_).pk).update(state="offer_approved")
    html = coordinator.get(f"/staff/rounds/{round_.pk}/week/").content.decode()
    assert 'id="nothing-due"' in html
    assert _week_lines(html) == []


def test_families_and_schools_cannot_see_the_week(client: Client, frozen: None) -> None:
    round_ = RoundFactory()
    signed_in(client, UserFactory(email="school@example.org", roles=[Role.SCHOOL_CONTACT]))
    assert client.get(f"/staff/rounds/{round_.pk}/week/").status_code == 403
