"""Reads of the outbox for staff pages: which emails of a round need a person's eye."""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When

from phasetransfer.models import Channel, DeliveryStatus, EmailStatus, OutboundEmail

# Emails a person may have to act on, as the officer's page lists them.
PROBLEM_STATUSES = (EmailStatus.UNKNOWN, EmailStatus.FAILED, EmailStatus.ABANDONED)


def round_email_problems(
    *, round_id: int, kind: str | None = "offer_day", limit: int = 100
) -> QuerySet[OutboundEmail]:
    """A round's emails that may not have arrived: those that may have been delivered
    (UNKNOWN: a retry could be a second copy) first, then given up, then failing."""
    emails = OutboundEmail.objects.filter(case__round_id=round_id, status__in=PROBLEM_STATUSES)
    if kind is not None:
        emails = emails.filter(kind=kind)
    order = Case(
        When(status=EmailStatus.UNKNOWN, then=Value(0)),
        When(status=EmailStatus.ABANDONED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return emails.select_related("case").order_by(order, "created_at", "pk")[:limit]


def round_email_counts(
    *, round_id: int, kind: str | None = "offer_day", channel: str = Channel.EMAIL
) -> dict[str, int]:
    """How many of a round's messages of ``channel`` (emails unless said) are in each status
    (every status, zero if none)."""
    emails = OutboundEmail.objects.filter(case__round_id=round_id, channel=channel)
    if kind is not None:
        emails = emails.filter(kind=kind)
    counts = {status: 0 for status in EmailStatus.values}
    for row in emails.values("status").annotate(n=Count("pk")).order_by():
        counts[row["status"]] = row["n"]
    return counts


def round_notify_letters(*, round_id: int) -> tuple[int, int]:
    """Offer-day letters handed to Notify to print, and those Notify says it has posted."""
    letters = OutboundEmail.objects.filter(case__round_id=round_id, channel=Channel.LETTER)
    handed = letters.filter(status=EmailStatus.SENT).count()
    posted = letters.filter(delivery_status=DeliveryStatus.RECEIVED).count()
    return handed, posted


def round_texts_sent(*, round_id: int, kind: str = "offer_day") -> int:
    return OutboundEmail.objects.filter(
        case__round_id=round_id, kind=kind, channel=Channel.SMS, status=EmailStatus.SENT
    ).count()
