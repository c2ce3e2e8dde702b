from __future__ import annotations

from django.db import models


class Heartbeat(models.Model):
    """The last time each background process proved it was alive (shown to staff)."""

    name = models.CharField(max_length=60, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class Lease(models.Model):
    """A named lock held until ``expires_at``, so one scheduled job runs at a time.

    A row lease works the same on SQLite and PostgreSQL, and unlike a session
    advisory lock it survives a connection pooler and expires if its holder dies.
    """

    name = models.CharField(max_length=60, unique=True)
    holder = models.CharField(max_length=40, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"lease {self.name}"
