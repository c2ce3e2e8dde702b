"""Celery tasks of panels: a scheduling run is solved off the web request."""

from __future__ import annotations

from celery import shared_task

from panels.services.pack_pdf import pack_pdf_render
from panels.services.scheduling import scheduling_execute


@shared_task(name="panels.schedule_round")
def schedule_round(run_id: int) -> None:
    """Do a queued scheduling run; a run already claimed (a redelivery) is left alone."""
    scheduling_execute(run_id=run_id)


@shared_task(name="panels.render_pack_pdf")
def render_pack_pdf(pdf_id: int) -> None:
    """Render a queued pack PDF (the print version) off the web request."""
    pack_pdf_render(pdf_id=pdf_id)
