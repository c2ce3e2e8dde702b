"""Creating a family account without revealing which email addresses have one; sign-in lockout."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from phasetransfer.accounts.services import RegistrationRefused, registration_complete
from phasetransfer.core.roles import Role
from phasetransfer.models import OutboundEmail, User
from tests.conftest import send_outbox, signed_in
from tests.factories import PASSWORD, ContactFactory, UserFactory


def _link(body: str) -> str:
    match = re.search(r"http://[^\s]+/account/confirm/[^\s]+/", body)
    assert match, body
    return match.group(0).removeprefix("http://127.0.0.1:8000")


@pytest.mark.django_db
def test_registration_shows_the_same_page_for_new_and_existing_addresses(client: Client) -> None:
    UserFactory(email="known@example.org")
    new = client.post("/account/create/", {"email": "new@example.org"}, follow=True)
    known = client.post("/account/create/", {"email": "known@example.org"}, follow=True)

    def strip(response: object) -> str:
        html = response.content.decode()  # type: ignore[attr-defined]
        return html.replace("new@example.org", "X").replace("known@example.org", "X")

    assert strip(new) == strip(known)
    assert {e.kind for e in OutboundEmail.objects.all()} == {"account_create", "account_exists"}


@pytest.mark.django_db
def test_a_new_family_creates_an_account_from_the_emailed_link(
    client: Client, smtp: object
) -> None:
    client.post("/account/create/", {"email": "Parent@Example.org"})
    send_outbox()
    link = _link(smtp.received[0].body)
    assert smtp.received[0].envelope_to == ["parent@example.org"]

    weak = client.post(link, {"password1": "password", "password2": "password"})
    assert "This password is too common" in weak.content.decode()
    assert not User.objects.filter(email="parent@example.org").exists()

    done = client.post(link, {"password1": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/account/link-child/"
    assert User.objects.get(email="parent@example.org").check_password(PASSWORD)


@pytest.mark.django_db
def test_a_tampered_link_is_refused(client: Client) -> None:
    response = client.get("/account/confirm/not-a-real-token/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    with pytest.raises(RegistrationRefused):
        registration_complete(token="abc", password=PASSWORD)


@pytest.mark.django_db
def test_linking_a_child_through_the_page(client: Client) -> None:
    from phasetransfer.cohort.invitations import invitation_issue

    contact = ContactFactory()
    code = invitation_issue(
        case=contact.case,
        contact=contact,
        channel="email",
        actor=None,
        now=contact.case.created_at,
    ).code
    user = UserFactory()
    born = contact.case.child.date_of_birth
    signed_in(client, user)

    wrong = client.post(
        "/account/link-child/",
        {"code": code, "dob_day": "1", "dob_month": "1", "dob_year": "2015"},
    )
    assert "do not match our records" in wrong.content.decode()
    bad_date = client.post(
        "/account/link-child/",
        {"code": code, "dob_day": "31", "dob_month": "2", "dob_year": "2015"},
    )
    assert "Date of birth must be a real date" in bad_date.content.decode()

    right = client.post(
        "/account/link-child/",
        {
            "code": code,
            "dob_day": str(born.day),
            "dob_month": str(born.month),
            "dob_year": str(born.year),
        },
    )
    assert right.status_code == 302
    assert right["Location"] == f"/family/{contact.case.reference}/"


@pytest.mark.django_db
def test_staff_accounts_cannot_link_a_child(client: Client) -> None:
    signed_in(client, UserFactory(roles=[Role.CASEWORKER]))
    assert client.get("/account/link-child/").status_code == 403


@pytest.mark.django_db
def test_sign_in_locks_out_after_repeated_failures_for_that_address(client: Client) -> None:
    UserFactory(email="target@example.org")
    for _ in range(5):
        client.post("/sign-in/", {"username": "target@example.org", "password": "wrong"})
    locked = client.post("/sign-in/", {"username": "target@example.org", "password": PASSWORD})
    assert locked.status_code == 429
    assert "too many times" in locked.content.decode()
    # Another address from the same place is not locked.
    UserFactory(email="other@example.org")
    other = client.post("/sign-in/", {"username": "other@example.org", "password": PASSWORD})
    assert other.status_code == 302
