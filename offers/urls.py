from django.urls import URLPattern, path

from offers import views

urlpatterns: list[URLPattern] = [
    path("staff/rounds/<int:round_id>/offer-day/", views.officer_page, name="offers-officer"),
    path(
        "staff/rounds/<int:round_id>/offer-day/moment/",
        views.offer_day_save,
        name="offers-set-offer-day",
    ),
    path("staff/rounds/<int:round_id>/offer-day/rehearse/", views.rehearse, name="offers-rehearse"),
    path(
        "staff/rounds/<int:round_id>/offer-day/rehearsals/<int:rehearsal_id>/",
        views.rehearsal_page,
        name="offers-rehearsal",
    ),
    path(
        "staff/rounds/<int:round_id>/offer-day/emails/<int:email_id>/retry/",
        views.retry,
        name="offers-retry",
    ),
    path(
        "staff/rounds/<int:round_id>/offer-day/emails/retry-all/",
        views.retry_all,
        name="offers-retry-all",
    ),
    path(
        "staff/rounds/<int:round_id>/offer-day/print-batches/",
        views.print_batch_new,
        name="offers-print-batch-new",
    ),
    path(
        "staff/rounds/<int:round_id>/offer-day/print-batches/<int:batch_id>.pdf",
        views.print_batch_pdf,
        name="offers-print-batch-pdf",
    ),
    path(
        "staff/rounds/<int:round_id>/offer-day/print-batches/<int:batch_id>/posted/",
        views.print_batch_mark_posted,
        name="offers-print-batch-posted",
    ),
    path("family/<str:reference>/outcome/", views.outcome, name="offers-outcome"),
    path("family/<str:reference>/outcome/letter.pdf", views.letter_pdf, name="offers-letter"),
    path(
        "family/<str:reference>/outcome/letters/<int:number>.pdf",
        views.letter_pdf,
        name="offers-letter-number",
    ),
]
