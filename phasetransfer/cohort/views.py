"""Caseworkers: the cohort and its engagement, invitations, reminders, and entering on behalf."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from phasetransfer.cohort.invitations import invitation_letters_issue, invitations_send
from phasetransfer.cohort.reminders import reminders_send
from phasetransfer.cohort.selectors import (
    Engagement,
    cohort,
    engagement_by_date,
    engagement_counts,
    engagement_of,
    letters_count,
    reminders_count,
)
from phasetransfer.core import clock
from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.roles import READ_ALL, Role
from phasetransfer.models import AccessAction, Round
from phasetransfer.security.access_log import cases_access_record

CASES_PER_PAGE = 100
CASEWORK = (Role.CASEWORKER, Role.ADMINISTRATOR)
STAFF = READ_ALL


@role_required(*STAFF)
def cohort_view(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
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
        "phasetransfer/cohort/cohort.html",
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
            "letters": letters_count(round_),
            "to_remind": reminders_count(round_),
            "window_open": round_.preference_opens_at <= clock.now() < round_.preference_closes_at,
        },
    )


@require_POST
@role_required(*CASEWORK)
def send_invitations(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    sent = invitations_send(round_=round_, actor=request.user)
    messages.success(request, f"{sent} invitation email(s) queued")
    return redirect("staff-cohort", round_id=round_id)


@require_POST
@role_required(*CASEWORK)
def print_letters(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    letters = invitation_letters_issue(round_=round_, actor=request.user)
    # Printed letters carry each child's name and code: a download of each case.
    cases_access_record(
        request=request, case_ids=[case.pk for case, _, _ in letters], action=AccessAction.DOWNLOAD
    )
    return render(
        request,
        "phasetransfer/cohort/invitation_letters.html",
        {"round": round_, "letters": letters},
    )


@require_POST
@role_required(*CASEWORK)
def send_reminders(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    sent = reminders_send(round_=round_, actor=request.user)
    messages.success(request, f"{sent} reminder(s) queued (at most one per family per day)")
    return redirect("staff-cohort", round_id=round_id)
