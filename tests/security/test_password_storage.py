"""Passwords are stored with Argon2id at OWASP's baseline, and older hashes keep working."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    BasePasswordHasher,
    PBKDF2PasswordHasher,
    make_password,
)
from django.test import Client

from tests.factories import PASSWORD, UserFactory


def _argon2_parameters(stored: str) -> tuple[int, int, int]:
    """Memory (KiB), passes and lanes of a Django-stored Argon2 hash."""
    parameters = extract_parameters(stored.removeprefix("argon2"))
    return parameters.memory_cost, parameters.time_cost, parameters.parallelism


@pytest.mark.django_db
def test_a_new_password_is_stored_as_argon2id_with_owasp_parameters() -> None:
    user = UserFactory()
    user.set_password("a-new-long-password-2027")
    user.save()

    assert user.password.startswith("argon2$argon2id$")
    assert _argon2_parameters(user.password) == (19 * 1024, 2, 1)
    assert user.check_password("a-new-long-password-2027")
    assert not user.check_password("a-new-long-password-2028")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "older_hasher",
    [
        pytest.param(PBKDF2PasswordHasher, id="Django's default PBKDF2"),
        pytest.param(Argon2PasswordHasher, id="Django's Argon2 (100 MiB, 8 lanes)"),
    ],
)
def test_an_older_hash_still_signs_in_and_is_upgraded(
    client: Client, older_hasher: type[BasePasswordHasher]
) -> None:
    """Accounts made before the change sign in as before; the stored hash is replaced."""
    user = UserFactory(email="older@example.org")
    stored = older_hasher().encode(PASSWORD, older_hasher().salt())
    user.password = stored
    user.save(update_fields=["password"])

    response = client.post("/sign-in/", {"username": "older@example.org", "password": PASSWORD})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password != stored
    assert _argon2_parameters(user.password) == (19 * 1024, 2, 1)


@pytest.mark.django_db
def test_a_wrong_password_against_an_older_hash_is_refused_and_nothing_changes(
    client: Client,
) -> None:
    user = UserFactory(email="older@example.org")
    stored = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.password = stored
    user.save(update_fields=["password"])

    response = client.post("/sign-in/", {"username": "older@example.org", "password": "nope"})

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.password == stored
