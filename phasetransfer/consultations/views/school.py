"""Pages for school and college contacts: their settings' consultations, and responding.

A contact sees only consultations of the settings they are linked to
(``SettingContact``); anything else is a 404, so the page does not even confirm
that a consultation exists.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from phasetransfer.consultations.forms import ConsultationResponseForm
from phasetransfer.consultations.selectors import (
    consultations_for_school_contact,
    due_day,
    ground_labels,
    is_overdue,
    programme_rows,
    school_list,
    settings_of_contact,
)
from phasetransfer.consultations.services import ConsultationRefused, consultation_respond
from phasetransfer.core import clock
from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.roles import Role
from phasetransfer.models import CaseState, Consultation, ConsultationStatus, Phase, User
from phasetransfer.security.access_log import case_access_record, cases_access_record


@role_required(Role.SCHOOL_CONTACT)
def home(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    lists = school_list(user=user, now=clock.now())
    shown = [*lists.overdue, *lists.pending, *lists.answered, *lists.withdrawn]
    cases_access_record(request=request, case_ids=[r.consultation.case_id for r in shown])
    settings = settings_of_contact(user=user)
    # A college or sixth form also settles post-16 conditional offers on results day.
    post16 = any(s.serves_post16 for s in settings)
    context = {"lists": lists, "settings": settings, "post16": post16}
    return render(request, "phasetransfer/consultations/school/home.html", context)


def _summary_context(consultation: Consultation) -> dict[str, object]:
    case = consultation.case
    return {
        "consultation": consultation,
        "case": case,
        "child": case.child,
        "preferences": case.preferences.select_related("setting").order_by("rank"),
        "due_day": due_day(consultation),
        "overdue": is_overdue(consultation, clock.now()),
        "grounds": ground_labels(consultation),
        "programmes": programme_rows(consultation),
    }


def _respond(form: ConsultationResponseForm, found: Consultation, user: User) -> bool:
    """Record the response; on a refusal, put the reason on the form and return False."""
    try:
        consultation_respond(
            consultation=found,
            can_meet=form.can_meet,
            grounds=form.cleaned_data["grounds"],
            only_setting=form.cleaned_data["only_setting"],
            text=form.cleaned_data["response_text"],
            programmes=form.programmes,
            actor=user,
        )
    except ConsultationRefused as exc:
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return False
    return True


@role_required(Role.SCHOOL_CONTACT)
def consultation(request: AuthenticatedRequest, consultation_id: int) -> HttpResponse:
    user = request.user
    found = get_object_or_404(consultations_for_school_contact(user=user), pk=consultation_id)
    case_access_record(request=request, case=found.case)
    if found.status == ConsultationStatus.WITHDRAWN or found.case.state == CaseState.WITHDRAWN:
        # No longer the school's business: say so, without the child's details.
        return render(
            request, "phasetransfer/consultations/school/withdrawn.html", {"consultation": found}
        )
    form = ConsultationResponseForm(
        request.POST if request.method == "POST" else None,
        programmes=found.case.round.phase == Phase.POST16,
    )
    if request.method == "POST":
        if found.status != ConsultationStatus.PENDING:
            messages.info(request, "A response to this consultation has already been recorded")
            return redirect("school-consultation", consultation_id=found.pk)
        if form.is_valid() and _respond(form, found, user):
            messages.success(request, "Your response has been sent to the council")
            return redirect("school-consultation", consultation_id=found.pk)
    context = _summary_context(found) | {"form": form}
    return render(request, "phasetransfer/consultations/school/consultation.html", context)
