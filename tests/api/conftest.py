"""Personas and tokens for the API tests."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from phasetransfer.api.scopes import ALL_SCOPES
from phasetransfer.core.roles import Role
from phasetransfer.models import User
from tests.conftest import signed_in
from tests.factories import UserFactory
from tests.factories.api import token_with


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def all_scopes_token(db: None) -> str:
    return token_with(*ALL_SCOPES, name="Capita One")


# Who may use the API with a browser session, and who may not.
PERSONAS: dict[str, list[Role]] = {
    "parent": [Role.PARENT],
    "school contact": [Role.SCHOOL_CONTACT],
    "panel member": [Role.PANEL_MEMBER],
    "caseworker": [Role.CASEWORKER],
    "co-ordinator": [Role.COORDINATOR],
    "administrator": [Role.ADMINISTRATOR],
    "panel chair": [Role.PANEL_CHAIR],
}
REFUSED = ("parent", "school contact", "panel member")


def persona(name: str) -> User:
    return UserFactory(email=f"{name.replace(' ', '-')}@example.org", roles=PERSONAS[name])


def as_persona(client: Client, name: str) -> Client:
    return signed_in(client, persona(name))


def json_of(response: Any) -> Any:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.json()
