"""Every co-ordination page, over HTTP: who may open it."""

from __future__ import annotations

import pytest
from django.test import Client

from phasetransfer.core.roles import Role
from tests.conftest import signed_in
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "/staff/progress/",
    "/staff/rounds/{round}/progress/",
    "/staff/rounds/{round}/progress/?at_risk=1",
    "/staff/rounds/{round}/progress.csv",
    "/staff/rounds/{round}/workload/",
    "/staff/rounds/{round}/figures/",
]
READERS = [Role.COORDINATOR, Role.ADMINISTRATOR, Role.CASEWORKER, Role.PANEL_CHAIR]
REFUSED = [Role.PARENT, Role.YOUNG_PERSON, Role.SCHOOL_CONTACT, Role.PANEL_MEMBER]


@pytest.fixture
def round_id() -> int:
    return CaseFactory().round_id


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, round_id: int, page: str) -> None:
    response = client.get(page.format(round=round_id))
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


@pytest.mark.parametrize("role", REFUSED)
@pytest.mark.parametrize("page", PAGES)
def test_families_schools_and_panel_members_are_refused(
    client: Client, round_id: int, page: str, role: Role
) -> None:
    signed_in(client, UserFactory(roles=[role]))
    assert client.get(page.format(round=round_id)).status_code == 403
    assert client.post(f"/staff/rounds/{round_id}/workload/", {}).status_code == 403


@pytest.mark.parametrize("role", READERS)
@pytest.mark.parametrize("page", PAGES)
def test_staff_may_read_every_page(client: Client, round_id: int, page: str, role: Role) -> None:
    signed_in(client, UserFactory(roles=[role]))
    assert client.get(page.format(round=round_id)).status_code == 200


def test_an_unknown_round_is_not_found(client: Client) -> None:
    signed_in(client, UserFactory(roles=[Role.COORDINATOR]))
    for page in PAGES[1:]:
        assert client.get(page.format(round=999999)).status_code == 404


def test_a_coordinator_lands_on_the_progress_page(client: Client) -> None:
    signed_in(client, UserFactory(roles=[Role.COORDINATOR]))
    assert client.get("/home/")["Location"] == "/staff/progress/"


def test_the_round_menu_goes_to_the_chosen_rounds_board(client: Client, round_id: int) -> None:
    signed_in(client, UserFactory(roles=[Role.COORDINATOR]))
    response = client.get(f"/staff/progress/?round={round_id}")
    assert response["Location"] == f"/staff/rounds/{round_id}/progress/"
    assert client.get("/staff/progress/?round=nonsense").status_code == 200
