"""The core's API routes (under /api/v1/ from phasetransfer.config.urls)."""

from django.urls import URLPattern, path, re_path

from phasetransfer.api import views

urlpatterns: list[URLPattern] = [
    path("rounds/", views.RoundList.as_view(), name="api-rounds"),
    path("rounds/<int:round_id>/cohort/", views.CohortImport.as_view(), name="api-cohort-import"),
    path("rounds/<int:round_id>/figures/", views.RoundFigures.as_view(), name="api-round-figures"),
    path("cases/", views.CaseList.as_view(), name="api-cases"),
    # Case references are letters, digits and hyphens; anything else is a JSON 404.
    re_path(
        r"^cases/(?P<reference>[A-Za-z0-9-]{1,20})/$",
        views.CaseDetail.as_view(),
        name="api-case",
    ),
    path("preferences/", views.PreferenceList.as_view(), name="api-preferences"),
]
