from django.urls import path

from offers import views

urlpatterns = [
    path("staff/rounds/<int:round_id>/offer-day/", views.officer_page, name="offers-officer"),
    path("staff/rounds/<int:round_id>/offer-day/rehearse/", views.rehearse, name="offers-rehearse"),
    path(
        "staff/rounds/<int:round_id>/offer-day/emails/<int:email_id>/retry/",
        views.retry,
        name="offers-retry",
    ),
    path("family/<str:reference>/outcome/", views.outcome, name="offers-outcome"),
    path("family/<str:reference>/outcome/letter.pdf", views.letter_pdf, name="offers-letter"),
]
