"""Routes of allocation: the round's policy and runs, and one run's proposals."""

from django.urls import URLPattern, path

from phasetransfer.allocation import views

urlpatterns: list[URLPattern] = [
    path("staff/rounds/<int:round_id>/allocation/", views.overview, name="staff-allocation"),
    path("staff/rounds/<int:round_id>/allocation/run/", views.run, name="staff-allocation-start"),
    path("staff/allocation-runs/<int:run_id>/", views.run_detail, name="staff-allocation-run"),
]
