"""After offer day, for staff: the caseworkers' work queue and each case's mediation and
appeals. Every action is a service call; the pages only show and ask."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from offers.forms import (
    AppealDatesForm,
    AppealForm,
    AppealOutcomeForm,
    FollowUpDoneForm,
    MediationCertificateForm,
    MediationEndForm,
    MediationMeetingForm,
    MediationRequestForm,
)
from offers.models import Appeal, FollowUp, Mediation
from offers.selectors import (
    after_offer_day,
    follow_ups_open,
    mediations_awaiting_approval,
    open_after_offer_day,
    orders_over_capacity,
    places_after_offer_day,
    releases_published,
)
from offers.services.appeals import (
    AppealDetails,
    AppealRefused,
    appeal_carry_out,
    appeal_decide,
    appeal_hearing,
    appeal_register,
)
from offers.services.followups import FollowUpRefused, follow_up_done
from offers.services.mediation import (
    APPROVERS,
    MediationRefused,
    mediation_agreed,
    mediation_approve,
    mediation_certificate,
    mediation_meeting,
    mediation_not_agreed,
    mediation_request,
    mediation_withdrawn,
)
from phasetransfer.cases.selectors import case_for_staff
from phasetransfer.core import clock
from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.roles import READ_ALL, Role, has_role
from phasetransfer.models import Case, Round
from phasetransfer.security.access_log import case_access_record, cases_access_record

READERS = READ_ALL
ACTORS = (Role.CASEWORKER, Role.PANEL_CHAIR, Role.ADMINISTRATOR)


@role_required(*READERS)
def work_queue(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    mine = request.GET.get("show") != "all" and has_role(request.user, Role.CASEWORKER)
    tasks = list(follow_ups_open(round_, assigned_to=request.user if mine else None)[:200])
    open_rows = open_after_offer_day(round_, clock.today_in_london())
    approvals = list(mediations_awaiting_approval(round_))
    orders = list(orders_over_capacity(round_))
    cases_access_record(
        request=request,
        case_ids=[t.case_id for t in tasks]
        + [getattr(row, "case_id", 0) for row, _due in open_rows]
        + [m.case_id for m in approvals],
    )
    return render(
        request,
        "offers/after/queue.html",
        {
            "round": round_,
            "mine": mine,
            "tasks": tasks,
            "open_rows": open_rows,
            "approvals": approvals,
            "can_approve": has_role(request.user, *APPROVERS),
            "orders": orders,
            "places": places_after_offer_day(round_),
            "no_answer_days": settings.OFFERS_NO_ANSWER_DAYS,
        },
    )


def _case(reference: str) -> Case:
    case = case_for_staff(reference=reference)
    if case is None:
        raise Http404("No such case")
    return case


def _page(
    request: AuthenticatedRequest, case: Case, status: int = 200, **forms_: forms.Form
) -> HttpResponse:
    story = after_offer_day(case, clock.today_in_london())
    context = {
        "case": case,
        "story": story,
        "mediation_open": any(m.is_open for m, _due in story.mediations),
        "releases": releases_published(case),
        "can_act": has_role(request.user, *ACTORS),
        "can_approve": has_role(request.user, *APPROVERS),
        "request_form": MediationRequestForm(),
        "meeting_form": MediationMeetingForm(),
        "end_form": MediationEndForm(),
        "certificate_form": MediationCertificateForm(),
        "appeal_form": AppealForm(initial={"placement_only": True}),
        "dates_form": AppealDatesForm(),
        "outcome_form": AppealOutcomeForm(),
        "done_form": FollowUpDoneForm(),
        **forms_,
        "errored": next(iter(forms_.values()), None),
    }
    return render(request, "offers/after/case.html", context, status=status)


@role_required(*READERS)
def case_page(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    case = _case(reference)
    case_access_record(request=request, case=case)
    return _page(request, case)


def _act(
    request: AuthenticatedRequest,
    reference: str,
    form: forms.Form,
    form_name: str,
    action: Callable[[Case], str],
) -> HttpResponse:
    """Run ``action`` if the form is valid; on a refusal, show the page with the form's error."""
    case = _case(reference)
    case_access_record(request=request, case=case)
    if form.is_valid():
        try:
            done = action(case)
        except (MediationRefused, AppealRefused, FollowUpRefused) as refused:
            field = getattr(refused, "field", None)
            form.add_error(field if field in form.fields else None, str(refused))
        else:
            messages.success(request, done)
            return redirect("offers-after-case", reference=reference)
    return _page(request, case, 400, **{form_name: form})


@require_POST
@role_required(*ACTORS)
def mediation_new(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    form = MediationRequestForm(request.POST)

    def act(case: Case) -> str:
        mediation_request(
            case=case, requested_on=form.cleaned_data["requested_on"], actor=request.user
        )
        return "Mediation recorded: it must take place within 30 days"

    return _act(request, reference, form, "request_form", act)


def _mediation(case: Case, mediation_id: int) -> Mediation:
    return get_object_or_404(Mediation, pk=mediation_id, case=case)


@require_POST
@role_required(*ACTORS)
def mediation_meeting_set(
    request: AuthenticatedRequest, reference: str, mediation_id: int
) -> HttpResponse:
    form = MediationMeetingForm(request.POST)

    def act(case: Case) -> str:
        mediation_meeting(
            mediation=_mediation(case, mediation_id),
            meeting_on=form.cleaned_data["meeting_on"],
            actor=request.user,
        )
        return "Meeting date saved"

    return _act(request, reference, form, "meeting_form", act)


@require_POST
@role_required(*ACTORS)
def mediation_end(request: AuthenticatedRequest, reference: str, mediation_id: int) -> HttpResponse:
    form = MediationEndForm(request.POST)

    def act(case: Case) -> str:
        mediation = _mediation(case, mediation_id)
        data = form.cleaned_data
        if data["result"] == MediationEndForm.AGREED:
            setting = form.setting()
            assert setting is not None  # the form asks for it
            mediation_agreed(
                mediation=mediation,
                ended_on=data["ended_on"],
                setting=setting,
                reasons=data["reasons"],
                actor=request.user,
            )
            return "Agreement recorded: a panel chair approves the change, then the family is told"
        if data["result"] == MediationEndForm.WITHDRAWN:
            mediation_withdrawn(mediation=mediation, ended_on=data["ended_on"], actor=request.user)
            return "Recorded: the family withdrew from mediation"
        ended = mediation_not_agreed(
            mediation=mediation,
            ended_on=data["ended_on"],
            certificate_issued_on=data["certificate_issued_on"],
            actor=request.user,
        )
        if ended.certificate_issued_on is None:
            return "Recorded: the certificate is due within 3 working days"
        return "Recorded: the certificate starts the family's month to appeal"

    return _act(request, reference, form, "end_form", act)


@require_POST
@role_required(*ACTORS)
def mediation_certificate_record(
    request: AuthenticatedRequest, reference: str, mediation_id: int
) -> HttpResponse:
    form = MediationCertificateForm(request.POST)

    def act(case: Case) -> str:
        mediation_certificate(
            mediation=_mediation(case, mediation_id),
            issued_on=form.cleaned_data["certificate_issued_on"],
            actor=request.user,
        )
        return "Recorded: the certificate starts the family's month to appeal"

    return _act(request, reference, form, "certificate_form", act)


@require_POST
@role_required(*APPROVERS)
def mediation_approve_change(
    request: AuthenticatedRequest, reference: str, mediation_id: int
) -> HttpResponse:
    form = forms.Form(request.POST)

    def act(case: Case) -> str:
        mediation_approve(mediation=_mediation(case, mediation_id), actor=request.user)
        return "Change approved: the family will be sent the new offer within a minute"

    return _act(request, reference, form, "approve_form", act)


@require_POST
@role_required(*ACTORS)
def appeal_new(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    form = AppealForm(request.POST)

    def act(case: Case) -> str:
        data = form.cleaned_data
        appeal_register(
            case=case,
            details=AppealDetails(
                tribunal_reference=data["tribunal_reference"],
                lodged_on=data["lodged_on"],
                placement_only=data["placement_only"],
                independent_requested=data["independent_requested"],
            ),
            actor=request.user,
        )
        return "Appeal recorded"

    return _act(request, reference, form, "appeal_form", act)


def _appeal(case: Case, appeal_id: int) -> Appeal:
    return get_object_or_404(Appeal, pk=appeal_id, case=case)


@require_POST
@role_required(*ACTORS)
def appeal_dates(request: AuthenticatedRequest, reference: str, appeal_id: int) -> HttpResponse:
    form = AppealDatesForm(request.POST)

    def act(case: Case) -> str:
        appeal_hearing(
            appeal=_appeal(case, appeal_id),
            hearing_on=form.cleaned_data["hearing_on"],
            response_due_on=form.cleaned_data["response_due_on"],
            actor=request.user,
        )
        return "Dates saved"

    return _act(request, reference, form, "dates_form", act)


@require_POST
@role_required(*ACTORS)
def appeal_outcome(request: AuthenticatedRequest, reference: str, appeal_id: int) -> HttpResponse:
    form = AppealOutcomeForm(request.POST)

    def act(case: Case) -> str:
        appeal = appeal_decide(
            appeal=_appeal(case, appeal_id),
            outcome=form.cleaned_data["outcome"],
            decided_on=form.cleaned_data["decided_on"],
            setting=form.setting(),
            actor=request.user,
        )
        if appeal.order_due_on:
            return f"Outcome recorded: carry it out by {appeal.order_due_on:%d %B %Y}"
        return "Outcome recorded"

    return _act(request, reference, form, "outcome_form", act)


@require_POST
@role_required(*ACTORS)
def appeal_implement(request: AuthenticatedRequest, reference: str, appeal_id: int) -> HttpResponse:
    form = forms.Form(request.POST)

    def act(case: Case) -> str:
        appeal_carry_out(appeal=_appeal(case, appeal_id), actor=request.user)
        return "Carried out: the family will be sent the new offer within a minute"

    return _act(request, reference, form, "implement_form", act)


@require_POST
@role_required(*ACTORS)
def follow_up_mark_done(
    request: AuthenticatedRequest, reference: str, follow_up_id: int
) -> HttpResponse:
    form = FollowUpDoneForm(request.POST)

    def act(case: Case) -> str:
        task = get_object_or_404(FollowUp, pk=follow_up_id, case=case)
        follow_up_done(follow_up=task, actor=request.user, note=form.cleaned_data["note"])
        return "Task done"

    return _act(request, reference, form, "done_form", act)
