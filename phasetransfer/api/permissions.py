"""The one permission of the API: the caller holds the endpoint's scope."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from phasetransfer.api.scopes import Scope, scopes_of_user
from phasetransfer.models import ApiClient


def caller_scopes(request: Request) -> frozenset[Scope]:
    """A client's scopes, or the scopes a signed-in member of staff's roles carry."""
    if isinstance(request.auth, ApiClient):
        return frozenset(Scope(s) for s in request.auth.scopes if s in set(Scope))
    user = request.user
    if user is not None and user.is_authenticated:
        return scopes_of_user(user)
    return frozenset()


class HasScope(BasePermission):
    """The view's ``required_scopes`` (any one of them will do). Fails closed without any.

    Anonymous callers get 401 (DRF answers so when no authenticator succeeded); callers
    who are known but lack the scope (a family's session, a client without it) get 403.
    """

    message = "You do not have the scope this endpoint needs."

    def has_permission(self, request: Request, view: Any) -> bool:
        required: tuple[Scope, ...] = getattr(view, "required_scopes", ())
        granted = caller_scopes(request)
        if required and granted & set(required):
            return True
        self.message = "This endpoint needs the scope " + " or ".join(
            f"'{scope.value}'" for scope in required
        )
        return False
