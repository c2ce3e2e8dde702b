from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from whitenoise.middleware import WhiteNoiseMiddleware


class PrivatePagesMiddleware:
    """No page of this service may be stored by a shared cache.

    Pages show children's data to the signed-in person only, so every response
    rendered by Django is marked private and no-store; static files are served
    earlier by WhiteNoise and keep their own long-lived caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control") or request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        patch_vary_headers(response, ["Cookie"])
        return response


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, plus GOV.UK Frontend's assets at /assets/, where its compiled CSS wants them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assets = settings.BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk" / "assets"
        if assets.exists():
            self.add_files(str(assets), prefix="assets/")
