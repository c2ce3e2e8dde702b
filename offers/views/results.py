"""Results day (issue 19): caseworkers import results and settle a round's conditional
offers; colleges and sixth forms confirm entry for, and import results of, their own
students only (the conditional offers that name one of their settings)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from offers.forms import ConfirmForm, ResultsDayForm, ResultsFileForm
from offers.selectors import provider_cases, results_day, settlement_latest
from offers.services.demo_results import demo_results_csv
from offers.services.results import results_import
from offers.services.settlement import (
    ConfirmationRefused,
    SettlementRefused,
    provider_confirm,
    results_day_set,
    settlement_request,
)
from offers.tasks import settle_round
from offers.views.officer import OFFICERS
from panels.models import Decision
from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.csvfile import CsvRejected, ImportReport, read_upload
from phasetransfer.core.roles import READ_ALL, Role, roles_of
from phasetransfer.models import Case, Round, RunStatus
from phasetransfer.security.access_log import case_access_record, cases_access_record


def _round(round_id: int) -> Round:
    # Any round: one without conditional offers (every round but post-16) shows none.
    return get_object_or_404(Round, pk=round_id)


def _page(
    request: AuthenticatedRequest,
    round_: Round,
    *,
    upload: ResultsFileForm | None = None,
    report: ImportReport | None = None,
    rejected: str = "",
    day_form: ResultsDayForm | None = None,
    status: int = 200,
) -> HttpResponse:
    day = results_day(round_)
    run = settlement_latest(round_)
    cases_access_record(
        request=request,
        case_ids=[s.decision.case_id for s in day.standing] + [d.case_id for d in day.settled],
    )
    return render(
        request,
        "offers/results_day.html",
        {
            "round": round_,
            "day": day,
            "run": run,
            "active": run is not None and run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
            "upload": upload or ResultsFileForm(),
            "report": report,
            "rejected": rejected,
            "day_form": day_form
            or ResultsDayForm(
                initial={"day": round_.results_day.isoformat()} if round_.results_day else None
            ),
            "can_act": bool(roles_of(request.user) & set(OFFICERS)),
        },
        status=status,
    )


@role_required(*READ_ALL)
def results_day_page(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    return _page(request, _round(round_id))


def _import(
    request: AuthenticatedRequest, round_: Round, *, within: QuerySet[Case] | None = None
) -> tuple[ResultsFileForm, ImportReport | None, str]:
    upload = ResultsFileForm(request.POST, request.FILES)
    if not upload.is_valid():
        return upload, None, ""
    try:
        report = results_import(
            round_=round_,
            source=read_upload(upload.cleaned_data["file"]),
            actor=request.user,
            within=within,
        )
    except CsvRejected as rejected:
        return upload, None, str(rejected)
    return upload, report, ""


@require_POST
@role_required(*OFFICERS)
def results_upload(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = _round(round_id)
    upload, report, rejected = _import(request, round_)
    if report is not None and report.ok:
        messages.success(request, report.summary())
        return redirect("offers-results-day", round_id=round_id)
    return _page(request, round_, upload=upload, report=report, rejected=rejected, status=400)


@require_POST
@role_required(*OFFICERS)
def results_day_save(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = _round(round_id)
    form = ResultsDayForm(request.POST)
    if not form.is_valid():
        return _page(request, round_, day_form=form, status=400)
    results_day_set(round_=round_, day=form.cleaned_data["day"])
    messages.success(request, f"Results day is {form.cleaned_data['day']:%-d %B %Y}")
    return redirect("offers-results-day", round_id=round_id)


@require_POST
@role_required(*OFFICERS)
def settle(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = _round(round_id)
    try:
        run = settlement_request(round_=round_, actor=request.user)
    except SettlementRefused as refused:
        messages.info(request, str(refused))
    else:
        settle_round.delay(run.pk)
        messages.success(request, "Settling the conditional offers: progress is below")
    return redirect("offers-results-day", round_id=round_id)


@require_POST
@role_required(*OFFICERS)
def confirm_on_behalf(
    request: AuthenticatedRequest, round_id: int, decision_id: int
) -> HttpResponse:
    decision = get_object_or_404(
        Decision.objects.select_related("case"), pk=decision_id, case__round_id=round_id
    )
    return _confirm(request, decision, on_behalf=True, back=("offers-results-day", round_id))


def _confirm(
    request: AuthenticatedRequest,
    decision: Decision,
    *,
    on_behalf: bool,
    back: tuple[str, int | None],
) -> HttpResponse:
    form = ConfirmForm(request.POST)
    name, arg = back
    target = redirect(name, round_id=arg) if arg is not None else redirect(name)
    if not form.is_valid():
        messages.error(request, "Choose whether the entry requirements are met")
        return target
    case_access_record(request=request, case=decision.case)
    met = form.cleaned_data["met"] == "yes"
    try:
        provider_confirm(decision=decision, met=met, actor=request.user, on_behalf=on_behalf)
    except ConfirmationRefused as refused:
        messages.info(request, str(refused))
    else:
        words = "meets" if met else "does not meet"
        messages.success(
            request,
            f"Recorded: {decision.case.reference} {words} the entry requirements. The offer "
            "is settled when results day's settling runs.",
        )
    return target


@role_required(*READ_ALL)
def demo_results(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    """The demo's results file, for a new user to import (synthetic rounds only)."""
    round_ = _round(round_id)
    if not round_.is_synthetic:
        raise Http404("Only a demo round has a demo results file")
    response = HttpResponse(demo_results_csv(round_), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="demo-results.csv"'
    return response


# Providers --------------------------------------------------------------------------


@role_required(Role.SCHOOL_CONTACT)
def provider_page(request: AuthenticatedRequest) -> HttpResponse:
    return _provider_render(request)


def _provider_render(
    request: AuthenticatedRequest,
    *,
    upload: ResultsFileForm | None = None,
    report: ImportReport | None = None,
    rejected: str = "",
    status: int = 200,
) -> HttpResponse:
    offers = list(provider_cases(request.user))
    cases_access_record(request=request, case_ids=[d.case_id for d in offers])
    return render(
        request,
        "offers/results_provider.html",
        {
            "offers": offers,
            "upload": upload or ResultsFileForm(),
            "report": report,
            "rejected": rejected,
        },
        status=status,
    )


@require_POST
@role_required(Role.SCHOOL_CONTACT)
def provider_upload(request: AuthenticatedRequest) -> HttpResponse:
    offers = provider_cases(request.user)
    rounds = {d.case.round for d in offers}
    if not rounds:
        messages.info(request, "You have no students with conditional offers")
        return redirect("offers-results-provider")
    within = Case.objects.filter(pk__in=offers.values("case_id"))
    # A provider's students waiting on results are those of this year's post-16 round.
    round_ = max(rounds, key=lambda r: r.entry_year)
    upload, report, rejected = _import(request, round_, within=within)
    if report is not None and report.ok:
        messages.success(request, report.summary())
        return redirect("offers-results-provider")
    return _provider_render(request, upload=upload, report=report, rejected=rejected, status=400)


@require_POST
@role_required(Role.SCHOOL_CONTACT)
def provider_confirm_view(request: AuthenticatedRequest, decision_id: int) -> HttpResponse:
    # Another provider's student, or no such offer: the same 404.
    decision = get_object_or_404(provider_cases(request.user), pk=decision_id)
    return _confirm(request, decision, on_behalf=False, back=("offers-results-provider", None))
