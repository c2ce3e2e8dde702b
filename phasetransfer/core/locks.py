"""Leases: one holder at a time for a named job, without waiting."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.db.models import Q

from phasetransfer.core import clock
from phasetransfer.models import Lease


def lease_acquire(*, name: str, ttl: dt.timedelta, now: dt.datetime | None = None) -> str | None:
    """A holder token if the lease was free (or expired), else None. Never blocks."""
    moment = now or clock.now()
    token = uuid.uuid4().hex
    try:
        with transaction.atomic():
            Lease.objects.get_or_create(name=name, defaults={"expires_at": moment})
    except IntegrityError:
        pass  # created by a concurrent caller: fine, we compete for it below
    taken = Lease.objects.filter(Q(expires_at__lte=moment) | Q(holder=""), name=name).update(
        holder=token, expires_at=moment + ttl
    )
    return token if taken == 1 else None


def lease_release(*, name: str, token: str) -> None:
    Lease.objects.filter(name=name, holder=token).update(holder="", expires_at=clock.now())


@contextmanager
def lease(name: str, *, ttl: dt.timedelta) -> Iterator[bool]:
    """``with lease("x", ttl=...) as held:`` runs the body either way; ``held``: do we own it."""
    token = lease_acquire(name=name, ttl=ttl)
    try:
        yield token is not None
    finally:
        if token is not None:
            lease_release(name=name, token=token)
