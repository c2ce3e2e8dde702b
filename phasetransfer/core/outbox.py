"""The email outbox: enqueue in the caller's transaction, send from a worker, honestly.

Each email has one recipient and a key saying what it is for; enqueueing the
same key twice yields one email. A worker claims a row with a conditional
UPDATE (and a token that every later write of the attempt must match), so two
workers never send the same row. An attempt runs in phases (docs/email-delivery.md):

1. connect (TCP, TLS, log in) and build the message. A failure here handed nothing
   over: FAILED, retried with backoff by the every-minute flush, never by an ETA task.
2. commit ``handed_over_at`` on the row, on its own, then give the message to the
   server. If the server answers "no" (a 4xx/5xx reply), it did not take the
   message: FAILED, retried. If the attempt ends any other way (timeout, dropped
   connection, garbled reply), the server may have taken it: UNKNOWN ("may have been
   delivered"), never resent automatically; a person may send it again.
3. SENT.

A claim left in SENDING by a worker that died is handed out again only if it never
reached the marker; with the marker it becomes UNKNOWN. Every attempt carries the
same Message-ID, so a receiving system can drop a copy.

``email_send`` runs in a task, outside any transaction: the marker must be committed
before the message leaves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import smtplib
import uuid
from collections.abc import Iterable
from contextlib import suppress
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse

from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record_bulk
from phasetransfer.core.notify import notify_enabled, notify_lookup, notify_send
from phasetransfer.models import (
    Case,
    Channel,
    DeliveryStatus,
    EmailStatus,
    OutboundEmail,
    Provider,
    User,
)

logger = logging.getLogger(__name__)

# What a flush writes on a claim whose worker stopped after handing the message over.
STOPPED_AFTER_HANDOVER = "worker stopped after handing the message over: outcome unknown"
STOPPED_ASK_NOTIFY = "worker stopped after handing the message to Notify: Notify is asked first"
# What a person's Retry leaves on the row (and in the case's audit trail).
RETRIED_AFTER_FAILURE = "Sent again by a person after a failure"
RESENT_AFTER_UNKNOWN = (
    "Sent again by a person although it may have been delivered: a second copy is possible "
    "(same Message-ID)"
)


class NothingSent(Exception):
    """The mail backend returned without sending and without saying why."""


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
    channel: str = Channel.EMAIL,
    attachment: bytes | None = None,
) -> OutboundEmail:
    """Owe someone a message (in the caller's transaction); ``channel`` and ``attachment``
    for a text message or a letter's PDF (see ``phasetransfer.core.channels``)."""
    moment = now or clock.now()
    email, created = OutboundEmail.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "channel": channel,
            "attachment": attachment,
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


def _claim(email_id: int, now: dt.datetime) -> uuid.UUID | None:
    """Take the row for one attempt; the token returned must match every later write."""
    claimable = Q(status__in=[EmailStatus.PENDING, EmailStatus.FAILED], next_attempt_at__lte=now)
    # A worker that died before the hand-over left nothing at the server: safe to take over.
    stale = Q(
        status=EmailStatus.SENDING,
        claimed_at__lt=now - _stale_claim(),
        handed_over_at__isnull=True,
    )
    token = uuid.uuid4()
    claimed = OutboundEmail.objects.filter(claimable | stale, pk=email_id).update(
        status=EmailStatus.SENDING,
        claimed_at=now,
        claim_token=token,
        handed_over_at=None,
        attempts=F("attempts") + 1,
    )
    return token if claimed == 1 else None


def _attempt(email_id: int, token: uuid.UUID) -> QuerySet[OutboundEmail]:
    """The row, only while this attempt still holds it."""
    return OutboundEmail.objects.filter(pk=email_id, claim_token=token)


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


class ProviderFailed(Exception):
    """A provider's answer, already in words safe to keep (no address in them)."""


def _error(exc: BaseException) -> str:
    """The exception's class and SMTP code: its text may echo the address back."""
    if isinstance(exc, ProviderFailed):
        return str(exc)[:300]
    code = getattr(exc, "smtp_code", "")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code = ",".join(sorted({str(answer[0]) for answer in exc.recipients.values()}))
    return f"{type(exc).__name__}: {code}".strip()[:300]


def _server_refused(exc: BaseException) -> bool:
    """The server answered "no" (a 4xx or 5xx reply): it did not take the message."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True  # every recipient refused before DATA: nothing to deliver
    # SMTPSenderRefused, SMTPDataError...; a reply that was no number reads as code -1.
    return isinstance(exc, smtplib.SMTPResponseException) and 400 <= exc.smtp_code < 600


def _connect(email: OutboundEmail) -> tuple[BaseEmailBackend, EmailMessage]:
    """Phase 1: build the message and open the connection (TCP, TLS, log in)."""
    connection = get_connection(fail_silently=False)
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
        connection=connection,
    )
    try:
        message.message()  # a header that cannot be sent fails here, before the hand-over
        connection.open()
    except Exception:
        _close_quietly(connection)
        raise
    return connection, message


def _close_quietly(connection: BaseEmailBackend) -> None:
    # After a send the outcome is settled; QUIT failing changes nothing.
    with suppress(Exception):
        connection.close()


def _mark_handed_over(
    email_id: int, token: uuid.UUID, now: dt.datetime, provider: str = Provider.SMTP
) -> bool:
    """Phase 2 starts: committed (autocommit, its own statement) before the message leaves.
    The provider stays on the row: a later attempt knows whom to ask."""
    return (
        _attempt(email_id, token)
        .filter(status=EmailStatus.SENDING)
        .update(handed_over_at=now, provider=provider)
        == 1
    )


def _hand_over(connection: BaseEmailBackend, message: EmailMessage) -> int:
    """Give the message to the server: MAIL, RCPT, DATA and its answer."""
    return connection.send_messages([message])


def _record_sent(email_id: int, token: uuid.UUID, notify_id: str = "") -> None:
    """Phase 3. UNKNOWN too: a flush may have given up on this attempt while it waited."""
    notified: dict[str, object] = {"notify_id": notify_id} if notify_id else {}
    recorded = (
        _attempt(email_id, token)
        .filter(status__in=[EmailStatus.SENDING, EmailStatus.UNKNOWN])
        .update(status=EmailStatus.SENT, sent_at=clock.now(), last_error="", **notified)
    )
    if notify_id:
        # A receipt may have come first (it finds the row by its reference): keep its news.
        OutboundEmail.objects.filter(pk=email_id, delivery_status="").update(
            delivery_status=DeliveryStatus.CREATED
        )
    if not recorded:
        logger.warning("email %s was sent but its row had moved on (a person's retry)", email_id)


def _record_failure(
    email: OutboundEmail,
    token: uuid.UUID,
    exc: BaseException,
    now: dt.datetime,
    *,
    permanent: bool = False,
) -> None:
    """Nothing was delivered: try again after the backoff, or give up after the last (or at
    once, when sending again cannot help)."""
    error = _error(exc)
    backoff = settings.EMAIL_BACKOFF_SECONDS
    if permanent or email.attempts >= len(backoff):
        status, next_attempt = EmailStatus.ABANDONED, now
    else:
        status = EmailStatus.FAILED
        next_attempt = now + dt.timedelta(seconds=backoff[email.attempts - 1])
    # UNKNOWN too: the server's "no" is clearer than a flush's giving up on the attempt.
    _attempt(email.pk, token).filter(status__in=[EmailStatus.SENDING, EmailStatus.UNKNOWN]).update(
        status=status, last_error=error, next_attempt_at=next_attempt
    )
    logger.warning("email %s attempt %s failed: %s", email.pk, email.attempts, error)


def _record_unknown(email: OutboundEmail, token: uuid.UUID, exc: BaseException) -> None:
    """Handed over, no clear answer: the server may have taken it. Never resent by itself."""
    error = _error(exc)
    _attempt(email.pk, token).filter(status=EmailStatus.SENDING).update(
        status=EmailStatus.UNKNOWN, last_error=error
    )
    logger.warning(
        "email %s attempt %s outcome unknown (may have been delivered): %s",
        email.pk,
        email.attempts,
        error,
    )


def _deliver(
    email: OutboundEmail,
    token: uuid.UUID,
    connection: BaseEmailBackend,
    message: EmailMessage,
    now: dt.datetime,
) -> bool:
    """Phases 2 and 3, on an open connection."""
    if not _mark_handed_over(email.pk, token, now):
        return False  # the claim was taken over while connecting: its holder sends
    try:
        sent = _hand_over(connection, message)
    except Exception as exc:
        if _server_refused(exc):
            _record_failure(email, token, exc, now)
        else:
            _record_unknown(email, token, exc)
        return False
    if sent != 1:
        _record_failure(email, token, NothingSent(), now)
        return False
    _record_sent(email.pk, token)
    return True


def _send_by_notify(email: OutboundEmail, token: uuid.UUID, now: dt.datetime) -> bool:
    """One attempt through GOV.UK Notify. An earlier attempt that reached Notify may have
    created the notification without our hearing back: Notify is asked for the row's key
    (its ``reference``) first, and the message goes only if Notify has none. So an answer
    that never came is settled by asking, not by a person guessing (docs/email-delivery.md)."""
    if email.provider == Provider.NOTIFY:
        found = notify_lookup(email)
        if found.unknown:
            _record_failure(email, token, ProviderFailed(found.error), now)
            return False
        if found.notify_id:
            _record_sent(email.pk, token, notify_id=found.notify_id)
            return False  # sent by the attempt whose answer was lost, not by this one
    if not _mark_handed_over(email.pk, token, now, provider=Provider.NOTIFY):
        return False
    outcome = notify_send(email)
    if outcome.notify_id:
        _record_sent(email.pk, token, notify_id=outcome.notify_id)
        return True
    # Refused (nothing created), or no answer (the next attempt asks Notify first).
    _record_failure(email, token, ProviderFailed(outcome.error), now, permanent=outcome.permanent)
    return False


def email_send(*, email_id: int, now: dt.datetime | None = None) -> bool:
    """Send one message if it is due and nobody else holds it. True if this call sent it."""
    moment = now or clock.now()
    token = _claim(email_id, moment)
    if token is None:
        return False
    email = OutboundEmail.objects.get(pk=email_id)
    if email.channel == Channel.EMAIL and not recipient_allowed(email.to):
        _attempt(email_id, token).update(
            status=EmailStatus.SUPPRESSED,
            last_error="recipient not on this deployment's allow-list",
        )
        return False
    if notify_enabled():
        return _send_by_notify(email, token, moment)
    if email.channel != Channel.EMAIL:
        # Texts and Notify's letters need Notify; switched off, they cannot go.
        _attempt(email_id, token).update(
            status=EmailStatus.SUPPRESSED, last_error="GOV.UK Notify is not configured"
        )
        return False
    try:
        connection, message = _connect(email)
    except Exception as exc:  # refused, TLS, log-in: nothing was handed over
        _record_failure(email, token, exc, moment)
        return False
    try:
        return _deliver(email, token, connection, message, moment)
    finally:
        _close_quietly(connection)


def emails_settle_stale(*, now: dt.datetime | None = None) -> int:
    """Claims whose worker died after the hand-over: UNKNOWN, for a person to decide.

    Before the marker a dead worker's claim is simply taken over (``emails_due``).
    Returns how many rows were settled.
    """
    moment = now or clock.now()
    stopped = OutboundEmail.objects.filter(
        status=EmailStatus.SENDING,
        handed_over_at__isnull=False,
        claimed_at__lt=moment - _stale_claim(),
    )
    # Notify can be asked whether it has the message: tried again, it asks first.
    stopped.filter(provider=Provider.NOTIFY).update(
        status=EmailStatus.FAILED, last_error=STOPPED_ASK_NOTIFY, next_attempt_at=moment
    )
    settled = stopped.update(status=EmailStatus.UNKNOWN, last_error=STOPPED_AFTER_HANDOVER)
    if settled:
        logger.warning("%s emails stopped mid-send: may have been delivered", settled)
    return settled


def emails_due(*, now: dt.datetime | None = None, limit: int = 1000) -> list[int]:
    """Emails a flush should hand out again: failed and due, left pending (their task was
    lost), or claimed by a worker that died before handing the message over. A new email's
    own task is not duplicated; an email that may have been delivered is never listed."""
    moment = now or clock.now()
    lost = moment - _stale_claim()
    due = Q(status=EmailStatus.FAILED, next_attempt_at__lte=moment)
    pending = Q(status=EmailStatus.PENDING, next_attempt_at__lte=lost)
    stale = Q(status=EmailStatus.SENDING, claimed_at__lt=lost, handed_over_at__isnull=True)
    return list(
        OutboundEmail.objects.filter(due | pending | stale)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def _reset(moment: dt.datetime, actor: User | None, note: str) -> dict[str, object]:
    return {
        "status": EmailStatus.PENDING,
        "next_attempt_at": moment,
        "attempts": 0,
        "claim_token": None,
        "handed_over_at": None,
        "resent_at": moment,
        "resent_by": actor,
        "resend_note": note,
    }


def _retry(
    *, email_ids: Iterable[int], actor: User | None, include_unknown: bool, now: dt.datetime
) -> list[int]:
    """Put failed, abandoned and (only when a named person asks) unknown emails back to
    pending, recording who and why; their tasks are queued after the commit."""
    retryable = [EmailStatus.FAILED, EmailStatus.ABANDONED]
    if include_unknown and actor is not None:
        retryable.append(EmailStatus.UNKNOWN)
    with transaction.atomic():
        rows = list(
            OutboundEmail.objects.select_for_update()
            .filter(pk__in=list(email_ids), status__in=retryable)
            .values_list("pk", "status", "case_id", "kind", "attempts")
        )
        groups = {
            RESENT_AFTER_UNKNOWN: [r for r in rows if r[1] == EmailStatus.UNKNOWN],
            RETRIED_AFTER_FAILURE: [r for r in rows if r[1] != EmailStatus.UNKNOWN],
        }
        for note, group in groups.items():
            if not group:
                continue
            fields = _reset(now, actor, note)
            if note == RESENT_AFTER_UNKNOWN:
                fields["resends_after_unknown"] = F("resends_after_unknown") + 1
            OutboundEmail.objects.filter(pk__in=[r[0] for r in group]).update(**fields)
            if actor is not None:
                audit_record_bulk(
                    events=[
                        (case_id, {"email": pk, "kind": kind, "status": status, "attempts": n})
                        for pk, status, case_id, kind, n in group
                        if case_id is not None
                    ],
                    action="email_resent",
                    actor=actor,
                    now=now,
                    reason=note,
                )
        from phasetransfer.core.tasks import send_email

        for pk, *_ in rows:
            transaction.on_commit(partial(send_email.delay, pk))
    return [r[0] for r in rows]


def email_retry(
    *, email_id: int, now: dt.datetime | None = None, actor: User | None = None
) -> bool:
    """Staff asked to try an email again, now: a failed or abandoned one, or, when a named
    ``actor`` chooses to, one that may have been delivered (recorded on the row and in the
    case's audit trail). Same Message-ID as before. True if it will be sent again."""
    moment = now or clock.now()
    return bool(_retry(email_ids=[email_id], actor=actor, include_unknown=True, now=moment))


def emails_retry(
    *,
    email_ids: Iterable[int],
    actor: User,
    include_unknown: bool = False,
    now: dt.datetime | None = None,
) -> int:
    """``email_retry`` for many at once (the officer's "retry all"); returns how many.

    Only failed and abandoned emails unless ``include_unknown``: a row that became "may
    have been delivered" after the page listed it is not resent by a bulk click."""
    moment = now or clock.now()
    return len(
        _retry(email_ids=email_ids, actor=actor, include_unknown=include_unknown, now=moment)
    )
