"""Offer day for officers: the moment, the rehearsal, progress, emails and letters to post."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from offers.models import PrintBatch, RehearsalRun
from offers.selectors import (
    amended_releases,
    cases_cannot_be_told,
    letters_to_post,
    offer_day_changes,
    print_batches,
    rehearsal_active,
    rehearsal_latest,
    release_status,
    round_outcome_figures,
)
from offers.services.posting import PostingRefused, print_batch_posted, print_batch_request
from offers.services.rehearsal import RehearsalBusy, rehearsal_request
from offers.services.release import OfferDayRefused, offer_day_set
from phasetransfer.cases.state import UNDECIDED
from phasetransfer.core import clock
from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.outbox import email_retry, emails_retry
from phasetransfer.core.outbox_selectors import round_email_counts, round_email_problems
from phasetransfer.core.roles import READ_ALL, Role, has_role
from phasetransfer.core.visibility import offer_day_reached
from phasetransfer.models import (
    AccessAction,
    Case,
    CaseState,
    EmailStatus,
    OutboundEmail,
    Round,
    RunStatus,
)
from phasetransfer.security.access_log import cases_access_record

# SEN officers: they set the moment, rehearse, retry and post. Co-ordinators read only.
OFFICERS = (Role.CASEWORKER, Role.PANEL_CHAIR, Role.ADMINISTRATOR)
READERS = READ_ALL
LISTED = 100  # rows of each problem list shown (the counts are always whole)


class OfferDayForm(forms.Form):
    day = forms.DateField(
        label="Date",
        help_text="For example 2027-02-12",
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d %m %Y", "%d %b %Y", "%d %B %Y"],
        error_messages={
            "required": "Enter the date of SEN offer day",
            "invalid": "Enter the date as year-month-day, like 2027-02-12",
        },
    )
    time = forms.TimeField(
        label="Time (London)",
        help_text="For example 16:00",
        input_formats=["%H:%M", "%H.%M", "%H:%M:%S", "%I:%M%p", "%I%p", "%I:%M %p", "%I %p"],
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


def _offer_day_form(round_: Round, data: QueryDict | None = None) -> OfferDayForm:
    # Shown as text in the formats the fields read back first (a date object would be shown
    # localised, "12 Feb 2027", and refused on saving), so the page saves unchanged.
    initial = {}
    if round_.offer_day_at:
        local = round_.offer_day_at.astimezone(clock.LONDON)
        initial = {"day": f"{local:%Y-%m-%d}", "time": f"{local:%H:%M}"}
    return OfferDayForm(data, initial=initial)


def _officer_context(request: AuthenticatedRequest, round_: Round) -> dict[str, object]:
    started = offer_day_reached(round_)
    untold = cases_cannot_be_told(round_)
    amended = amended_releases(round_)
    problems = list(round_email_problems(round_id=round_.pk, limit=LISTED))
    shown = [*untold[:LISTED], *[r.case for r in amended[:LISTED]]]
    cases_access_record(
        request=request,
        case_ids=[c.pk for c in shown] + [e.case_id for e in problems if e.case_id],
    )
    counts = round_email_counts(round_id=round_.pk)
    return {
        "round": round_,
        "can_act": has_role(request.user, *OFFICERS),
        "form": _offer_day_form(round_),
        "changes": offer_day_changes(round_)[:10],
        "readiness": _readiness(round_),
        "status": release_status(round_),
        "rehearsal": rehearsal_latest(round_),
        "untold": untold[:LISTED],
        "untold_count": untold.count(),
        "problems": problems,
        "problem_counts": counts,
        "retryable": counts[EmailStatus.FAILED] + counts[EmailStatus.ABANDONED],
        "posting": letters_to_post(round_).count(),
        "batches": print_batches(round_)[:5],
        "amended": amended[:LISTED],
        "amended_count": amended.count(),
        "started": started,
        "releasing": started and round_.offer_day_published_at is None,
        "figures": round_outcome_figures(round_) if started else None,
    }


@role_required(*READERS)
def officer_page(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    return render(request, "offers/officer.html", _officer_context(request, round_))


@require_POST
@role_required(*OFFICERS)
def offer_day_save(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    form = _offer_day_form(round_, request.POST)
    if form.is_valid():
        try:
            offer_day_set(round_=round_, at=form.moment(), actor=request.user)
        except OfferDayRefused as refused:
            form.add_error("day", str(refused))
        else:
            messages.success(request, "SEN offer day saved")
            return redirect("offers-officer", round_id=round_id)
    context = _officer_context(request, round_) | {"form": form}
    return render(request, "offers/officer.html", context, status=400)


@require_POST
@role_required(*OFFICERS)
def rehearse(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    try:
        run = rehearsal_request(round_=round_, actor=request.user)
    except RehearsalBusy as busy:
        messages.info(request, str(busy))
        active = rehearsal_active(round_)
        if active is None:
            return redirect("offers-officer", round_id=round_id)
        run = active
    return redirect("offers-rehearsal", round_id=round_id, rehearsal_id=run.pk)


@role_required(*READERS)
def rehearsal_page(request: AuthenticatedRequest, round_id: int, rehearsal_id: int) -> HttpResponse:
    run = get_object_or_404(
        RehearsalRun.objects.select_related("round", "requested_by"),
        pk=rehearsal_id,
        round_id=round_id,
    )
    active = run.status in (RunStatus.QUEUED, RunStatus.RUNNING)
    return render(
        request,
        "offers/rehearsal.html",
        {"round": run.round, "run": run, "result": run.result, "active": active},
    )


@require_POST
@role_required(*OFFICERS)
def retry(request: AuthenticatedRequest, round_id: int, email_id: int) -> HttpResponse:
    email = get_object_or_404(OutboundEmail, pk=email_id, case__round_id=round_id)
    if email_retry(email_id=email.pk, actor=request.user):
        if email.status == EmailStatus.UNKNOWN:
            messages.success(request, "The email will be sent again (it may arrive twice)")
        else:
            messages.success(request, "The email will be sent again")
    return redirect("offers-officer", round_id=round_id)


@require_POST
@role_required(*OFFICERS)
def retry_all(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    """Every failed or abandoned email of the round; not those that may have arrived."""
    round_ = get_object_or_404(Round, pk=round_id)
    ids = OutboundEmail.objects.filter(
        kind="offer_day",
        case__round=round_,
        status__in=[EmailStatus.FAILED, EmailStatus.ABANDONED],
    ).values_list("pk", flat=True)
    sent = emails_retry(email_ids=list(ids), actor=request.user)
    messages.success(request, f"{sent} email(s) will be sent again")
    return redirect("offers-officer", round_id=round_id)


@require_POST
@role_required(*OFFICERS)
def print_batch_new(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    try:
        print_batch_request(round_=round_, actor=request.user)
    except PostingRefused as refused:
        messages.info(request, str(refused))
    else:
        messages.success(request, "The print batch is being prepared: it will be listed below.")
    return redirect("offers-officer", round_id=round_id)


def _batch(round_id: int, batch_id: int) -> PrintBatch:
    return get_object_or_404(PrintBatch, pk=batch_id, round_id=round_id)


@role_required(*OFFICERS)
def print_batch_pdf(request: AuthenticatedRequest, round_id: int, batch_id: int) -> HttpResponse:
    batch = _batch(round_id, batch_id)
    if batch.status != RunStatus.DONE:
        raise Http404("The batch is not ready")
    cases_access_record(
        request=request,
        case_ids=list(batch.letters.values_list("release__case_id", flat=True)),
        action=AccessAction.DOWNLOAD,
    )
    response = HttpResponse(bytes(batch.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="letters-to-post-{batch.pk}.pdf"'
    return response


@require_POST
@role_required(*OFFICERS)
def print_batch_mark_posted(
    request: AuthenticatedRequest, round_id: int, batch_id: int
) -> HttpResponse:
    batch = _batch(round_id, batch_id)
    try:
        marked = print_batch_posted(batch=batch, actor=request.user)
    except PostingRefused as refused:
        messages.info(request, str(refused))
    else:
        messages.success(request, f"{marked} letter(s) marked as posted")
    return redirect("offers-officer", round_id=round_id)
