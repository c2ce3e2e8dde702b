"""Who may open which page, and who must give a second factor. Views declare it;
selectors filter the rows.

Everyone whose account can reach more than their own family's data signs in with a
password and a TOTP code: LA staff (caseworkers, panel chairs, co-ordinators,
administrators), panel members (packs of many children) and school contacts
(consultations of many children). Parents, carers and young people use a password only:
they see one child, and a second factor would shut out families without a smartphone.
How the second factor is set up and checked is ``phasetransfer.security``'s business.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, cast
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from phasetransfer.core.roles import FAMILY_ROLES, Role, has_role, roles_of
from phasetransfer.models import User

P = ParamSpec("P")


class AuthenticatedRequest(HttpRequest):
    """The request a ``role_required`` view receives: its user is signed in, a ``User``.

    Only an annotation (django-stubs' documented pattern): views behind the gate take
    ``request: AuthenticatedRequest`` so ``request.user`` is typed without casts.
    """

    user: User


def requires_two_factor(user: Any) -> bool:
    """True for any signed-in account that can see more than one family's data."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return bool(roles_of(user) - FAMILY_ROLES)


def is_verified(user: Any) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def two_factor_pending(request: HttpRequest) -> bool:
    """Signed in with a password, but the second factor this account needs is not given."""
    return requires_two_factor(request.user) and not is_verified(request.user)


def role_required(
    *roles: Role,
) -> Callable[
    [Callable[Concatenate[AuthenticatedRequest, P], HttpResponseBase]],
    Callable[Concatenate[HttpRequest, P], HttpResponseBase],
]:
    """Signed-in users holding one of ``roles``; others are sent to sign in or refused (403).

    Accounts that need a second factor (docs/security.md) are sent to give it first: the
    middleware does so for every page, and this gate does too, so a view is never
    reachable with a password alone even if the middleware is left out.
    """

    def decorator(
        view: Callable[Concatenate[AuthenticatedRequest, P], HttpResponseBase],
    ) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if two_factor_pending(request):
                # The code page sends an account with no authenticator yet to set one up.
                next_query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('two-factor-verify')}?{next_query}")
            if not has_role(request.user, *roles):
                raise PermissionDenied
            # Signed in, so the user is a User: the request is what the view is typed for.
            return view(cast(AuthenticatedRequest, request), *args, **kwargs)

        return wrapper

    return decorator
