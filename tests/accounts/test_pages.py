"""The start page, signing in, and who lands where."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.html import escape

from phasetransfer.core.roles import Role
from phasetransfer.models import Case, User
from tests.conftest import pass_second_factor, signed_in
from tests.factories import PASSWORD, ContactFactory, UserFactory


@pytest.mark.django_db
def test_the_start_page_renders_with_gov_uk_frontend(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Moving to a new school or college with an EHCP" in html
    assert "govuk-frontend.min.css" in html
    assert 'lang="en"' in html


@pytest.mark.django_db
def test_pages_are_never_stored_by_shared_caches(client: Client) -> None:
    response = client.get("/")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


@pytest.mark.django_db
def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client: Client) -> None:
    UserFactory(email="known@example.org")
    known = client.post("/sign-in/", {"username": "known@example.org", "password": "wrong"})
    unknown = client.post("/sign-in/", {"username": "nobody@example.org", "password": "wrong"})
    assert known.status_code == unknown.status_code == 200
    message = "Enter a correct email address and password."
    assert message in known.content.decode()
    assert message in unknown.content.decode()
    assert "There is a problem" in known.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (Role.CASEWORKER, "/staff/rounds/"),
        (Role.ADMINISTRATOR, "/staff/rounds/"),
        (Role.PANEL_CHAIR, "/staff/rounds/"),
        (Role.PARENT, "/family/"),
        (Role.YOUNG_PERSON, "/family/"),
    ],
)
def test_signing_in_lands_each_role_on_its_own_page(
    client: Client, role: Role, landing: str
) -> None:
    user = UserFactory(roles=[role])
    response = client.post("/sign-in/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    pass_second_factor(client, user)  # staff roles give a code too (docs/security.md)
    assert client.get(response["Location"]).url == landing


@pytest.mark.django_db
def test_a_parent_sees_only_their_own_child(
    client: Client, parent_with_case: tuple[User, Case]
) -> None:
    user, case = parent_with_case
    other = ContactFactory(case__child__unmistakable=True)  # another family's case
    page = signed_in(client, user).get("/family/").content.decode()
    assert escape(case.child.full_name) in page  # as the page shows it (O'Neil)
    assert other.case.child.full_name not in page


@pytest.mark.django_db
def test_a_parent_cannot_open_staff_pages(
    client: Client, parent_with_case: tuple[User, Case]
) -> None:
    user, _ = parent_with_case
    assert signed_in(client, user).get("/staff/rounds/").status_code == 403


@pytest.mark.django_db
def test_staff_pages_send_anonymous_visitors_to_sign_in(client: Client) -> None:
    response = client.get("/staff/rounds/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


@pytest.mark.django_db
def test_a_caseworker_sees_rounds_with_cases_by_stage(
    client: Client, caseworker: User, case: Case
) -> None:
    page = signed_in(client, caseworker).get("/staff/rounds/").content.decode()
    assert case.round.name in page
    assert "Identified" in page
    assert "15 February 2027" in page
