"""Reads of what was delivered and what was not."""

from __future__ import annotations

from django.db.models import QuerySet

from phasetransfer.models import UNDELIVERED, OutboundEmail, Round


def undelivered(*, round_: Round) -> QuerySet[OutboundEmail]:
    """The round's messages Notify could not deliver, the latest news first."""
    return (
        OutboundEmail.objects.filter(case__round=round_, delivery_status__in=UNDELIVERED)
        .select_related("case__child")
        .order_by("-delivery_updated_at", "-pk")
    )


def undelivered_count(round_: Round) -> int:
    return undelivered(round_=round_).count()
