"""Creating a family account and linking it to a child."""

from __future__ import annotations

from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from phasetransfer.accounts.forms import ChoosePasswordForm, LinkChildForm, RegistrationStartForm
from phasetransfer.accounts.services import (
    RegistrationRefused,
    registration_complete,
    registration_email,
    registration_start,
)
from phasetransfer.cohort.invitations import LinkLockedOut, LinkRefused, invitation_redeem
from phasetransfer.core.roles import FAMILY_ROLES, Role, roles_of

BACKEND = "django.contrib.auth.backends.ModelBackend"


def register(request: HttpRequest) -> HttpResponse:
    form = RegistrationStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        registration_start(email=form.cleaned_data["email"])
        request.session["registration_email"] = form.cleaned_data["email"]
        return redirect("account-check-email")
    return render(request, "phasetransfer/accounts/register.html", {"form": form})


def check_email(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "phasetransfer/accounts/check_email.html",
        {"email": request.session.get("registration_email", "")},
    )


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        email = registration_email(token)
    except RegistrationRefused as refused:
        return render(
            request,
            "phasetransfer/accounts/link_problem.html",
            {"message": str(refused)},
            status=400,
        )
    form = ChoosePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = registration_complete(token=token, password=form.cleaned_data["password1"])
        except RegistrationRefused as refused:
            form.add_error(None, str(refused))
        except ValidationError as weak:  # from Django's password validators
            for message in weak.messages:
                form.add_error("password1", message)
        else:
            login(request, user, backend=BACKEND)
            return redirect("account-link")
    return render(request, "phasetransfer/accounts/confirm.html", {"form": form, "email": email})


def _client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def link_child(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={reverse('account-link')}")
    if roles_of(request.user) - FAMILY_ROLES:
        # Staff, panel and school accounts see other families' children: they must never
        # also be family accounts (a family uses a separate account).
        raise PermissionDenied
    form = LinkChildForm(request.POST or None)
    locked = False
    if request.method == "POST" and form.is_valid():
        try:
            case = invitation_redeem(
                user=request.user,
                code=form.cleaned_data["code"],
                date_of_birth=form.cleaned_data["date_of_birth"],
                ip=_client_ip(request),
            )
        except LinkLockedOut:
            locked = True
        except LinkRefused:
            form.add_error(
                "code",
                "The invitation code and date of birth do not match our records. Check them "
                "and try again",
            )
        else:
            return redirect("journey-case", reference=case.reference)
    status = 429 if locked else 200
    return render(
        request, "phasetransfer/accounts/link.html", {"form": form, "locked": locked}, status=status
    )


# Where each role lands after signing in, most specific first.
ROLE_HOMES: list[tuple[Role, str]] = [
    (Role.ADMINISTRATOR, "staff-rounds"),
    (Role.COORDINATOR, "coordination-progress"),
    (Role.CASEWORKER, "staff-rounds"),
    (Role.PANEL_CHAIR, "staff-rounds"),
    (Role.PANEL_MEMBER, "panel-home"),
    (Role.SCHOOL_CONTACT, "school-home"),
    (Role.PARENT, "family-home"),
    (Role.YOUNG_PERSON, "family-home"),
]


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "phasetransfer/accounts/start.html")


def home(request: HttpRequest) -> HttpResponse:
    """Send a signed-in person to the part of the service that is theirs."""
    if not request.user.is_authenticated:
        return redirect("start")
    roles = roles_of(request.user)
    for role, url_name in ROLE_HOMES:
        if role in roles:
            return redirect(url_name)
    # A new family account has no role until it links a child with an invitation code.
    return redirect("account-link")
