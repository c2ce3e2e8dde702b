"""Bearer-token authentication for integration clients."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from phasetransfer.api.services import api_client_for_token
from phasetransfer.models import ApiClient


class ApiClientAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``. The request's user stays anonymous; ``request.auth``
    is the :class:`ApiClient`, whose scopes the permission class checks.

    A client is not a person, so it never becomes ``request.user``: nothing written on
    its behalf can be mistaken for a member of staff's act.
    """

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiClient] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Give the token as 'Authorization: Bearer <token>'.")
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid or inactive token.") from None
        client = api_client_for_token(token)
        if client is None:
            raise AuthenticationFailed("Invalid or inactive token.")
        return AnonymousUser(), client

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiClientAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "phasetransfer.api.authentication.ApiClientAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An integration client's token (manage.py create_api_client).",
        }
