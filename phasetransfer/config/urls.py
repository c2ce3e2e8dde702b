"""The root URLs: each stage (and app) owns its routes; the project wires them here."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from phasetransfer.api.base import NotFoundView


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico whatever the page says: send them to the service's own
    icon (not GOV.UK's crown, which is for GOV.UK only). Looked up per request, so the
    static manifest need not exist when the URLs load."""

    permanent = True

    def get_redirect_url(self, *args: object, **kwargs: object) -> str:
        return static("images/favicon.svg")


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
    path("", include("phasetransfer.delivery.urls")),
    path("api/", include(api_pages)),
    path("panels/", include("panels.urls")),
    path("", include("offers.urls")),
    # The second factor for staff, and the administrators' audit trail.
    path("", include("phasetransfer.security.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
]
