from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from phasetransfer.access import role_required
from phasetransfer.roles import Role
from phasetransfer.selectors import cases_of_family


@role_required(Role.PARENT, Role.YOUNG_PERSON)
def home(request: HttpRequest) -> HttpResponse:
    cases = cases_of_family(user=request.user)
    return render(request, "phasetransfer/family/home.html", {"cases": cases})
