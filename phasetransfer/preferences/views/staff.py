"""Caseworkers enter or correct a family's preferences (from phone or paper)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from phasetransfer.cases.selectors import case_for_staff
from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.roles import Role
from phasetransfer.preferences import services as prefs
from phasetransfer.preferences.forms import OnBehalfForm
from phasetransfer.security.access_log import case_access_record

CASEWORK = (Role.CASEWORKER, Role.ADMINISTRATOR)


@role_required(*CASEWORK)
def enter_on_behalf(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    case = case_for_staff(reference=reference)
    if case is None:
        raise Http404("No such case")
    case_access_record(request=request, case=case)
    form = OnBehalfForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            submission = prefs.preferences_enter_on_behalf(
                case=case,
                choices=form.choices(),
                channel=form.cleaned_data["channel"],
                actor=request.user,
            )
        except prefs.PreferenceRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, f"Preferences recorded, receipt {submission.receipt}")
            return redirect("staff-case", reference=reference)
    return render(request, "phasetransfer/preferences/on_behalf.html", {"case": case, "form": form})
