"""Who may call the API: personas with a browser session, and clients by token and scope."""

from __future__ import annotations

import pytest
from django.test import Client

from phasetransfer.api.scopes import ALL_SCOPES, Scope
from phasetransfer.api.selectors import cases_visible, preferences_visible, rounds_visible
from phasetransfer.api.services import api_client_deactivate
from tests.api.conftest import PERSONAS, REFUSED, as_persona, bearer, json_of
from tests.factories import CaseFactory
from tests.factories.api import token_with

pytestmark = pytest.mark.django_db

# Each list endpoint and the scope it needs.
ENDPOINTS = {
    "/api/v1/cases/": Scope.CASES_READ,
    "/api/v1/preferences/": Scope.PREFERENCES_READ,
    "/api/v1/decisions/": Scope.DECISIONS_READ,
    "/api/v1/offers/": Scope.OFFERS_READ,
}
READERS = [name for name in PERSONAS if name not in REFUSED]


@pytest.mark.parametrize("url", [*ENDPOINTS, "/api/v1/rounds/", "/api/v1/cases/27S-00001/"])
def test_anonymous_callers_are_asked_to_authenticate(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "detail" in json_of(response)


@pytest.mark.parametrize("persona", REFUSED)
@pytest.mark.parametrize("url", [*ENDPOINTS, "/api/v1/rounds/"])
def test_families_schools_and_panel_members_are_refused(
    client: Client, persona: str, url: str
) -> None:
    response = as_persona(client, persona).get(url)
    assert response.status_code == 403
    assert "detail" in json_of(response)


@pytest.mark.parametrize("persona", READERS)
@pytest.mark.parametrize("url", [*ENDPOINTS, "/api/v1/rounds/"])
def test_staff_sessions_read_everything(client: Client, persona: str, url: str) -> None:
    CaseFactory()
    response = as_persona(client, persona).get(url)
    assert response.status_code == 200
    assert "results" in json_of(response)


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("caseworker", 400),  # allowed: the empty body is then refused row by row
        ("administrator", 400),
        ("co-ordinator", 403),  # reads everything, imports nothing
        ("panel chair", 403),
        ("parent", 403),
        ("school contact", 403),
        ("panel member", 403),
    ],
)
def test_only_caseworkers_and_administrators_may_import_a_cohort(
    client: Client, persona: str, status: int
) -> None:
    round_ = CaseFactory().round
    response = as_persona(client, persona).post(
        f"/api/v1/rounds/{round_.pk}/cohort/", {"rows": []}, content_type="application/json"
    )
    assert response.status_code == status
    json_of(response)


@pytest.mark.parametrize(("url", "scope"), ENDPOINTS.items())
def test_a_client_needs_the_endpoints_scope(client: Client, url: str, scope: Scope) -> None:
    CaseFactory()
    without = token_with(*(ALL_SCOPES - {scope}))
    refused = client.get(url, **bearer(without))
    assert refused.status_code == 403
    assert scope.value in json_of(refused)["detail"]
    allowed = client.get(url, **bearer(token_with(scope)))
    assert allowed.status_code == 200


def test_importing_a_cohort_needs_cohort_write(client: Client) -> None:
    round_ = CaseFactory().round
    url = f"/api/v1/rounds/{round_.pk}/cohort/"
    reader = token_with(*(ALL_SCOPES - {Scope.COHORT_WRITE}))
    refused = client.post(url, {"rows": []}, content_type="application/json", **bearer(reader))
    assert refused.status_code == 403
    writer = token_with(Scope.COHORT_WRITE)
    checked = client.post(url, {"rows": []}, content_type="application/json", **bearer(writer))
    assert checked.status_code == 400  # let in, and the empty cohort refused


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ptk_not-a-real-token",
        "Bearer",
        "Bearer two words",
        "bearer ptk_not-a-real-token",
    ],
)
def test_wrong_tokens_are_401(client: Client, header: str) -> None:
    token_with(*ALL_SCOPES, name="real")
    response = client.get("/api/v1/cases/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert "detail" in json_of(response)


def test_an_inactive_clients_token_is_401(client: Client) -> None:
    token = token_with(*ALL_SCOPES, name="Synergy")
    assert client.get("/api/v1/cases/", **bearer(token)).status_code == 200
    api_client_deactivate(name="Synergy")
    response = client.get("/api/v1/cases/", **bearer(token))
    assert response.status_code == 401
    assert json_of(response)["detail"] == "Invalid or inactive token."


def test_lists_are_built_from_what_the_scopes_allow() -> None:
    """DRF applies no object permissions to lists: the querysets themselves are empty."""
    CaseFactory()
    assert not cases_visible(scopes=frozenset({Scope.OFFERS_READ})).exists()
    assert cases_visible(scopes=frozenset({Scope.CASES_READ})).exists()
    assert not preferences_visible(scopes=frozenset({Scope.CASES_READ})).exists()
    assert not rounds_visible(scopes=frozenset()).exists()
    assert rounds_visible(scopes=frozenset({Scope.COHORT_WRITE})).exists()
