"""URLs for consultations: school contacts under /school/, LA staff under /staff/."""

from django.urls import URLPattern, path

from phasetransfer.consultations.views import school
from phasetransfer.consultations.views import staff as consultations

urlpatterns: list[URLPattern] = [
    path("school/", school.home, name="school-home"),
    path(
        "school/consultations/<int:consultation_id>/",
        school.consultation,
        name="school-consultation",
    ),
    path(
        "staff/rounds/<int:round_id>/consultations/",
        consultations.round_consultations,
        name="staff-consultations-round",
    ),
    path(
        "staff/rounds/<int:round_id>/consultations/send/",
        consultations.round_send,
        name="staff-consultations-send",
    ),
    path(
        "staff/rounds/<int:round_id>/consultations/waiting/",
        consultations.round_waiting,
        name="staff-consultations-waiting",
    ),
    path(
        "staff/rounds/<int:round_id>/consultations/send-selected/",
        consultations.round_send_selected,
        name="staff-consultations-send-selected",
    ),
    path(
        "staff/rounds/<int:round_id>/consultations/overdue/",
        consultations.round_overdue,
        name="staff-consultations-overdue",
    ),
    path(
        "staff/rounds/<int:round_id>/consultations/chase/",
        consultations.round_chase,
        name="staff-consultations-chase",
    ),
    path(
        "staff/cases/<str:reference>/consultations/",
        consultations.case_consultations,
        name="staff-consultations-case",
    ),
    path(
        "staff/cases/<str:reference>/consultations/add/",
        consultations.add,
        name="staff-consultations-add",
    ),
    path(
        "staff/consultations/<int:consultation_id>/respond/",
        consultations.respond,
        name="staff-consultations-respond",
    ),
    path(
        "staff/consultations/<int:consultation_id>/withdraw/",
        consultations.withdraw,
        name="staff-consultations-withdraw",
    ),
    path(
        "staff/consultations/<int:consultation_id>/resend/",
        consultations.resend,
        name="staff-consultations-resend",
    ),
]
