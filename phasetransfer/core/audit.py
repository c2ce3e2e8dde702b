from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from phasetransfer.core import clock
from phasetransfer.models import AuditEvent, Case, User


def actor_label(actor: User | None, *, system_label: str = "system") -> str:
    if actor is None:
        return system_label
    return f"user:{actor.pk}"


def audit_record(
    *,
    case: Case,
    action: str,
    actor: User | None,
    reason: str = "",
    from_state: str = "",
    to_state: str = "",
    data: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
    system_label: str = "system",
) -> AuditEvent:
    """Write one audit event. ``data`` holds ids and codes, never free-text personal data."""
    return AuditEvent.objects.create(
        case=case,
        at=now or clock.now(),
        actor=actor,
        actor_label=actor_label(actor, system_label=system_label),
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
    )


def audit_record_bulk(
    *,
    events: Iterable[tuple[int, dict[str, Any]]],
    action: str,
    actor: User | None,
    now: dt.datetime,
    reason: str = "",
    from_state: str = "",
    to_state: str = "",
) -> int:
    """``audit_record`` for many cases at once: ``events`` gives each case id and its data.

    For bulk changes (state moves, reassignments, panel placements), written in batches
    inside the caller's transaction. Returns how many events were written.
    """
    label = actor_label(actor)
    rows = [
        AuditEvent(
            case_id=case_id,
            at=now,
            actor=actor,
            actor_label=label,
            action=action,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            data=data,
        )
        for case_id, data in events
    ]
    AuditEvent.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
