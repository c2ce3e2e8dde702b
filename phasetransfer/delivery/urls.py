"""Notify's callback (machine to machine) and the staff list of undelivered messages."""

from django.urls import URLPattern, path

from phasetransfer.delivery import views

urlpatterns: list[URLPattern] = [
    path("notify/delivery-status/", views.notify_callback, name="notify-callback"),
    path(
        "staff/rounds/<int:round_id>/undelivered/",
        views.round_undelivered,
        name="delivery-undelivered",
    ),
]
