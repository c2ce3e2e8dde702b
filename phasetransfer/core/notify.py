"""GOV.UK Notify as the outbox's provider: email, text messages and precompiled letters.

Switched on by ``NOTIFY_API_KEY`` (README "GOV.UK Notify"). The outbox decides when to
send and records what happened; this module only speaks to Notify, with the official
client. Every request carries the outbox row's key as Notify's ``reference``, so an
attempt whose outcome is unknown (a timeout, a worker that died after the request) is
settled by asking Notify for that reference before anything is sent again.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from phasetransfer.models import Channel, OutboundEmail


def notify_enabled() -> bool:
    return bool(settings.NOTIFY_API_KEY)


def _client() -> NotificationsAPIClient:
    return NotificationsAPIClient(
        settings.NOTIFY_API_KEY,
        base_url=settings.NOTIFY_BASE_URL,
        timeout=settings.NOTIFY_TIMEOUT_SECONDS,
    )


@dataclass(frozen=True)
class Outcome:
    """What an attempt learnt. ``notify_id`` when Notify has the message; ``unknown`` when
    no answer came; neither: Notify answered "no" and created nothing."""

    notify_id: str = ""
    permanent: bool = False  # a "no" that sending again cannot change (400)
    unknown: bool = False
    error: str = ""


def _error(exc: APIError) -> str:
    """Notify's error name and status only: its message may echo an address back."""
    body: Any = None
    if exc.response is not None:
        try:
            body = exc.response.json()
        except ValueError:
            body = None
    names = [e.get("error", "") for e in (body or {}).get("errors", []) if isinstance(e, dict)]
    return f"Notify {exc.status_code} {' '.join(n for n in names if n)}".strip()


def already_sent(message: OutboundEmail) -> str:
    """The id of a notification Notify already has for this message, or ""."""
    found = _client().get_all_notifications(reference=message.key)
    notifications = found.get("notifications", []) if found else []
    return str(notifications[0]["id"]) if notifications else ""


def _post(message: OutboundEmail) -> dict[str, Any]:
    client = _client()
    if message.channel == Channel.SMS:
        return client.send_sms_notification(
            phone_number=message.to,
            template_id=settings.NOTIFY_TEMPLATE_SMS,
            personalisation={"body": message.body},
            reference=message.key,
        )
    if message.channel == Channel.LETTER:
        return client.send_precompiled_letter_notification(
            reference=message.key,
            pdf_file=io.BytesIO(bytes(message.attachment or b"")),
            postage=settings.NOTIFY_LETTER_POSTAGE,
        )
    return client.send_email_notification(
        email_address=message.to,
        template_id=settings.NOTIFY_TEMPLATE_EMAIL,
        personalisation={"subject": message.subject, "body": message.body},
        reference=message.key,
    )


def notify_send(message: OutboundEmail) -> Outcome:
    """Give the message to Notify once: a 4xx or 5xx answer created nothing; no answer at
    all (a timeout, a dropped connection) may have created it."""
    try:
        created = _post(message)
    except APIError as exc:
        if exc.response is None:
            return Outcome(unknown=True, error=_error(exc) + ": no answer")
        return Outcome(permanent=exc.status_code == 400, error=_error(exc))
    return Outcome(notify_id=str(created["id"]))


def notify_lookup(message: OutboundEmail) -> Outcome:
    """Before sending again after an attempt with no answer: does Notify have it?"""
    try:
        found = already_sent(message)
    except APIError as exc:
        # Not knowing is no licence to send: try again later.
        return Outcome(unknown=True, error=_error(exc) + " (looking up the reference)")
    return Outcome(notify_id=found)
