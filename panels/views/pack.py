"""The panel pack and minutes (HTML, PDF, CSV), and the landing page of panel members."""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from panels.pack import (
    MinuteLine,
    PackEntry,
    minute_lines,
    minutes_csv,
    pack_entries,
    render_pdf,
)
from panels.selectors import (
    decisions_for_user,
    is_chair,
    panel_cases_for_user,
    session_for_user,
    sessions_for_user,
)
from phasetransfer.core import clock
from phasetransfer.core.access import role_required
from phasetransfer.core.roles import Role
from phasetransfer.models import AccessAction, User
from phasetransfer.security.access_log import cases_access_record

READERS = (Role.PANEL_MEMBER, Role.PANEL_CHAIR, Role.CASEWORKER, Role.ADMINISTRATOR)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@role_required(*READERS)
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    now = clock.now()
    rows = [
        (session, panel_cases_for_user(user, session).count(), is_chair(user, session))
        for session in sessions_for_user(user).order_by("starts_at", "id")
    ]
    return render(
        request,
        "panels/home.html",
        {
            "upcoming": [r for r in rows if r[0].starts_at >= now or not r[0].is_signed_off],
            "past": [r for r in rows if r[0].starts_at < now and r[0].is_signed_off],
        },
    )


def _pack_context(request: HttpRequest, session_id: int) -> dict[str, object]:
    user = _user(request)
    session = session_for_user(user, session_id)
    return {
        "session": session,
        "entries": pack_entries(panel_cases_for_user(user, session)),
        "members": session.members.select_related("user", "school").order_by("user__full_name"),
        "is_chair": is_chair(user, session),
        "printed_at": clock.now(),
    }


def _attachment(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _record_pack(request: HttpRequest, context: dict[str, object], action: str) -> None:
    entries: list[PackEntry] = context["entries"]  # type: ignore[assignment]
    cases_access_record(
        request=request, case_ids=[e.panel_case.case_id for e in entries], action=action
    )


def _record_minutes(request: HttpRequest, context: dict[str, object]) -> None:
    lines: list[MinuteLine] = context["lines"]  # type: ignore[assignment]
    cases_access_record(
        request=request,
        case_ids=[line.decision.case_id for line in lines],
        action=AccessAction.DOWNLOAD,
    )


@role_required(*READERS)
def pack(request: HttpRequest, session_id: int) -> HttpResponse:
    context = _pack_context(request, session_id)
    _record_pack(request, context, AccessAction.VIEW)
    return render(request, "panels/pack.html", context)


@role_required(*READERS)
def pack_pdf(request: HttpRequest, session_id: int) -> HttpResponse:
    started = time.perf_counter()
    context = _pack_context(request, session_id)
    _record_pack(request, context, AccessAction.DOWNLOAD)
    pdf = render_pdf("panels/pack_print.html", context)
    response = _attachment(pdf, "application/pdf", f"panel-{session_id}-pack.pdf")
    response["Server-Timing"] = f"render;dur={(time.perf_counter() - started) * 1000:.0f}"
    return response


def _minutes_context(request: HttpRequest, session_id: int) -> dict[str, object]:
    user = _user(request)
    session = session_for_user(user, session_id)
    return {
        "session": session,
        "lines": minute_lines(session, decisions_for_user(user, session)),
        "printed_at": clock.now(),
    }


@role_required(*READERS)
def minutes_as_csv(request: HttpRequest, session_id: int) -> HttpResponse:
    context = _minutes_context(request, session_id)
    _record_minutes(request, context)
    body = minutes_csv(context["lines"])  # type: ignore[arg-type]
    return _attachment(body, "text/csv; charset=utf-8", f"panel-{session_id}-minutes.csv")


@role_required(*READERS)
def minutes_as_pdf(request: HttpRequest, session_id: int) -> HttpResponse:
    context = _minutes_context(request, session_id)
    _record_minutes(request, context)
    pdf = render_pdf("panels/minutes_print.html", context)
    return _attachment(pdf, "application/pdf", f"panel-{session_id}-minutes.pdf")
