"""The second factor and the idle limit for staff sessions, for every page at once.

``role_required`` checks the second factor too, but pages outside it (the Django admin,
the API with a browser session, ``/home/``) must not be reachable with a password alone,
so the rule is also applied here, before any view runs.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from phasetransfer.core import clock
from phasetransfer.core.access import is_verified, requires_two_factor
from phasetransfer.security.two_factor import two_factor_url

# When a staff session was last used (seconds since the epoch), to end it after
# STAFF_SESSION_IDLE_SECONDS without a request.
LAST_SEEN_KEY = "staff_last_seen"
# Writing the session on every request would cost an UPDATE each time; once a minute is
# precise enough for a 30-minute limit.
TOUCH_EVERY_SECONDS = 60


def _exempt_paths() -> tuple[str, ...]:
    """Paths an account still owing its second factor may open."""
    return (
        reverse("two-factor-setup"),
        reverse("two-factor-email"),
        reverse("two-factor-verify"),
        reverse("logout"),
        reverse("login"),
        settings.STATIC_URL,
    )


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._exempt: tuple[str, ...] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and requires_two_factor(user):
            if (expired := self._idle_expired(request)) is not None:
                return expired
            if not is_verified(user):
                return self._unverified(request) or self.get_response(request)
        return self.get_response(request)

    def _idle_expired(self, request: HttpRequest) -> HttpResponse | None:
        """Sign an idle staff session out; otherwise note that it is in use (sliding)."""
        now = int(clock.now().timestamp())
        seen = request.session.get(LAST_SEEN_KEY)
        if isinstance(seen, int) and now - seen > settings.STAFF_SESSION_IDLE_SECONDS:
            logout(request)  # flushes the session and its key
            return redirect_to_login(request.get_full_path())
        if not isinstance(seen, int) or now - seen >= TOUCH_EVERY_SECONDS:
            if seen is None:
                # Staff sessions also end when the browser closes.
                request.session.set_expiry(0)
            request.session[LAST_SEEN_KEY] = now
        return None

    def _unverified(self, request: HttpRequest) -> HttpResponse | None:
        if self._exempt is None:
            self._exempt = _exempt_paths()
        if request.path_info.startswith(self._exempt):
            return None
        if request.path_info.startswith("/api/"):
            # DRF's session authentication reads this: a password alone is no session for
            # the API, so the caller is anonymous (401) unless it sends a client's token.
            request.user = AnonymousUser()
            return None
        return redirect(two_factor_url(request))
