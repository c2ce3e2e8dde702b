"""Who may open which page. Views declare it; selectors filter the rows."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from phasetransfer.roles import Role, has_role
from phasetransfer.security.two_factor import two_factor_pending, two_factor_url

View = TypeVar("View", bound=Callable[..., HttpResponse])


def role_required(*roles: Role) -> Callable[[View], View]:
    """Signed-in users holding one of ``roles``; others are sent to sign in or refused (403).

    Accounts that need a second factor (docs/security.md) are sent to give it first: the
    middleware does so for every page, and this gate does too, so a view is never
    reachable with a password alone even if the middleware is left out.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if two_factor_pending(request):
                return redirect(two_factor_url(request))
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_roles = roles  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator
