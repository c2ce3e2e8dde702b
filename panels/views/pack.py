"""The panel pack and minutes (HTML, PDF, CSV), and the landing page of panel members."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
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
from panels.services.pack_pdf import pack_pdf_request
from phasetransfer.core import clock
from phasetransfer.core.access import AuthenticatedRequest, role_required
from phasetransfer.core.roles import Role
from phasetransfer.models import AccessAction, RunStatus
from phasetransfer.security.access_log import cases_access_record

READERS = (Role.PANEL_MEMBER, Role.PANEL_CHAIR, Role.CASEWORKER, Role.ADMINISTRATOR)


@role_required(*READERS)
def home(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
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


def _pack_context(
    request: AuthenticatedRequest, session_id: int
) -> tuple[list[PackEntry], dict[str, object]]:
    """The session's pack entries this user may read, and the page's context."""
    user = request.user
    session = session_for_user(user, session_id)
    entries = pack_entries(panel_cases_for_user(user, session))
    return entries, {
        "session": session,
        "entries": entries,
        "members": session.members.select_related("user", "school").order_by("user__full_name"),
        "is_chair": is_chair(user, session),
        "printed_at": clock.now(),
    }


def _attachment(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _record_pack(request: HttpRequest, entries: list[PackEntry], action: str) -> None:
    cases_access_record(
        request=request, case_ids=[e.panel_case.case_id for e in entries], action=action
    )


def _record_minutes(request: HttpRequest, lines: list[MinuteLine]) -> None:
    cases_access_record(
        request=request,
        case_ids=[line.decision.case_id for line in lines],
        action=AccessAction.DOWNLOAD,
    )


@role_required(*READERS)
def pack(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    """The session's summary: its cases, what is decided and what is left (each case has
    its own page; the PDF is the print version of them all)."""
    entries, context = _pack_context(request, session_id)
    _record_pack(request, entries, AccessAction.VIEW)
    decided = sum(1 for entry in entries if entry.decision is not None)
    return render(
        request,
        "panels/pack.html",
        {**context, "decided": decided, "left": len(entries) - decided},
    )


@role_required(*READERS)
def pack_case(request: AuthenticatedRequest, session_id: int, case_id: int) -> HttpResponse:
    """One case of the pack, with the previous and next cases of the session."""
    user = request.user
    session = session_for_user(user, session_id)
    readable = panel_cases_for_user(user, session)
    order = list(readable.order_by("case__reference").values_list("case_id", "case__reference"))
    ids = [case for case, _reference in order]
    if case_id not in ids:
        raise Http404("No such case in this pack")
    entries = pack_entries(readable.filter(case_id=case_id))
    _record_pack(request, entries, AccessAction.VIEW)
    index = ids.index(case_id)
    return render(
        request,
        "panels/pack_case.html",
        {
            "session": session,
            "entry": entries[0],
            "is_chair": is_chair(user, session),
            "position": index + 1,
            "count": len(ids),
            "previous": order[index - 1] if index > 0 else None,
            "next": order[index + 1] if index + 1 < len(order) else None,
        },
    )


@role_required(*READERS)
def pack_pdf(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    """The print version: the stored file when it is ready, else a page that waits for the
    worker rendering it (it takes seconds) and refreshes itself."""
    user = request.user
    session = session_for_user(user, session_id)
    readable = panel_cases_for_user(user, session)
    stored = pack_pdf_request(session, readable)
    if stored.status != RunStatus.DONE or stored.pdf is None:
        return render(
            request,
            "panels/pack_pdf_wait.html",
            {"session": session, "pdf": stored},
        )
    cases_access_record(request=request, case_ids=stored.case_ids, action=AccessAction.DOWNLOAD)
    response = _attachment(bytes(stored.pdf), "application/pdf", f"panel-{session_id}-pack.pdf")
    response["Server-Timing"] = (
        f'render;desc="rendered ahead";dur={(stored.seconds or 0) * 1000:.0f}'
    )
    return response


def _minutes_context(
    request: AuthenticatedRequest, session_id: int
) -> tuple[list[MinuteLine], dict[str, object]]:
    """The session's minute lines this user may read, and the page's context."""
    user = request.user
    session = session_for_user(user, session_id)
    lines = minute_lines(session, decisions_for_user(user, session))
    return lines, {
        "session": session,
        "lines": lines,
        "printed_at": clock.now(),
    }


@role_required(*READERS)
def minutes_as_csv(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    lines, _context = _minutes_context(request, session_id)
    _record_minutes(request, lines)
    body = minutes_csv(lines)
    return _attachment(body, "text/csv; charset=utf-8", f"panel-{session_id}-minutes.csv")


@role_required(*READERS)
def minutes_as_pdf(request: AuthenticatedRequest, session_id: int) -> HttpResponse:
    lines, context = _minutes_context(request, session_id)
    _record_minutes(request, lines)
    pdf = render_pdf("panels/minutes_print.html", context)
    return _attachment(pdf, "application/pdf", f"panel-{session_id}-minutes.pdf")
