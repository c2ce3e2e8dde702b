from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from phasetransfer.api.base import NotFoundView
from phasetransfer.forms import SignInForm
from phasetransfer.views import accounts, allocation, cohort, family, journey, public, staff

auth_pages = [
    path(
        "sign-in/",
        auth_views.LoginView.as_view(
            template_name="phasetransfer/sign_in.html",
            authentication_form=SignInForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(next_page="start"), name="logout"),
    path(
        "account/password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="phasetransfer/accounts/password_reset.html",
            email_template_name="emails/password_reset.txt",
            subject_template_name="emails/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "account/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            template_name="phasetransfer/accounts/password_reset_sent.html"
        ),
        name="password_reset_done",
    ),
    path(
        "account/password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="phasetransfer/accounts/password_reset_confirm.html"
        ),
        name="password_reset_confirm",
    ),
    path(
        "account/password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="phasetransfer/accounts/password_reset_done.html"
        ),
        name="password_reset_complete",
    ),
    path("account/create/", accounts.register, name="account-create"),
    path("account/check-email/", accounts.check_email, name="account-check-email"),
    path("account/confirm/<str:token>/", accounts.confirm, name="account-confirm"),
    path("account/link-child/", accounts.link_child, name="account-link"),
]

family_pages = [
    path("family/", family.home, name="family-home"),
    path("family/<str:reference>/", journey.case_overview, name="journey-case"),
    path("family/<str:reference>/details/", journey.details, name="journey-details"),
    path(
        "family/<str:reference>/details/change/",
        journey.details_change,
        name="journey-details-change",
    ),
    path("family/<str:reference>/nearest/", journey.nearest, name="journey-nearest"),
    path(
        "family/<str:reference>/preferences/", journey.preference_list, name="journey-preferences"
    ),
    path(
        "family/<str:reference>/preferences/search/",
        journey.preference_search,
        name="journey-search",
    ),
    path(
        "family/<str:reference>/preferences/other/", journey.preference_other, name="journey-other"
    ),
    path(
        "family/<str:reference>/preferences/<int:rank>/reasons/",
        journey.preference_reasons,
        name="journey-reasons",
    ),
    path(
        "family/<str:reference>/preferences/<int:rank>/remove/",
        journey.preference_remove,
        name="journey-remove",
    ),
    path(
        "family/<str:reference>/preferences/<int:rank>/move/",
        journey.preference_move,
        name="journey-move",
    ),
    path("family/<str:reference>/check/", journey.check_answers, name="journey-check"),
    path("family/<str:reference>/confirmation/", journey.confirmation, name="journey-confirmation"),
]

staff_pages = [
    path("staff/rounds/", staff.rounds, name="staff-rounds"),
    path("staff/rounds/<int:round_id>/cohort/", cohort.cohort_view, name="staff-cohort"),
    path(
        "staff/rounds/<int:round_id>/invitations/",
        cohort.send_invitations,
        name="staff-send-invitations",
    ),
    path("staff/rounds/<int:round_id>/letters/", cohort.print_letters, name="staff-print-letters"),
    path(
        "staff/rounds/<int:round_id>/reminders/", cohort.send_reminders, name="staff-send-reminders"
    ),
    path("staff/rounds/<int:round_id>/allocation/", allocation.overview, name="staff-allocation"),
    path(
        "staff/rounds/<int:round_id>/allocation/run/", allocation.run, name="staff-allocation-start"
    ),
    path("staff/allocation-runs/<int:run_id>/", allocation.run_detail, name="staff-allocation-run"),
    path("staff/cases/<str:reference>/", cohort.case_view, name="staff-case"),
    path(
        "staff/cases/<str:reference>/preferences/",
        cohort.enter_on_behalf,
        name="staff-on-behalf",
    ),
]

# The REST API: each app owns its endpoints; the project wires them (so may import them all).
api_pages = [
    path("v1/", include("phasetransfer.api.urls")),
    path("v1/", include("panels.api")),
    path("v1/", include("offers.api")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script as a file, not inline, so a strict CSP allows it.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"", NotFoundView.as_view()),  # anything else under /api/ is a JSON 404
]

urlpatterns = [
    path("", public.start, name="start"),
    path("home/", public.home, name="home"),
    *auth_pages,
    *family_pages,
    *staff_pages,
    path("staff/", include("phasetransfer.coordination.urls")),
    path("", include("phasetransfer.urls_consultations")),
    path("api/", include(api_pages)),
    path("panels/", include("panels.urls")),
    path("", include("offers.urls")),
    # Security (issue 9): the second factor for staff, and the administrators' audit trail.
    path("", include("phasetransfer.security.urls")),
    path("admin/", admin.site.urls),
]
