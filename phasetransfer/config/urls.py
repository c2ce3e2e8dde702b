"""The root URLs: each stage (and app) owns its routes; the project wires them here."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from phasetransfer.api.base import NotFoundView

# The REST API: each app owns its endpoints.
api_pages: list[URLPattern | URLResolver] = [
    path("v1/", include("phasetransfer.api.urls")),
    path("v1/", include("panels.api")),
    path("v1/", include("offers.api")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script as a file, not inline, so a strict CSP allows it.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"", NotFoundView.as_view()),  # anything else under /api/ is a JSON 404
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("phasetransfer.accounts.urls")),
    path("", include("phasetransfer.preferences.urls")),
    path("", include("phasetransfer.cases.urls")),
    path("", include("phasetransfer.cohort.urls")),
    path("", include("phasetransfer.allocation.urls")),
    path("staff/", include("phasetransfer.coordination.urls")),
    path("", include("phasetransfer.consultations.urls")),
    path("api/", include(api_pages)),
    path("panels/", include("panels.urls")),
    path("", include("offers.urls")),
    # The second factor for staff, and the administrators' audit trail.
    path("", include("phasetransfer.security.urls")),
    path("admin/", admin.site.urls),
]
