"""Caseworkers: the cohort and its engagement, invitations, reminders, and entering on behalf."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from phasetransfer import clock
from phasetransfer.access import role_required
from phasetransfer.forms_staff import OnBehalfForm
from phasetransfer.models import AccessAction, Case, Round
from phasetransfer.roles import READ_ALL, Role, has_role
from phasetransfer.security.access_log import case_access_record, cases_access_record
from phasetransfer.selectors_engagement import (
    Engagement,
    cohort,
    engagement_by_date,
    engagement_counts,
    engagement_of,
)
from phasetransfer.services import preferences as prefs
from phasetransfer.services.invitations import (
    cases_needing_letters,
    invitation_letters_issue,
    invitations_send,
)
from phasetransfer.services.reminders import cases_to_remind, reminders_send

CASEWORK = (Role.CASEWORKER, Role.ADMINISTRATOR)
CASES_PER_PAGE = 100
STAFF = READ_ALL


@role_required(*STAFF)
def cohort_view(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    cases = list(cohort(round_))
    rows = [(case, engagement_of(case)) for case in cases]
    wanted = request.GET.get("status", "")
    if wanted in Engagement.ORDER:
        rows = [row for row in rows if row[1] == wanted]
    page = Paginator(rows, CASES_PER_PAGE).get_page(request.GET.get("page"))
    cases_access_record(request=request, case_ids=[case.pk for case, _ in page])
    counts = engagement_counts(cases)
    responded = sum(counts[s] for s in Engagement.RESPONDED)
    days = engagement_by_date(round_)
    return render(
        request,
        "phasetransfer/staff/cohort.html",
        {
            "round": round_,
            "page": page,
            "query": urlencode({"status": wanted}) if wanted in Engagement.ORDER else "",
            "counts": counts,
            "statuses": Engagement.ORDER,
            "wanted": wanted,
            "total": len(cases),
            "responded": responded,
            "share": responded / len(cases) if cases else 0,
            "days": days,
            "recent_days": days[-14:],
            "to_invite": sum(1 for c in cases if engagement_of(c) == Engagement.NOT_INVITED),
            "letters": len(cases_needing_letters(round_)),
            "to_remind": len(cases_to_remind(round_)),
            "window_open": round_.preference_opens_at <= clock.now() < round_.preference_closes_at,
        },
    )


@require_POST
@role_required(*CASEWORK)
def send_invitations(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    sent = invitations_send(round=round_, actor=request.user)
    messages.success(request, f"{sent} invitation email(s) queued")
    return redirect("staff-cohort", round_id=round_id)


@require_POST
@role_required(*CASEWORK)
def print_letters(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    letters = invitation_letters_issue(round=round_, actor=request.user)
    # Printed letters carry each child's name and code: a download of each case.
    cases_access_record(
        request=request, case_ids=[case.pk for case, _, _ in letters], action=AccessAction.DOWNLOAD
    )
    return render(
        request,
        "phasetransfer/staff/invitation_letters.html",
        {"round": round_, "letters": letters},
    )


@require_POST
@role_required(*CASEWORK)
def send_reminders(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    sent = reminders_send(round=round_, actor=request.user)
    messages.success(request, f"{sent} reminder(s) queued (at most one per family per day)")
    return redirect("staff-cohort", round_id=round_id)


def _staff_case(reference: str) -> Case:
    case = (
        Case.objects.select_related("child", "round", "caseworker", "child__current_setting")
        .filter(reference=reference)
        .first()
    )
    if case is None:
        raise Http404("No such case")
    return case


@role_required(*STAFF)
def case_view(request: HttpRequest, reference: str) -> HttpResponse:
    case = _staff_case(reference)
    case_access_record(request=request, case=case)
    return render(
        request,
        "phasetransfer/staff/case.html",
        {
            "case": case,
            "contacts": case.contacts.all(),
            "preferences": case.preferences.select_related("setting").order_by("rank"),
            "submissions": case.submissions.all(),
            "events": case.audit_events.order_by("-at", "-id")[:50],
            "can_enter": has_role(request.user, Role.CASEWORKER),
        },
    )


@role_required(*CASEWORK)
def enter_on_behalf(request: HttpRequest, reference: str) -> HttpResponse:
    case = _staff_case(reference)
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
    return render(request, "phasetransfer/staff/on_behalf.html", {"case": case, "form": form})
