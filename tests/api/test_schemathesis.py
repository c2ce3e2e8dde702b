"""Schemathesis against the live OpenAPI schema: no server errors, responses as documented.

The schema is fetched from /api/schema/ through the WSGI application, and every operation
is called in-process with a token holding every scope, on a small round with a case at
each stage. Examples are bounded and derandomised, so the run is quick and repeatable
(part of ``make test``). Positive cases (valid by the schema) must be answered as
documented; negative ones (invalid by the schema) must never be a server error.

Schemathesis's lazy pytest loader does not run under pytest 9 (it sets a node attribute
pytest removed), so this drives schemathesis's Python API with Hypothesis directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from phasetransfer.api.scopes import ALL_SCOPES
from phasetransfer.config.wsgi import application
from tests.factories.api import token_with
from tests.factories.worlds import world_for_api

MAX_EXAMPLES = 20
POSITIVE_CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
NEGATIVE_CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """Django closes the database connection when a WSGI request ends, which would close the
    test's transaction; Django's own test client disconnects the same two handlers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db: None, keep_connection: None) -> Any:
    return schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def token(db: None) -> str:
    return token_with(*ALL_SCOPES, name="schemathesis")


def _fuzz(
    operation: Any, mode: Any, checks: list[Any], token: str, path_parameters: dict[str, Any]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    cases = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters or None)

    @given(case=cases)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=checks)

    run()


@pytest.mark.parametrize(
    ("mode", "checks"),
    [
        (schemathesis.GenerationMode.POSITIVE, POSITIVE_CHECKS),
        (schemathesis.GenerationMode.NEGATIVE, NEGATIVE_CHECKS),
    ],
    ids=["positive", "negative"],
)
def test_the_api_matches_its_schema(
    api_schema: Any, token: str, mode: Any, checks: list[Any]
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {f"{op.method.upper()} {op.path}" for op in operations} >= {
        "GET /api/v1/cases/",
        "GET /api/v1/cases/{reference}/",
        "GET /api/v1/preferences/",
        "GET /api/v1/decisions/",
        "GET /api/v1/offers/",
        "GET /api/v1/rounds/",
        "POST /api/v1/rounds/{round_id}/cohort/",
    }
    world = world_for_api()
    # Path parameters that exist, so the operations are exercised beyond "not found"
    # (random ids and references are tried too: the world's ids come first in a search).
    real = {"round_id": world.round.pk, "reference": world.released.reference}
    for operation in operations:
        _fuzz(operation, mode, checks, token, {})
        known = {name: value for name, value in real.items() if f"{{{name}}}" in operation.path}
        if known:
            _fuzz(operation, mode, checks, token, known)
