"""Panel pages, mounted at /panels/ by phasetransfer.config.urls."""

from django.urls import URLPattern, path

from panels.views import decisions, pack, staff

urlpatterns: list[URLPattern] = [
    path("", pack.home, name="panel-home"),
    path("rounds/<int:round_id>/", staff.round_panels, name="panels-round"),
    path("rounds/<int:round_id>/settings/", staff.round_settings, name="panels-settings"),
    path("rounds/<int:round_id>/schedule/", staff.schedule, name="panels-schedule"),
    path("rounds/<int:round_id>/import/", staff.calendar_upload, name="panels-import"),
    path("rounds/<int:round_id>/sessions/new/", staff.session_new, name="panels-session-new"),
    path("sessions/<int:session_id>/", staff.session_detail, name="panels-session"),
    path("sessions/<int:session_id>/edit/", staff.session_edit, name="panels-session-edit"),
    path("sessions/<int:session_id>/members/", staff.member_add, name="panels-member-add"),
    path(
        "sessions/<int:session_id>/members/<int:member_id>/remove/",
        staff.member_delete,
        name="panels-member-remove",
    ),
    path("sessions/<int:session_id>/pack/", pack.pack, name="panels-pack"),
    path("sessions/<int:session_id>/pack.pdf", pack.pack_pdf, name="panels-pack-pdf"),
    path(
        "sessions/<int:session_id>/pack/cases/<int:case_id>/",
        pack.pack_case,
        name="panels-pack-case",
    ),
    path("sessions/<int:session_id>/minutes.csv", pack.minutes_as_csv, name="panels-minutes-csv"),
    path("sessions/<int:session_id>/minutes.pdf", pack.minutes_as_pdf, name="panels-minutes-pdf"),
    path(
        "sessions/<int:session_id>/cases/<int:case_id>/decision/",
        decisions.decide,
        name="panels-decide",
    ),
    path("sessions/<int:session_id>/sign-off/", decisions.sign_off, name="panels-sign-off"),
    path("decisions/<int:decision_id>/change/", decisions.change, name="panels-decision-change"),
]
