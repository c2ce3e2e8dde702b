"""Celery tasks of panels: a scheduling run is solved off the web request."""

from __future__ import annotations

from celery import shared_task

from panels.services.scheduling import scheduling_execute


@shared_task(name="panels.schedule_round")
def schedule_round(run_id: int) -> None:
    """Do a queued scheduling run; a run already claimed (a redelivery) is left alone."""
    scheduling_execute(run_id=run_id)
