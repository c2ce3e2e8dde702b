"""Recording who opened which case, reading the trail back, and pruning it by round.

Views that show one case call :func:`case_access_record` (one INSERT); pages that show
many cases at once (the panel pack, list pages, exports) call :func:`cases_access_record`
(one bulk INSERT).
Nothing of the page's content is kept: the case, the user, the moment, the kind of
access and the URL name.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest

from phasetransfer.core import clock
from phasetransfer.models import (
    AccessAction,
    AuditEvent,
    AuditRetention,
    Case,
    CaseAccess,
    Round,
)

_READS = frozenset({"GET", "HEAD", "OPTIONS"})


def _path_name(request: HttpRequest) -> str:
    match = request.resolver_match
    return (match.view_name if match else "")[:80]


def _user_id(request: HttpRequest) -> int | None:
    user = request.user
    return user.pk if user.is_authenticated else None


def case_access_record(
    *,
    request: HttpRequest,
    case: Case,
    action: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """One row: this request's user opened (GET) or acted on (POST) ``case``."""
    CaseAccess.objects.create(
        case_id=case.pk,
        user_id=_user_id(request),
        at=now or clock.now(),
        action=action or (AccessAction.VIEW if request.method in _READS else AccessAction.CHANGE),
        path_name=_path_name(request),
    )


def cases_access_record(
    *,
    request: HttpRequest,
    case_ids: Iterable[int],
    action: str = AccessAction.VIEW,
    now: dt.datetime | None = None,
) -> None:
    """One row per case shown on a page of many cases, in a single INSERT."""
    at, user_id, name = now or clock.now(), _user_id(request), _path_name(request)
    CaseAccess.objects.bulk_create(
        CaseAccess(case_id=pk, user_id=user_id, at=at, action=action, path_name=name)
        for pk in sorted(set(case_ids))
    )


# --- Reading the trail (the administrator's page and its CSV) ---------------------------


@dataclass(frozen=True)
class TrailFilter:
    reference: str = ""
    user_email: str = ""
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive


@dataclass(frozen=True)
class TrailRow:
    at: dt.datetime
    case_reference: str
    user_email: str
    kind: str  # "view", "change", "download", or "event" for an audit event
    what: str  # the page's URL name, or the audit event's action
    row_id: int

    @property
    def sort_key(self) -> tuple[dt.datetime, int]:
        return (self.at, self.row_id)


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=clock.LONDON)


def _filter(queryset: QuerySet, wanted: TrailFilter, user_field: str) -> QuerySet:
    if wanted.reference:
        queryset = queryset.filter(case__reference__iexact=wanted.reference.strip())
    if wanted.user_email:
        queryset = queryset.filter(**{f"{user_field}__email__iexact": wanted.user_email.strip()})
    if wanted.since:
        queryset = queryset.filter(at__gte=_day_start(wanted.since))
    if wanted.until:
        queryset = queryset.filter(at__lt=_day_start(wanted.until + dt.timedelta(days=1)))
    return queryset


def _accesses(wanted: TrailFilter) -> Iterator[TrailRow]:
    rows = _filter(CaseAccess.objects.all(), wanted, "user").order_by("-at", "-id")
    for at, pk, ref, email, action, name in rows.values_list(
        "at", "id", "case__reference", "user__email", "action", "path_name"
    ).iterator(chunk_size=2000):
        yield TrailRow(at, ref, email or "(account deleted)", action, name, pk)


def _events(wanted: TrailFilter) -> Iterator[TrailRow]:
    rows = _filter(AuditEvent.objects.all(), wanted, "actor").order_by("-at", "-id")
    for at, pk, ref, email, label, action in rows.values_list(
        "at", "id", "case__reference", "actor__email", "actor_label", "action"
    ).iterator(chunk_size=2000):
        yield TrailRow(at, ref, email or label, "event", action, pk)


def audit_trail(wanted: TrailFilter) -> Iterator[TrailRow]:
    """Page accesses and audit events matching ``wanted``, newest first, merged lazily."""
    return heapq.merge(_accesses(wanted), _events(wanted), key=lambda r: r.sort_key, reverse=True)


# --- Retention -----------------------------------------------------------------------------


def retention_days(round_: Round) -> int:
    found = AuditRetention.objects.filter(round=round_).values_list("days", flat=True).first()
    return found or settings.AUDIT_ACCESS_RETENTION_DAYS


def retention_set(*, round_: Round, days: int) -> AuditRetention:
    retention, _ = AuditRetention.objects.update_or_create(round=round_, defaults={"days": days})
    return retention


@dataclass(frozen=True)
class PruneLine:
    round: Round
    days: int
    before: dt.datetime
    rows: int


def _expired(round_: Round, now: dt.datetime) -> tuple[int, dt.datetime, QuerySet[CaseAccess]]:
    days = retention_days(round_)
    before = now - dt.timedelta(days=days)
    return days, before, CaseAccess.objects.filter(case__round=round_, at__lt=before)


def access_log_prune(*, now: dt.datetime, dry_run: bool) -> list[PruneLine]:
    """Delete (or, dry, count) each round's access rows older than its retention.

    Only the access log is pruned. Audit events are the record of what was decided and
    changed, kept with the case.
    """
    lines = []
    for round_ in Round.objects.order_by("id"):
        days, before, expired = _expired(round_, now)
        count = expired.count() if dry_run else expired.delete()[0]
        lines.append(PruneLine(round_, days, before, count))
    return lines
