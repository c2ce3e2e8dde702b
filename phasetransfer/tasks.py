"""Celery tasks of the core: thin wrappers over services, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from phasetransfer.services.email import email_send, emails_due
from phasetransfer.services.ops import heartbeat_record


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

# Chasers go from this hour (London) so schools are not emailed at midnight, when
# consultations fall due; beat runs the task hourly so a worker that was down
# at 8am still chases that day. The email keys make any number of runs safe.
CHASE_FROM_HOUR = 8


@shared_task(name="phasetransfer.chase_consultations")
def chase_consultations() -> int:
    # Imported here: this block was appended below the module's import section.
    from phasetransfer import clock
    from phasetransfer.services.consultation_emails import consultations_chase

    if clock.now().astimezone(clock.LONDON).hour < CHASE_FROM_HOUR:
        return 0
    return consultations_chase().emails_queued


@shared_task(name="phasetransfer.allocate_round")
def allocate_round(run_id: int) -> None:
    from phasetransfer.services.allocation_runs import allocation_execute

    allocation_execute(run_id=run_id)


@shared_task(name="phasetransfer.send_round_consultations")
def send_round_consultations(round_id: int, actor_id: int | None = None) -> int:
    """The staff page's "Send consultations" button: the round send, off the web request."""
    from phasetransfer.models import Round, User
    from phasetransfer.services.consultations import consultations_send_round

    round_ = Round.objects.get(pk=round_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return consultations_send_round(round=round_, actor=actor).consultations_created
