"""GET /api/v1/rounds/<id>/figures/: the round figures page's numbers, who may read them,
the call log, and a case's progress after offer day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client

from offers.models import Appeal
from phasetransfer.api.scopes import ALL_SCOPES, Scope
from phasetransfer.core.clock import LONDON
from phasetransfer.core.roles import Role
from phasetransfer.models import ApiCall, ApiClient, Round
from tests.api.conftest import PERSONAS, REFUSED, as_persona, bearer, json_of
from tests.coordination.builders import appeals_and_mediations, told
from tests.factories import CaseFactory, RoundFactory, UserFactory
from tests.factories.api import token_with

pytestmark = pytest.mark.django_db

SUMMER = dt.datetime(2027, 8, 1, 12, 0, tzinfo=LONDON)
READERS = [name for name in PERSONAS if name not in REFUSED]


@pytest.fixture
def summer() -> Iterator[None]:
    with time_machine.travel(SUMMER, tick=False):
        yield


@pytest.fixture
def round_(summer: None) -> Round:
    round_ = RoundFactory()
    appeals_and_mediations(round_)  # 8 cases told a setting, 5 appeals, 5 mediations
    told(round_, type_only=True)
    return round_


def _url(round_id: int) -> str:
    return f"/api/v1/rounds/{round_id}/figures/"


def test_the_figures_of_a_round(client: Client, round_: Round) -> None:
    response = client.get(_url(round_.pk), **bearer(token_with(*ALL_SCOPES)))
    assert response.status_code == 200
    body = json_of(response)
    assert body["round"] == round_.pk
    assert body["cohort"] == 9
    assert body["withdrawn"] == 1
    assert body["placed"] == {
        "count": 8,
        "share": pytest.approx(8 / 9),
        "remaining": 1,
        "by": "2027-09-01",
        "final": False,  # placed so far: the school year has not started
        "kent_share": pytest.approx(0.98),
    }
    assert body["answered_by_deadline"]["deadline"] == "2027-02-15"
    assert body["answered_by_deadline"]["kent_share"] == pytest.approx(0.92)
    appeals = body["appeals"]
    assert appeals["lodged"] == 5
    assert appeals["rate"] == pytest.approx(5 / 9)
    assert appeals["kent_rate"] == pytest.approx(120 / 1236)
    assert appeals["independent_requested"] == 2
    assert appeals["independent_share"] == pytest.approx(2 / 5)
    assert appeals["kent_independent_share"] == pytest.approx(47 / 120)
    assert appeals["outcomes"] == {
        "dismissed": 1,
        "conceded": 1,
        "upheld": 1,
        "withdrawn": 1,
        "pending": 1,
    }
    mediations = body["mediations"]
    assert mediations["total"] == 5
    assert (mediations["concluded"], mediations["open"]) == (3, 2)
    assert mediations["changed_decision"] == 1
    assert mediations["changed_share"] == pytest.approx(1 / 3)
    assert mediations["outcomes"] == {
        "agreed": 1,
        "awaiting": 1,
        "not_agreed": 1,
        "withdrawn": 1,
        "pending": 1,
    }
    assert set(body) >= {
        "as_at",
        "preferences_by_close",
        "preferences_met",
        "consultations_overdue",
        "appealed_state",
    }


def test_an_unknown_round_is_a_json_404(client: Client, summer: None) -> None:
    response = client.get(_url(999999), **bearer(token_with(*ALL_SCOPES)))
    assert response.status_code == 404
    assert "detail" in json_of(response)


def test_the_call_is_logged_with_the_round(client: Client, round_: Round) -> None:
    client.get(_url(round_.pk), **bearer(token_with(Scope.CASES_READ)))
    call = ApiCall.objects.get()
    assert (call.path, call.status) == (_url(round_.pk), 200)
    assert call.object_ids == {"rounds": [round_.pk]}


@pytest.mark.parametrize("scope", list(Scope))
def test_any_scope_reads_the_figures_as_it_reads_the_rounds(
    client: Client, summer: None, scope: Scope
) -> None:
    round_id = CaseFactory().round_id
    assert client.get(_url(round_id), **bearer(token_with(scope))).status_code == 200


def test_a_client_without_scopes_is_refused(client: Client, summer: None) -> None:
    round_id = CaseFactory().round_id
    token = token_with(Scope.OFFERS_READ, name="Withdrawn")
    ApiClient.objects.filter(name="Withdrawn").update(scopes=[])  # every scope taken back
    response = client.get(_url(round_id), **bearer(token))
    assert response.status_code == 403
    assert "detail" in json_of(response)


def test_anonymous_callers_are_asked_to_authenticate(client: Client, summer: None) -> None:
    response = client.get(_url(CaseFactory().round_id))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("persona", REFUSED)
def test_families_schools_and_panel_members_are_refused(
    client: Client, summer: None, persona: str
) -> None:
    response = as_persona(client, persona).get(_url(CaseFactory().round_id))
    assert response.status_code == 403


@pytest.mark.parametrize("persona", READERS)
def test_staff_sessions_read_the_figures(client: Client, summer: None, persona: str) -> None:
    response = as_persona(client, persona).get(_url(CaseFactory().round_id))
    assert response.status_code == 200
    assert json_of(response)["cohort"] == 1


def test_the_schema_describes_the_endpoint(client: Client) -> None:
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/rounds/{round_id}/figures/"]["get"]
    assert set(operation["responses"]) >= {"200", "401", "403", "404"}
    stages = schema["components"]["schemas"]["StageEnum"]["enum"]
    assert {"open_mediation", "open_appeal", "order"} <= set(stages)


def test_a_cases_progress_shows_its_stage_after_offer_day(client: Client, round_: Round) -> None:
    case = told(round_)
    Appeal.objects.create(
        case=case,
        tribunal_reference="EH886/27/09999",
        lodged_on=dt.date(2027, 6, 1),
        response_due_on=dt.date(2027, 8, 6),  # 5 days after SUMMER: the council must answer
        recorded_by=UserFactory(roles=[Role.CASEWORKER]),
    )
    response = client.get(f"/api/v1/cases/{case.reference}/", **bearer(token_with(*ALL_SCOPES)))
    progress = json_of(response)["progress"]
    assert progress["stage"] == "open_appeal"
    assert progress["next_milestone"] == "response"
    assert progress["status"] == "due_soon"
    assert progress["at_risk_this_week"] is True
