from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from phasetransfer.roles import Role, roles_of

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
    return render(request, "phasetransfer/start.html")


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
