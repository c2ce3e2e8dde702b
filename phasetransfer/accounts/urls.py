"""Routes of accounts: the start page, signing in and out, family accounts, password reset."""

from django.contrib.auth import views as auth_views
from django.urls import URLPattern, path

from phasetransfer.accounts import views
from phasetransfer.accounts.forms import SignInForm

urlpatterns: list[URLPattern] = [
    path("", views.start, name="start"),
    path("home/", views.home, name="home"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(
            template_name="phasetransfer/accounts/sign_in.html",
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
            email_template_name="phasetransfer/accounts/emails/password_reset.txt",
            subject_template_name="phasetransfer/accounts/emails/password_reset_subject.txt",
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
    path("account/create/", views.register, name="account-create"),
    path("account/check-email/", views.check_email, name="account-check-email"),
    path("account/confirm/<str:token>/", views.confirm, name="account-confirm"),
    path("account/link-child/", views.link_child, name="account-link"),
]
