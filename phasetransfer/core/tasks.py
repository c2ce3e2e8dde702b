"""Celery tasks of the core: thin wrappers over services, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from phasetransfer.core.heartbeat import heartbeat_record
from phasetransfer.core.outbox import email_send, emails_due, emails_settle_stale


@shared_task(name="phasetransfer.heartbeat")
def heartbeat(name: str = "worker") -> None:
    heartbeat_record(name=name)


@shared_task(name="phasetransfer.send_email")
def send_email(email_id: int) -> None:
    email_send(email_id=email_id)


@shared_task(name="phasetransfer.flush_outbox")
def flush_outbox() -> int:
    """Every minute: send what is due (new, retry after backoff, or left by a worker that died
    before handing it over). A claim whose worker died after handing its message over
    becomes UNKNOWN instead, for a person to decide. Returns how many were handed out."""
    emails_settle_stale()
    due = emails_due()
    for email_id in due:
        send_email.delay(email_id)
    return len(due)
