"""Officers' pages: a round's sessions, creating and editing them, members, calendar import,
the round's panel settings, and running the scheduler (a run done by a worker: the round's
page shows its progress, then its report)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from panels.forms import CalendarForm, MemberForm, SessionForm, SettingsForm
from panels.models import PanelMember, PanelSession, SchedulingRun
from panels.selectors import (
    last_panel_day,
    panel_settings_for,
    scheduling_cutoff,
    sessions_for_user,
)
from panels.services.calendar import REQUIRED_COLUMNS, calendar_import
from panels.services.rounds import panel_settings_update
from panels.services.scheduling import SchedulingBusy, scheduling_request
from panels.services.sessions import (
    SessionRefused,
    member_account,
    member_remove,
    member_seat,
    membership_fixed,
    session_create,
    session_update,
)
from phasetransfer.core import clock
from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.csvfile import CsvRejected, read_upload
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, CaseState, Round, RunStatus

MANAGERS = (Role.PANEL_CHAIR, Role.CASEWORKER, Role.ADMINISTRATOR)


@dataclass(frozen=True)
class SessionRow:
    """A session as the round's page lists it."""

    session: PanelSession
    cases: int
    seats: int
    after_cutoff: bool

    @property
    def fill(self) -> float:
        return self.cases / self.session.case_limit


@dataclass(frozen=True)
class SchedulingState:
    """What the round's page shows of scheduling runs."""

    latest: SchedulingRun | None  # the newest run, whatever its status
    last_done: SchedulingRun | None  # the newest finished run: its report is shown
    stalled: bool  # the newest run is queued or running but shows no sign of life

    @property
    def running(self) -> bool:
        return self.latest is not None and self.latest.is_active and not self.stalled


def _scheduling_state(round_: Round, now: dt.datetime) -> SchedulingState:
    runs = SchedulingRun.objects.filter(round=round_).select_related("requested_by")
    latest = runs.first()
    last_done = runs.filter(status=RunStatus.DONE).first()
    return SchedulingState(latest, last_done, latest is not None and latest.is_stale(now=now))


def _round_context(round_: Round) -> dict[str, object]:
    live = Q(panel_cases__removed_at=None)
    sessions = (
        PanelSession.objects.filter(round=round_)
        .select_related("chair")
        .annotate(
            cases=Count("panel_cases", filter=live, distinct=True),
            seats=Count("members", distinct=True),
        )
        .order_by("send_area", "starts_at", "id")
    )
    settings = panel_settings_for(round_)
    cutoff = scheduling_cutoff(round_, settings.approval_days)
    by_area: dict[str, list[SessionRow]] = defaultdict(list)
    for session in sessions:
        row = SessionRow(session, session.cases, session.seats, session.starts_at >= cutoff)
        by_area[session.send_area].append(row)
    return {
        "round": round_,
        "areas": sorted(by_area.items()),
        "waiting": Case.objects.filter(round=round_, state=CaseState.PROPOSED).count(),
        "scheduling": _scheduling_state(round_, clock.now()),
        "last_panel_day": last_panel_day(round_, settings.approval_days),
        "settings_form": SettingsForm(initial={"approval_days": settings.approval_days}),
    }


@role_required(*MANAGERS)
def round_panels(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    return render(request, "panels/round.html", _round_context(round_))


@require_POST
@role_required(*MANAGERS)
def round_settings(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    form = SettingsForm(request.POST)
    if not form.is_valid():
        context = _round_context(round_) | {"settings_form": form}
        return render(request, "panels/round.html", context, status=400)
    panel_settings_update(round_=round_, approval_days=form.cleaned_data["approval_days"])
    messages.success(request, "Panel settings saved")
    return redirect("panels-round", round_id=round_id)


@require_POST
@role_required(*MANAGERS)
def schedule(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    """Start a scheduling run and return at once: a worker solves it, the page follows it."""
    round_ = get_object_or_404(Round, pk=round_id)
    try:
        scheduling_request(
            round_=round_, actor=request.user, rebuild=request.POST.get("rebuild") == "yes"
        )
    except SchedulingBusy as busy:
        messages.error(request, str(busy))
    else:
        messages.success(
            request, "Scheduling has started. This page shows its progress, then its report."
        )
    return redirect("panels-round", round_id=round_id)


def _save_session(
    form: SessionForm, *, round_: Round, session: PanelSession | None
) -> PanelSession | None:
    """The session created or updated from a valid form, or None (errors on the form)."""
    if not form.is_valid():
        return None
    try:
        if session is None:
            return session_create(round_=round_, details=form.details())
        return session_update(session=session, details=form.details())
    except SessionRefused as refused:
        form.add_error(refused.field if refused.field in form.fields else None, str(refused))
        return None


@role_required(*MANAGERS)
def session_new(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and (saved := _save_session(form, round_=round_, session=None)):
        messages.success(request, "Panel session created")
        return redirect("panels-session", session_id=saved.pk)
    return render(request, "panels/session_form.html", {"round": round_, "form": form})


@role_required(*MANAGERS)
def session_edit(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(PanelSession.objects.select_related("round"), pk=session_id)
    form = SessionForm(request.POST or None, session=session)
    if request.method == "POST" and _save_session(form, round_=session.round, session=session):
        messages.success(request, "Panel session saved")
        return redirect("panels-session", session_id=session.pk)
    return render(
        request,
        "panels/session_form.html",
        {"round": session.round, "form": form, "session": session},
    )


def _session_page(
    request: AuthenticatedRequest, session: PanelSession, form: MemberForm, status: int = 200
) -> HttpResponse:
    members = session.members.select_related("user", "school").order_by("user__full_name")
    return render(
        request,
        "panels/session.html",
        {
            "session": session,
            "members": members,
            "form": form,
            "cases": session.panel_cases.filter(removed_at=None).count(),
            "membership_fixed": membership_fixed(session),
            "can_read_pack": sessions_for_user(request.user).filter(pk=session.pk).exists(),
        },
        status=status,
    )


@role_required(*MANAGERS)
def session_detail(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(
        PanelSession.objects.select_related("round", "chair"), pk=session_id
    )
    return _session_page(request, session, MemberForm())


@require_POST
@role_required(*MANAGERS)
def member_add(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(
        PanelSession.objects.select_related("round", "chair"), pk=session_id
    )
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            user = member_account(form.cleaned_data["email"])
            member_seat(
                session=session,
                user=user,
                school=form.cleaned_data["school_urn"],
                role_title=form.cleaned_data["role_title"],
            )
        except SessionRefused as refused:
            form.add_error("email", str(refused))
        else:
            messages.success(request, f"{user} added to the panel")
            return redirect("panels-session", session_id=session.pk)
    return _session_page(request, session, form, status=400)


@require_POST
@role_required(*MANAGERS)
def member_delete(request: AuthenticatedRequest, session_id: int, member_id: int) -> HttpResponse:
    member = get_object_or_404(
        PanelMember.objects.select_related("user"), pk=member_id, session_id=session_id
    )
    try:
        member_remove(member=member)
    except SessionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"{member.user} removed from the panel")
    return redirect("panels-session", session_id=session_id)


@role_required(*MANAGERS)
def calendar_upload(request: AuthenticatedRequest, round_id: int) -> HttpResponse:
    round_ = get_object_or_404(Round, pk=round_id)
    form = CalendarForm(request.POST or None, request.FILES or None)
    report, rejected = None, ""
    if request.method == "POST" and form.is_valid():
        try:
            report = calendar_import(round_=round_, source=read_upload(form.cleaned_data["file"]))
        except CsvRejected as exc:
            rejected = f"{exc} Nothing was imported."
        if report is not None and report.ok:
            messages.success(request, report.summary())
            for warning in report.warnings:
                messages.warning(request, str(warning))
            return redirect("panels-round", round_id=round_id)
    return render(
        request,
        "panels/import.html",
        {
            "round": round_,
            "form": form,
            "report": report,
            "rejected": rejected,
            "required": REQUIRED_COLUMNS,
        },
        status=400 if (report is not None or rejected) else 200,
    )
