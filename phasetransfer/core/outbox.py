"""The email outbox: enqueue in the caller's transaction, send from a worker, at least once.

Each email has one recipient and a key saying what it is for; enqueueing the
same key twice yields one email. A worker claims a row with a conditional
UPDATE before sending, so two workers never send the same row. A failed send
is retried with backoff by the every-minute flush, never by an ETA task.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse

from phasetransfer.core import clock
from phasetransfer.models import Case, EmailStatus, OutboundEmail

logger = logging.getLogger(__name__)


def _stale_claim() -> dt.timedelta:
    """A claim older than this belonged to a worker that died mid-send."""
    return dt.timedelta(seconds=settings.EMAIL_STALE_CLAIM_SECONDS)


def site_url(name: str, *args: object) -> str:
    """An absolute link to a page of the service, as emails and letters need."""
    return settings.SITE_URL + reverse(name, args=args)


def email_enqueue(
    *,
    key: str,
    kind: str,
    to: str,
    subject: str,
    body: str,
    case: Case | None = None,
    now: dt.datetime | None = None,
) -> OutboundEmail:
    moment = now or clock.now()
    email, created = OutboundEmail.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "to": to,
            "subject": subject,
            "body": body,
            "case": case,
            "created_at": moment,
            "next_attempt_at": moment,
        },
    )
    if created:
        from phasetransfer.core.tasks import send_email

        transaction.on_commit(lambda: send_email.delay(email.pk))
    return email


def _claim(email_id: int, now: dt.datetime) -> bool:
    claimable = Q(status__in=[EmailStatus.PENDING, EmailStatus.FAILED], next_attempt_at__lte=now)
    stale = Q(status=EmailStatus.SENDING, claimed_at__lt=now - _stale_claim())
    claimed = OutboundEmail.objects.filter(claimable | stale, pk=email_id).update(
        status=EmailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    return claimed == 1


def _message_id(email: OutboundEmail) -> str:
    digest = hashlib.sha256(email.key.encode()).hexdigest()[:16]
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1]
    return f"<outbox-{email.pk}.{digest}@{domain}>"


def recipient_allowed(address: str) -> bool:
    allowed = settings.EMAIL_RECIPIENT_ALLOWLIST
    if not allowed:
        return True
    domain = address.rsplit("@", 1)[-1].lower()
    return any(domain == d or domain.endswith("." + d) for d in allowed)


def email_send(*, email_id: int, now: dt.datetime | None = None) -> bool:
    """Send one email if it is due and nobody else holds it. True if this call sent it."""
    moment = now or clock.now()
    if not _claim(email_id, moment):
        return False
    email = OutboundEmail.objects.get(pk=email_id)
    if not recipient_allowed(email.to):
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=EmailStatus.SUPPRESSED,
            last_error="recipient not on this deployment's allow-list",
        )
        return False
    message = EmailMessage(
        subject=email.subject,
        body=email.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        # The same Message-ID on every attempt, so a retry after an unclear failure can be
        # recognised as the same message by the receiving system.
        headers={
            "X-Phasetransfer-Kind": email.kind,
            "Message-ID": _message_id(email),
        },
    )
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # any transport failure is retried later
        _record_failure(email, exc, moment)
        return False
    OutboundEmail.objects.filter(pk=email.pk, status=EmailStatus.SENDING).update(
        status=EmailStatus.SENT, sent_at=clock.now(), last_error=""
    )
    return True


def _record_failure(email: OutboundEmail, exc: Exception, now: dt.datetime) -> None:
    # The error text may echo the address back; keep the class and a short code only.
    error = f"{type(exc).__name__}: {getattr(exc, 'smtp_code', '')}".strip()
    backoff = settings.EMAIL_BACKOFF_SECONDS
    if email.attempts >= len(backoff):
        status, next_attempt = EmailStatus.ABANDONED, now
    else:
        status = EmailStatus.FAILED
        next_attempt = now + dt.timedelta(seconds=backoff[email.attempts - 1])
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=status, last_error=error[:300], next_attempt_at=next_attempt
    )
    logger.warning("email %s attempt %s failed: %s", email.pk, email.attempts, error)


def emails_due(*, now: dt.datetime | None = None, limit: int = 1000) -> list[int]:
    """Emails a flush should hand out again: failed and due, left pending (their task was
    lost), or claimed by a worker that died. A new email's own task is not duplicated."""
    moment = now or clock.now()
    lost = moment - _stale_claim()
    due = Q(status=EmailStatus.FAILED, next_attempt_at__lte=moment)
    pending = Q(status=EmailStatus.PENDING, next_attempt_at__lte=lost)
    stale = Q(status=EmailStatus.SENDING, claimed_at__lt=lost)
    return list(
        OutboundEmail.objects.filter(due | pending | stale)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def email_retry(*, email_id: int, now: dt.datetime | None = None) -> bool:
    """Staff asked to try an abandoned or failed email again, now."""
    moment = now or clock.now()
    updated = OutboundEmail.objects.filter(
        pk=email_id, status__in=[EmailStatus.FAILED, EmailStatus.ABANDONED]
    ).update(status=EmailStatus.PENDING, next_attempt_at=moment, attempts=0)
    if updated:
        from phasetransfer.core.tasks import send_email

        transaction.on_commit(lambda: send_email.delay(email_id))
    return bool(updated)
