from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """The last time each background process proved it was alive (shown to staff)."""

    name = models.CharField(max_length=60, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
