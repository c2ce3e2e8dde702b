"""The pack's print version (PDF), rendered by a Celery worker and stored.

Rendering a session's pack takes seconds (2.8-9.3 s measured for 40 cases), too long for
a web request. The page asks for the version its reader may see; the first request for
that version queues one render (a unique row, so a double click queues one), and later
requests are served the stored file until a decision or the session's cases change.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from panels.models import Decision, PackPdf, PanelCase, PanelSession
from panels.pack import pack_entries, render_pdf
from phasetransfer.core import clock
from phasetransfer.models import RunStatus

logger = logging.getLogger(__name__)


def pack_version(session: PanelSession, readable: QuerySet[PanelCase]) -> tuple[str, list[int]]:
    """What a reader's pack shows, as a short hash: the cases they may read, the last
    decision recorded in the session, and the session's sign-off (the pack says it)."""
    case_ids = sorted(readable.values_list("case_id", flat=True))
    last_decision = Decision.objects.filter(session=session).aggregate(m=Max("id"))["m"]
    last_case_change = PanelCase.objects.filter(session=session).aggregate(
        m=Max("id"), removed=Max("removed_at")
    )
    parts = [
        str(session.pk),
        ",".join(map(str, case_ids)),
        str(last_decision),
        str(last_case_change["m"]),
        str(last_case_change["removed"]),
        str(session.signed_off_at),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32], case_ids


def pack_pdf_request(session: PanelSession, readable: QuerySet[PanelCase]) -> PackPdf:
    """The stored render of this reader's version, queueing it if there is none (or the
    last try failed). Never renders in the request."""
    version, case_ids = pack_version(session, readable)
    existing = PackPdf.objects.filter(session=session, version=version).first()
    if existing is not None and existing.status != RunStatus.FAILED:
        return existing
    if existing is not None:
        existing.delete()  # try again
    try:
        with transaction.atomic():
            row = PackPdf.objects.create(
                session=session, version=version, case_ids=case_ids, requested_at=clock.now()
            )
    except IntegrityError:  # the other tab or click queued it a moment ago
        return PackPdf.objects.get(session=session, version=version)
    from panels.tasks import render_pack_pdf

    transaction.on_commit(lambda: render_pack_pdf.delay(row.pk))
    return row


def pack_pdf_render(*, pdf_id: int) -> PackPdf | None:
    """Render a queued pack PDF; a row already claimed (a redelivery) is left alone."""
    claimed = PackPdf.objects.filter(pk=pdf_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING
    )
    if not claimed:
        return None
    row = PackPdf.objects.select_related("session__round").get(pk=pdf_id)
    started = time.perf_counter()
    try:
        session = row.session
        entries = pack_entries(
            PanelCase.objects.filter(session=session, case_id__in=row.case_ids, removed_at=None)
        )
        members = session.members.select_related("user", "school").order_by("user__full_name")
        pdf = render_pdf(
            "panels/pack_print.html",
            {
                "session": session,
                "entries": entries,
                "members": members,
                "printed_at": timezone.now(),
            },
        )
    except Exception as exc:
        logger.exception("pack PDF %s failed", pdf_id)
        PackPdf.objects.filter(pk=pdf_id).update(
            status=RunStatus.FAILED, error=type(exc).__name__, finished_at=clock.now()
        )
        raise
    PackPdf.objects.filter(pk=pdf_id).update(
        status=RunStatus.DONE,
        pdf=pdf,
        seconds=round(time.perf_counter() - started, 2),
        finished_at=clock.now(),
    )
    row.refresh_from_db()
    return row
