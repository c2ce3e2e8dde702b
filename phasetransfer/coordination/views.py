"""The co-ordination pages: progress board (and CSV), workload with bulk reassignment, figures."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from phasetransfer.coordination import figures as round_figures
from phasetransfer.coordination.exports import progress_csv
from phasetransfer.coordination.forms import ALL_MATCHING, BoardFilterForm, ReassignForm
from phasetransfer.coordination.milestones import Status
from phasetransfer.coordination.selectors import (
    ProgressRow,
    assignable_caseworkers,
    filter_options,
    round_progress,
    stages_present,
    week_lines,
    workload,
)
from phasetransfer.coordination.services import ReassignRefused, cases_reassign
from phasetransfer.core import clock
from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.roles import READ_ALL, Role, has_role
from phasetransfer.delivery.selectors import undelivered_count
from phasetransfer.models import AccessAction, Case, Round, User
from phasetransfer.security.access_log import cases_access_record

READERS = READ_ALL
REASSIGNERS = (Role.COORDINATOR, Role.ADMINISTRATOR)
ROWS_PER_PAGE = 100


def _status_counts(rows: list[ProgressRow]) -> dict[str, int]:
    counts = Counter(row.status.value for row in rows)
    return {
        "overdue": counts[Status.OVERDUE],
        "due_soon": counts[Status.DUE_SOON],
        "on_track": counts[Status.ON_TRACK],
        "closed": counts[Status.CLOSED],
        "at_risk": sum(row.at_risk for row in rows),
        "total": len(rows),
    }


@role_required(*READERS)
def progress_index(request: AuthenticatedRequest) -> HttpResponse:
    """Pick a round. ``?round=<id>`` (the round menu on each board) goes straight to it."""
    wanted = request.GET.get("round", "")
    if wanted.isdigit() and Round.objects.filter(pk=int(wanted)).exists():
        return redirect("coordination-round-progress", round_id=int(wanted))
    now = clock.now()
    rows = [
        {"round": r, "counts": _status_counts(round_progress(round_=r, now=now))}
        for r in Round.objects.all()
    ]
    return render(request, "phasetransfer/coordination/progress_index.html", {"rows": rows})


def _filtered(
    request: HttpRequest, round_: Round, everything: list[ProgressRow]
) -> tuple[BoardFilterForm, list[ProgressRow]]:
    """The filter form and the rows it selects; no rows when a filter value is not valid."""
    form = BoardFilterForm(request.GET, options=filter_options(round_))
    if not form.is_valid():
        return form, []
    filters = form.filters()
    return form, [row for row in everything if filters.keep(row)]


@role_required(*READERS)
def progress(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    now = clock.now()
    everything = round_progress(round_=round_, now=now)
    form, rows = _filtered(request, round_, everything)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    # The board names each child on the page: those, and only those, were seen.
    cases_access_record(request=request, case_ids=[row.case_id for row in page])
    return render(
        request,
        "phasetransfer/coordination/progress.html",
        {
            "round": round_,
            "rounds": Round.objects.all(),
            "form": form,
            "page": page,
            "matching": len(rows),
            "counts": _status_counts(everything),
            "undelivered": undelivered_count(round_),
            "query": form.query() if form.is_valid() else "",
            "school_year_starts_on": dt.date(round_.entry_year, 9, 1),
            "now": now,
        },
    )


@role_required(*READERS)
def week(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    """The co-ordinator's week: what is overdue, due in the next 7 days or at risk, by day."""
    round_ = get_object_or_404(Round, pk=round_id)
    now = clock.now()
    everything = round_progress(round_=round_, now=now)
    today = now.astimezone(clock.LONDON).date()
    return render(
        request,
        "phasetransfer/coordination/week.html",
        {
            "round": round_,
            "lines": week_lines(everything),
            "counts": _status_counts(everything),
            "today": today,
            "week_end": today + dt.timedelta(days=7),
            "now": now,
        },
    )


@role_required(*READERS)
def progress_export(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    form, rows = _filtered(request, round_, round_progress(round_=round_, now=clock.now()))
    if not form.is_valid():
        # Never export something other than what was asked for.
        return HttpResponse(
            "The filters are not valid: " + form.errors.as_text(),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    day = clock.today_in_london().isoformat()
    cases_access_record(
        request=request, case_ids=[row.case_id for row in rows], action=AccessAction.DOWNLOAD
    )
    response = HttpResponse(progress_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="progress-{round_.pk}-{day}.csv"'
    return response


def _workload_context(
    request: HttpRequest,
    round_: Round,
    form: BoardFilterForm,
    everything: list[ProgressRow],
    rows: list[ProgressRow],
    workers: list[User],
) -> dict[str, object]:
    stages = stages_present(everything)
    return {
        "round": round_,
        "form": form,
        "stages": stages,
        "table": [
            (line, line.stage_counts(stages))
            for line in workload(rows=everything, caseworkers=workers)
        ],
        "page": Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page")),
        "matching": len(rows),
        "query": form.query() if form.is_valid() else "",
        "caseworkers": workers,
        "can_reassign": has_role(request.user, *REASSIGNERS),
    }


@role_required(*READERS)
def workload_view(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    everything = round_progress(round_=round_, now=clock.now())
    form, rows = _filtered(request, round_, everything)
    workers = assignable_caseworkers()
    reassign = ReassignForm(None, case_ids=[], caseworkers=workers)
    if request.method == "POST":
        if not has_role(request.user, *REASSIGNERS):
            raise PermissionDenied
        reassign = ReassignForm(
            request.POST, case_ids=[row.case_id for row in everything], caseworkers=workers
        )
        done = _reassign(request, round_, form, rows, reassign)
        if done is not None:
            return done
    context = _workload_context(request, round_, form, everything, rows, workers)
    context["reassign"] = reassign
    return render(request, "phasetransfer/coordination/workload.html", context)


def _reassign(
    request: HttpRequest,
    round_: Round,
    form: BoardFilterForm,
    rows: list[ProgressRow],
    reassign: ReassignForm,
) -> HttpResponse | None:
    if not reassign.is_valid():
        return None
    if reassign.cleaned_data["scope"] == ALL_MATCHING:
        if not form.is_valid():
            reassign.add_error("scope", "The filter is not valid: fix it first")
            return None
        case_ids = [row.case_id for row in rows]
    else:
        case_ids = reassign.cleaned_data["cases"]
    worker = reassign.assignee_user()
    if request.POST.get("confirm") != "yes":
        # Say how many and which before moving anyone's cases; the confirmation names the
        # cases themselves, so exactly those shown are moved.
        chosen = Case.objects.filter(pk__in=case_ids).order_by("reference")
        return render(
            request,
            "phasetransfer/coordination/reassign_confirm.html",
            {
                "round": round_,
                "worker": worker,
                "cases": list(chosen.values("pk", "reference")),
                "query": form.query() if form.is_valid() else "",
            },
        )
    actor = request.user if isinstance(request.user, User) else None
    try:
        moved = cases_reassign(case_ids=case_ids, caseworker=worker, actor=actor)
    except ReassignRefused as refused:
        reassign.add_error("assignee", str(refused))
        return None
    messages.success(request, f"{moved} case(s) given to {worker}")
    url = reverse("coordination-workload", args=[round_.pk])
    query = form.query() if form.is_valid() else ""
    return redirect(f"{url}?{query}" if query else url)


@role_required(*READERS)
def figures_view(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    now = clock.now()
    context = round_figures.figures_page(round_=round_, now=now)
    return render(request, "phasetransfer/coordination/figures.html", context)
