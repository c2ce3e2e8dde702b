"""Celery tasks of allocation: a run is solved off the web request."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="phasetransfer.allocate_round")
def allocate_round(run_id: int) -> None:
    from phasetransfer.allocation.services import allocation_execute

    allocation_execute(run_id=run_id)
