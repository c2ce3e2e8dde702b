from __future__ import annotations

import pytest
from django.test import Client

from phasetransfer.models import Case, User
from phasetransfer.roles import Role
from tests.factories import PASSWORD, CaseFactory, ContactFactory, UserFactory


@pytest.fixture
def case(db: None) -> Case:
    return CaseFactory()


@pytest.fixture
def caseworker(db: None) -> User:
    return UserFactory(email="caseworker@example.org", roles=[Role.CASEWORKER])


@pytest.fixture
def parent_with_case(db: None) -> tuple[User, Case]:
    user = UserFactory(email="parent@example.org", roles=[Role.PARENT])
    contact = ContactFactory(user=user, email=user.email)
    return user, contact.case


def signed_in(client: Client, user: User) -> Client:
    assert client.login(email=user.email, password=PASSWORD)
    return client
