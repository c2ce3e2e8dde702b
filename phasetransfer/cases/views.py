"""Staff pages of cases: the transfer rounds with their cases by state, and one case's page."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render

from phasetransfer.cases.selectors import case_for_staff, rounds_overview
from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.audit_words import describe
from phasetransfer.core.roles import READ_ALL, Role, has_role
from phasetransfer.preferences.selectors import changed_since_sent
from phasetransfer.security.access_log import case_access_record

STAFF = READ_ALL


@role_required(*STAFF)
def rounds(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "phasetransfer/cases/rounds.html", {"rows": rounds_overview()})


@role_required(*STAFF)
def case_view(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    case = case_for_staff(reference=reference)
    if case is None:
        raise Http404("No such case")
    case_access_record(request=request, case=case)
    return render(
        request,
        "phasetransfer/cases/case.html",
        {
            "case": case,
            "contacts": case.contacts.all(),
            "preferences": case.preferences.select_related("setting").order_by("rank"),
            "submissions": case.submissions.all(),
            "changed_since_sent": changed_since_sent(case),
            "events": describe(
                case.audit_events.select_related("actor").order_by("-at", "-id")[:50]
            ),
            "can_enter": has_role(request.user, Role.CASEWORKER),
            "messages_sent": case.emails.order_by("-created_at", "-pk")[:30],
        },
    )
