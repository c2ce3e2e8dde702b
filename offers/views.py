"""Offer day pages: the officer's control page, and the family's outcome."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from offers.models import FamilyResponse
from offers.selectors import release_status, round_outcome_figures
from offers.services.letters import final_decision, letter_pdf_bytes, letter_ready
from offers.services.outcomes import family_respond
from offers.services.release import OfferDayRefused, offer_day_rehearse, offer_day_set
from phasetransfer.cases.selectors import case_for_family
from phasetransfer.cases.state import UNDECIDED
from phasetransfer.core import clock
from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.outbox import email_retry
from phasetransfer.core.roles import READ_ALL, Role
from phasetransfer.core.visibility import offer_day_reached, outcome_visible
from phasetransfer.models import AccessAction, Case, CaseState, EmailStatus, OutboundEmail, Round
from phasetransfer.security.access_log import case_access_record

OFFICERS = (Role.CASEWORKER, Role.PANEL_CHAIR, Role.ADMINISTRATOR)
READERS = READ_ALL
FAMILY = (Role.PARENT, Role.YOUNG_PERSON)


class OfferDayForm(forms.Form):
    day = forms.DateField(
        label="Date",
        help_text="For example 2027-02-12",
        error_messages={
            "required": "Enter the date of SEN offer day",
            "invalid": "Enter the date as year-month-day, like 2027-02-12",
        },
    )
    time = forms.TimeField(
        label="Time (London)",
        help_text="For example 16:00",
        error_messages={
            "required": "Enter the time",
            "invalid": "Enter the time like 16:00",
        },
    )

    def moment(self) -> dt.datetime:
        return dt.datetime.combine(
            self.cleaned_data["day"], self.cleaned_data["time"], tzinfo=clock.LONDON
        )


def _readiness(round_: Round) -> dict[str, int]:
    cases = Case.objects.filter(round=round_).exclude(state=CaseState.WITHDRAWN)
    decided = cases.filter(
        state__in=[
            CaseState.OFFER_APPROVED,
            CaseState.RELEASED,
            CaseState.ACCEPTED,
            CaseState.APPEALED,
        ]
    ).count()
    at_risk = cases.filter(state__in=UNDECIDED - {CaseState.AT_PANEL}).count()
    total = cases.count()
    return {"total": total, "decided": decided, "undecided": total - decided, "at_risk": at_risk}


@role_required(*READERS)
def officer_page(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    initial = {}
    if round_.offer_day_at:
        local = round_.offer_day_at.astimezone(clock.LONDON)
        initial = {"day": local.date(), "time": local.time()}
    form = OfferDayForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            offer_day_set(round_=round_, at=form.moment(), actor=request.user)
        except OfferDayRefused as refused:
            form.add_error("day", str(refused))
        else:
            messages.success(request, "SEN offer day saved")
            return redirect("offers-officer", round_id=round_id)
    status = release_status(round_)
    failures = OutboundEmail.objects.filter(
        kind="offer_day",
        case__round=round_,
        status__in=[EmailStatus.FAILED, EmailStatus.ABANDONED],
    ).select_related("case")[:100]
    started = offer_day_reached(round_)
    return render(
        request,
        "offers/officer.html",
        {
            "round": round_,
            "form": form,
            "readiness": _readiness(round_),
            "status": status,
            "failures": failures,
            "started": started,
            "releasing": started and status.released < status.cases,
            "figures": round_outcome_figures(round_) if started else None,
        },
    )


@require_POST
@role_required(*OFFICERS)
def rehearse(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    result = offer_day_rehearse(round_=round_)
    return render(request, "offers/rehearsal.html", {"round": round_, "result": result})


@require_POST
@role_required(*OFFICERS)
def retry(request: AuthenticatedRequest, round_id: int, email_id: int) -> HttpResponse:
    email = get_object_or_404(OutboundEmail, pk=email_id, case__round_id=round_id)
    if email_retry(email_id=email.pk):
        messages.success(request, "The email will be sent again")
    return redirect("offers-officer", round_id=round_id)


class ResponseForm(forms.Form):
    answer = forms.ChoiceField(
        choices=FamilyResponse.Answer.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what you want to do"},
    )
    wants_independent = forms.BooleanField(
        required=False, label="I would like an independent school or college"
    )
    comments = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea,
        label="Anything you want to tell us (optional)",
    )


def _family_case(request: AuthenticatedRequest, reference: str, action: str | None = None) -> Case:
    """The family's case once its outcome is visible, its opening recorded."""
    case = case_for_family(user=request.user, reference=reference)
    if case is None or not outcome_visible(case):
        # Before the moment the outcome does not exist, as far as families are concerned.
        raise Http404("No outcome yet")
    case_access_record(request=request, case=case, action=action)
    return case


@role_required(*FAMILY)
def outcome(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    case = _family_case(request, reference)
    form = ResponseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        family_respond(case=case, actor=request.user, **form.cleaned_data)
        messages.success(request, "Thank you. We have recorded your answer.")
        return redirect("offers-outcome", reference=reference)
    return render(
        request,
        "offers/outcome.html",
        {
            "case": case,
            "decision": final_decision(case),
            "letter_ready": letter_ready(case),
            "responses": case.family_responses.all(),
            "form": form,
        },
    )


@role_required(*FAMILY)
def letter_pdf(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    case = _family_case(request, reference, action=AccessAction.DOWNLOAD)
    pdf = letter_pdf_bytes(case)
    if pdf is None:
        raise Http404("The letter is being prepared")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{case.reference}-letter.pdf"'
    return response
