"""Recording GOV.UK Notify's delivery receipts on the outbox rows they are about."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from phasetransfer.core import clock
from phasetransfer.models import DeliveryStatus, OutboundEmail

logger = logging.getLogger(__name__)


class ReceiptRefused(Exception):
    """A receipt that cannot be recorded; the message says why (no personal data)."""


def _row(payload: dict[str, Any]) -> OutboundEmail | None:
    """The row by Notify's id, or by our reference (the row's key) when the id is new to us
    (an attempt whose answer was lost before we stored the id)."""
    try:
        notify_id = uuid.UUID(str(payload.get("id", "")))
    except ValueError as exc:
        raise ReceiptRefused("id is not a Notify notification id") from exc
    found = OutboundEmail.objects.filter(notify_id=notify_id).first()
    if found is None and payload.get("reference"):
        found = OutboundEmail.objects.filter(key=str(payload["reference"])).first()
        if found is not None and found.notify_id is None:
            OutboundEmail.objects.filter(pk=found.pk, notify_id=None).update(notify_id=notify_id)
    return found


def delivery_receipt_record(payload: dict[str, Any], *, now: dt.datetime | None = None) -> bool:
    """Record a delivery-status callback. False when no message of ours has that id.

    Receipts may arrive out of order (Notify retries); a final status is not replaced by
    an earlier "sending"."""
    status = str(payload.get("status", ""))
    if status not in DeliveryStatus.values:
        raise ReceiptRefused(f"unknown status {status[:40]!r}")
    row = _row(payload)
    if row is None:
        logger.warning("delivery receipt for a notification this service did not send")
        return False
    moment = now or clock.now()
    updates = OutboundEmail.objects.filter(pk=row.pk)
    if status in (DeliveryStatus.CREATED, DeliveryStatus.SENDING):
        updates = updates.filter(delivery_status__in=["", DeliveryStatus.CREATED])
    updates.update(delivery_status=status, delivery_updated_at=moment)
    return True
