"""Routes of the cohort: its engagement, invitations, printed letters and reminders."""

from django.urls import URLPattern, path

from phasetransfer.cohort import views

urlpatterns: list[URLPattern] = [
    path("staff/rounds/<int:round_id>/cohort/", views.cohort_view, name="staff-cohort"),
    path(
        "staff/rounds/<int:round_id>/invitations/",
        views.send_invitations,
        name="staff-send-invitations",
    ),
    path("staff/rounds/<int:round_id>/letters/", views.print_letters, name="staff-print-letters"),
    path(
        "staff/rounds/<int:round_id>/reminders/", views.send_reminders, name="staff-send-reminders"
    ),
]
