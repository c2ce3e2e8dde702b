from __future__ import annotations

import datetime as dt

from phasetransfer.core import clock
from phasetransfer.models import Heartbeat


def heartbeat_record(*, name: str, now: dt.datetime | None = None) -> Heartbeat:
    beat, _ = Heartbeat.objects.update_or_create(
        name=name, defaults={"beat_at": now or clock.now()}
    )
    return beat
