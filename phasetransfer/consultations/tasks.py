"""Celery tasks of consultations: thin wrappers over services, safe to run twice."""

from __future__ import annotations

from celery import shared_task

# Chasers go from this hour (London) so schools are not emailed at midnight, when
# consultations fall due; beat runs the task hourly so a worker that was down
# at 8am still chases that day. The email keys make any number of runs safe.
CHASE_FROM_HOUR = 8


@shared_task(name="phasetransfer.chase_consultations")
def chase_consultations() -> int:
    # Imported here: this block was appended below the module's import section.
    from phasetransfer.consultations.emails import consultations_chase
    from phasetransfer.core import clock

    if clock.now().astimezone(clock.LONDON).hour < CHASE_FROM_HOUR:
        return 0
    return consultations_chase().emails_queued


@shared_task(name="phasetransfer.send_round_consultations")
def send_round_consultations(
    round_id: int, actor_id: int | None = None, case_ids: list[int] | None = None
) -> int:
    """The staff page's "Send consultations" button (``case_ids``: for a selection of cases),
    off the web request."""
    from phasetransfer.consultations.services import consultations_send_round
    from phasetransfer.models import Round, User

    round_ = Round.objects.get(pk=round_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    only = set(case_ids) if case_ids is not None else None
    return consultations_send_round(round_=round_, actor=actor, only=only).consultations_created
