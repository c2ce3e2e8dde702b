"""Celery tasks of the core: thin wrappers over services, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from phasetransfer.services.ops import heartbeat_record


@shared_task(name="phasetransfer.heartbeat")
def heartbeat(name: str = "worker") -> None:
    heartbeat_record(name=name)
