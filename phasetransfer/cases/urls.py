"""Routes of cases: the staff's list of rounds, and one case's page."""

from django.urls import URLPattern, path

from phasetransfer.cases import views

urlpatterns: list[URLPattern] = [
    path("staff/rounds/", views.rounds, name="staff-rounds"),
    path("staff/cases/<str:reference>/", views.case_view, name="staff-case"),
]
