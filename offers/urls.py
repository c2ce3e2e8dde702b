from django.urls import URLPattern, path

from offers.views import after, family, officer, results

urlpatterns: list[URLPattern] = [
    path("staff/rounds/<int:round_id>/offer-day/", officer.officer_page, name="offers-officer"),
    path(
        "staff/rounds/<int:round_id>/offer-day/moment/",
        officer.offer_day_save,
        name="offers-set-offer-day",
    ),
    path(
        "staff/rounds/<int:round_id>/offer-day/rehearse/", officer.rehearse, name="offers-rehearse"
    ),
    path(
        "staff/rounds/<int:round_id>/offer-day/rehearsals/<int:rehearsal_id>/",
        officer.rehearsal_page,
        name="offers-rehearsal",
    ),
    path(
        "staff/rounds/<int:round_id>/offer-day/emails/<int:email_id>/retry/",
        officer.retry,
        name="offers-retry",
    ),
    path(
        "staff/rounds/<int:round_id>/offer-day/emails/retry-all/",
        officer.retry_all,
        name="offers-retry-all",
    ),
    path(
        "staff/rounds/<int:round_id>/offer-day/print-batches/",
        officer.print_batch_new,
        name="offers-print-batch-new",
    ),
    path(
        "staff/rounds/<int:round_id>/offer-day/print-batches/<int:batch_id>.pdf",
        officer.print_batch_pdf,
        name="offers-print-batch-pdf",
    ),
    path(
        "staff/rounds/<int:round_id>/offer-day/print-batches/<int:batch_id>/posted/",
        officer.print_batch_mark_posted,
        name="offers-print-batch-posted",
    ),
    path("family/<str:reference>/outcome/", family.outcome, name="offers-outcome"),
    path("family/<str:reference>/outcome/letter.pdf", family.letter_pdf, name="offers-letter"),
    path(
        "family/<str:reference>/outcome/letters/<int:number>.pdf",
        family.letter_pdf,
        name="offers-letter-number",
    ),
    # After offer day: the work queue, mediation and appeals.
    path(
        "staff/rounds/<int:round_id>/after-offer-day/", after.work_queue, name="offers-after-queue"
    ),
    path("staff/cases/<str:reference>/after-offer-day/", after.case_page, name="offers-after-case"),
    path(
        "staff/cases/<str:reference>/after-offer-day/mediations/",
        after.mediation_new,
        name="offers-mediation-new",
    ),
    path(
        "staff/cases/<str:reference>/after-offer-day/mediations/<int:mediation_id>/meeting/",
        after.mediation_meeting_set,
        name="offers-mediation-meeting",
    ),
    path(
        "staff/cases/<str:reference>/after-offer-day/mediations/<int:mediation_id>/end/",
        after.mediation_end,
        name="offers-mediation-end",
    ),
    path(
        "staff/cases/<str:reference>/after-offer-day/mediations/<int:mediation_id>/certificate/",
        after.mediation_certificate_record,
        name="offers-mediation-certificate",
    ),
    path(
        "staff/cases/<str:reference>/after-offer-day/mediations/<int:mediation_id>/approve/",
        after.mediation_approve_change,
        name="offers-mediation-approve",
    ),
    path(
        "staff/cases/<str:reference>/after-offer-day/appeals/",
        after.appeal_new,
        name="offers-appeal-new",
    ),
    path(
        "staff/cases/<str:reference>/after-offer-day/appeals/<int:appeal_id>/dates/",
        after.appeal_dates,
        name="offers-appeal-dates",
    ),
    path(
        "staff/cases/<str:reference>/after-offer-day/appeals/<int:appeal_id>/outcome/",
        after.appeal_outcome,
        name="offers-appeal-outcome",
    ),
    path(
        "staff/cases/<str:reference>/after-offer-day/appeals/<int:appeal_id>/carry-out/",
        after.appeal_implement,
        name="offers-appeal-carry-out",
    ),
    path(
        "staff/cases/<str:reference>/after-offer-day/follow-ups/<int:follow_up_id>/done/",
        after.follow_up_mark_done,
        name="offers-follow-up-done",
    ),
    # Results day (post-16 conditional offers).
    path(
        "staff/rounds/<int:round_id>/results-day/",
        results.results_day_page,
        name="offers-results-day",
    ),
    path(
        "staff/rounds/<int:round_id>/results-day/import/",
        results.results_upload,
        name="offers-results-import",
    ),
    path(
        "staff/rounds/<int:round_id>/results-day/date/",
        results.results_day_save,
        name="offers-results-day-date",
    ),
    path("staff/rounds/<int:round_id>/results-day/settle/", results.settle, name="offers-settle"),
    path(
        "staff/rounds/<int:round_id>/results-day/offers/<int:decision_id>/confirm/",
        results.confirm_on_behalf,
        name="offers-confirm-on-behalf",
    ),
    path(
        "staff/rounds/<int:round_id>/results-day/demo-results.csv",
        results.demo_results,
        name="offers-demo-results",
    ),
    path("school/results-day/", results.provider_page, name="offers-results-provider"),
    path(
        "school/results-day/import/", results.provider_upload, name="offers-results-provider-import"
    ),
    path(
        "school/results-day/offers/<int:decision_id>/confirm/",
        results.provider_confirm_view,
        name="offers-results-provider-confirm",
    ),
]
