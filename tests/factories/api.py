"""Integration clients of the REST API, made through the service as an administrator would."""

from __future__ import annotations

from phasetransfer.api.scopes import Scope
from phasetransfer.api.services import api_client_create


def token_with(*scopes: Scope, name: str | None = None) -> str:
    """The bearer token of a new integration client holding ``scopes``."""
    label = name or "client " + ",".join(sorted(s.value for s in scopes))
    return api_client_create(name=label, scopes=scopes)[1]
