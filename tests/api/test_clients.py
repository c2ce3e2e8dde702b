"""Integration clients: created by command, token shown once and stored only as a hash."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from phasetransfer.api.scopes import parse_scopes
from phasetransfer.api.services import token_hash
from phasetransfer.models import ApiClient
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


def _create(*args: str) -> str:
    out = io.StringIO()
    call_command("create_api_client", *args, stdout=out)
    return out.getvalue()


def test_the_token_is_shown_once_and_only_its_hash_is_kept(client: Client) -> None:
    output = _create("Capita One", "--scopes", "cases:read, decisions:read")
    token = output.strip().splitlines()[-1]
    assert token.startswith("ptk_")
    assert len(token) > 40
    stored = ApiClient.objects.get(name="Capita One")
    assert stored.scopes == ["cases:read", "decisions:read"]
    assert stored.token_hash == token_hash(token)
    assert token.startswith(stored.token_prefix)
    assert all(token not in str(value) for value in vars(stored).values())
    assert client.get("/api/v1/cases/", **bearer(token)).status_code == 200
    assert client.get("/api/v1/offers/", **bearer(token)).status_code == 403


def test_unknown_scopes_duplicate_names_and_no_scopes_are_refused() -> None:
    with pytest.raises(CommandError, match="Unknown scope"):
        _create("Synergy", "--scopes", "cases:read,cases:write")
    with pytest.raises(CommandError, match="at least one scope"):
        _create("Synergy")
    _create("Synergy", "--scopes", "offers:read")
    with pytest.raises(CommandError, match="already a client"):
        _create("Synergy", "--scopes", "offers:read")
    assert ApiClient.objects.count() == 1


def test_deactivating_a_client_switches_its_token_off(client: Client) -> None:
    token = _create("Synergy", "--scopes", "cases:read").strip().splitlines()[-1]
    assert "Deactivated" in _create("Synergy", "--deactivate")
    assert client.get("/api/v1/cases/", **bearer(token)).status_code == 401
    with pytest.raises(CommandError, match="No client"):
        _create("Nobody", "--deactivate")


def test_parse_scopes_keeps_a_stable_order() -> None:
    assert [s.value for s in parse_scopes("offers:read,cases:read,offers:read")] == [
        "cases:read",
        "offers:read",
    ]
