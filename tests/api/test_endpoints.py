"""What the endpoints return: filters, pagination, progress, offers before and after offer day,
JSON errors, and the call log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from panels.models import Decision, Outcome
from phasetransfer.api.scopes import ALL_SCOPES
from phasetransfer.core.clock import LONDON
from phasetransfer.models import ApiCall, ApiClient, AuditEvent
from tests.api.conftest import bearer, json_of
from tests.factories.api import token_with
from tests.factories.panels import chair, session_for
from tests.factories.worlds import ApiWorld, world_for_api
from tests.moments import AFTER_OFFER_DAY

pytestmark = pytest.mark.django_db
# Weeks before offer day, and more than a week before the world's at-panel case is heard
# (DECIDING_PANEL_SITS, 20 January): no outcome is visible and that panel is on track.
BEFORE_OFFER_DAY = dt.datetime(2027, 1, 5, 12, 0, tzinfo=LONDON)


@pytest.fixture
def world() -> ApiWorld:
    return world_for_api()


@pytest.fixture
def auth(db: None) -> dict[str, str]:
    return bearer(token_with(*ALL_SCOPES, name="Capita One"))


@pytest.fixture
def before_offer_day() -> Iterator[None]:
    with time_machine.travel(BEFORE_OFFER_DAY, tick=False):
        yield


def _refs_of(body: dict[str, Any]) -> list[str]:
    return [item["reference"] for item in body["results"]]


def _refs(response: object) -> list[str]:
    return _refs_of(json_of(response))


def test_cases_list_with_filters(
    client: Client, world: ApiWorld, auth: dict[str, str], before_offer_day: None
) -> None:
    every = _refs(client.get("/api/v1/cases/", **auth))
    assert len(every) == 6
    west = _refs(client.get("/api/v1/cases/?area=West", **auth))
    assert world.consulting.reference in west
    assert world.identified.reference not in west
    consulting = _refs(client.get("/api/v1/cases/?state=consulting", **auth))
    assert consulting == [world.consulting.reference]
    district = _refs(client.get("/api/v1/cases/?district=ME15", **auth))
    assert district == [world.identified.reference]
    assert _refs(client.get(f"/api/v1/cases/?round={world.round.pk + 1}", **auth)) == []
    assert _refs(client.get("/api/v1/cases/?district=&state=", **auth)) == every  # blank: no filter


def test_cases_changed_since(client: Client, world: ApiWorld, auth: dict[str, str]) -> None:
    later = dt.datetime(2027, 1, 10, 9, tzinfo=LONDON)
    AuditEvent.objects.create(
        case=world.at_panel, at=later, actor_label="system", action="case.reassigned"
    )
    AuditEvent.objects.filter(at__gte=later).exclude(case=world.at_panel).delete()
    with time_machine.travel(later + dt.timedelta(days=1), tick=False):
        since = client.get("/api/v1/cases/?updated_since=2027-01-10T09:00:00Z", **auth)
        assert _refs(since) == [world.at_panel.reference]
        bad = client.get("/api/v1/cases/?updated_since=yesterday", **auth)
    assert bad.status_code == 400
    assert "updated_since" in json_of(bad)


def test_a_case_shows_its_progress(
    client: Client, world: ApiWorld, auth: dict[str, str], before_offer_day: None
) -> None:
    body = json_of(client.get(f"/api/v1/cases/{world.at_panel.reference}/", **auth))
    assert body["reference"] == world.at_panel.reference
    assert body["state"] == "at_panel"
    assert body["child"]["ehcp_reference"] == world.at_panel.child.ehcp_reference
    assert body["progress"]["stage"] == "at_panel"
    assert body["progress"]["next_milestone"] == "panel"
    assert body["progress"]["status"] == "on_track"
    assert body["progress"]["at_risk_this_week"] is False
    assert ApiCall.objects.get().object_ids == {"cases": [world.at_panel.pk]}


def test_pagination(client: Client, world: ApiWorld, auth: dict[str, str]) -> None:
    first = json_of(client.get("/api/v1/cases/?page_size=4", **auth))
    assert first["count"] == 6
    assert len(first["results"]) == 4
    assert "page=2" in first["next"]
    last = json_of(client.get("/api/v1/cases/?page_size=4&page=2", **auth))
    assert len(last["results"]) == 2
    assert last["next"] is None
    assert _refs_of(first) + _refs_of(last) == _refs_of(
        json_of(client.get("/api/v1/cases/", **auth))
    )
    beyond = client.get("/api/v1/cases/?page_size=4&page=3", **auth)
    assert beyond.status_code == 404
    assert "detail" in json_of(beyond)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/cases/NO-SUCH/", 404),
        ("/api/v1/cases/not a reference/", 404),
        ("/api/v1/nothing-here/", 404),
        ("/api/", 404),
        ("/api/v1/cases/?state=lost", 400),
        ("/api/v1/cases/?round=abc", 400),
        ("/api/v1/decisions/?current=maybe", 400),
        ("/api/v1/offers/?updated_since=0001-01-01T00:00:00%2B14:00", 400),
    ],
)
def test_errors_are_json(client: Client, auth: dict[str, str], url: str, status: int) -> None:
    response = client.get(url, **auth)
    assert response.status_code == status
    json_of(response)


def test_unsupported_method_and_body_are_json(client: Client, auth: dict[str, str]) -> None:
    assert client.delete("/api/v1/cases/", **auth).status_code == 405
    round_ = world_for_api().round
    response = client.post(
        f"/api/v1/rounds/{round_.pk}/cohort/", "x", content_type="text/plain", **auth
    )
    assert response.status_code == 415
    json_of(response)


def test_preferences_list(client: Client, world: ApiWorld, auth: dict[str, str]) -> None:
    body = json_of(client.get(f"/api/v1/preferences/?round={world.round.pk}", **auth))
    by_case = {item["case"]: item for item in body["results"]}
    assert set(by_case) == {
        world.at_panel.reference,
        world.approved.reference,
        world.released.reference,
        world.appealed.reference,
    }
    item = by_case[world.at_panel.reference]
    assert item["rank"] == 1
    assert item["setting_urn"] == world.at_panel.preferences.get().setting.urn


def test_decisions_list_current_and_superseded(
    client: Client, world: ApiWorld, auth: dict[str, str]
) -> None:
    old = Decision.objects.get(case=world.approved)
    new = Decision.objects.create(
        case=world.approved,
        session=session_for(world.round),
        outcome=Outcome.AGREE,
        setting=old.setting,
        decided_by=chair(),
        decided_at=old.decided_at + dt.timedelta(days=1),
        supersedes=old,
        change_reason="Corrected",
    )
    every = json_of(client.get("/api/v1/decisions/", **auth))["results"]
    assert {d["id"] for d in every} == set(Decision.objects.values_list("pk", flat=True))
    current = json_of(client.get("/api/v1/decisions/?current=true", **auth))["results"]
    assert old.pk not in {d["id"] for d in current}
    superseded = json_of(client.get("/api/v1/decisions/?current=false", **auth))["results"]
    assert [(d["id"], d["is_current"]) for d in superseded] == [(old.pk, False)]
    mine = json_of(client.get("/api/v1/decisions/?state=offer_approved&current=true", **auth))
    assert [d["id"] for d in mine["results"]] == [new.pk]
    assert mine["results"][0]["supersedes"] == old.pk


def test_offers_show_nothing_of_the_outcome_before_offer_day(
    client: Client, world: ApiWorld, auth: dict[str, str]
) -> None:
    with time_machine.travel(BEFORE_OFFER_DAY, tick=False):
        body = json_of(client.get("/api/v1/offers/", **auth))
    assert body["count"] == 6
    for item in body["results"]:
        assert item["outcome_visible"] is False
        assert item["released_at"] is None
        assert item["offer"] is None
        assert item["letter"] is None
        assert item["family_response"] is None


def test_offers_after_offer_day(client: Client, world: ApiWorld, auth: dict[str, str]) -> None:
    with time_machine.travel(AFTER_OFFER_DAY, tick=False):
        response = client.get("/api/v1/offers/", **auth)
    by_case = {item["case"]: item for item in json_of(response)["results"]}
    released = by_case[world.released.reference]
    decision = Decision.objects.get(case=world.released)
    assert released["outcome_visible"] is True
    assert released["offer"]["kind"] == "offer"
    assert released["offer"]["setting_urn"] == decision.setting.urn
    assert released["letter"]["kind"] == "offer"
    assert len(released["letter"]["sha256"]) == 64
    assert released["family_response"]["answer"] == "accept"
    assert by_case[world.appealed.reference]["family_response"]["answer"] == "appeal"
    # Nothing of the letter's content, nor the family's own words, ever leaves.
    text = response.content.decode()
    assert "<p>letter</p>" not in text
    assert "PDF" not in text
    assert "Personal words" not in text
    # Not released: nothing to show even after offer day.
    assert by_case[world.identified.reference]["offer"] is None
    assert by_case[world.identified.reference]["outcome_visible"] is True


def test_every_call_is_logged_without_personal_data(
    client: Client, world: ApiWorld, auth: dict[str, str]
) -> None:
    client.get("/api/v1/cases/?district=ME15&page_size=2", **auth)
    client.get("/api/v1/cases/", HTTP_AUTHORIZATION="Bearer wrong")
    client.get("/api/v1/nothing/", **auth)
    listed, refused, missing = ApiCall.objects.order_by("at", "pk")
    capita = ApiClient.objects.get(name="Capita One")
    assert (listed.client, listed.user, listed.method, listed.status) == (capita, None, "GET", 200)
    assert listed.path == "/api/v1/cases/"  # no query string: filters can be personal
    assert listed.object_ids == {"cases": [world.identified.pk]}
    assert (refused.client, refused.status) == (None, 401)
    assert (missing.path, missing.status) == ("/api/v1/nothing/", 404)
    capita.refresh_from_db()
    assert capita.last_used_at is not None


def test_the_schema_and_its_docs_are_served(client: Client) -> None:
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/rounds/{round_id}/cohort/" in paths
    assert "bearerToken" in schema.json()["components"]["securitySchemes"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn." not in html  # Swagger UI is served from this site
    assert "/static/drf_spectacular_sidecar/" in html
