from __future__ import annotations

import datetime as dt
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
