"""Celery tasks of the core: thin wrappers over services, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from phasetransfer.core.heartbeat import heartbeat_record
from phasetransfer.core.outbox import email_send, emails_due


@shared_task(name="phasetransfer.heartbeat")
def heartbeat(name: str = "worker") -> None:
    heartbeat_record(name=name)


@shared_task(name="phasetransfer.send_email")
def send_email(email_id: int) -> None:
    email_send(email_id=email_id)


@shared_task(name="phasetransfer.flush_outbox")
def flush_outbox() -> int:
    """Every minute: send what is due (new, retry after backoff, or left by a dead worker)."""
    due = emails_due()
    for email_id in due:
        send_email.delay(email_id)
    return len(due)


# --- Consultations (s39) ------------------------------------------------------
