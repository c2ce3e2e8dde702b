"""Requesting a scheduling run, claiming it and running it (read, solve, write)."""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db import IntegrityError, transaction

from panels.models import SchedulingRun
from panels.services.scheduling.place import Placement, place_area, sort_out
from panels.services.scheduling.read import read_round
from panels.services.scheduling.report import (
    DEFAULT_TIME_LIMIT,
    STALE_ERROR,
    RunAbandoned,
    ScheduleReport,
    SchedulingBusy,
)
from panels.services.scheduling.write import write_result
from phasetransfer.core import clock
from phasetransfer.models import Round, RunStatus, User

logger = logging.getLogger(__name__)


def scheduling_reap_stale(*, round_: Round, now: dt.datetime | None = None) -> int:
    """Mark failed the round's queued or running runs that showed no sign of life for
    ``SchedulingRun.stale_after()`` (their worker died): they no longer block the round.

    A conditional UPDATE: a live run's final write holds its row locked and sets it done,
    so a run is never both reaped and written. A reaped run's late task finds it failed
    and does nothing; a reaped run still working notices at its next heartbeat (or at
    its write) and stops without writing.
    """
    moment = now or clock.now()
    after = SchedulingRun.stale_after()
    return SchedulingRun.objects.filter(
        round=round_, status__in=SchedulingRun.ACTIVE, heartbeat_at__lt=moment - after
    ).update(
        status=RunStatus.FAILED,
        stage="Stopped",
        error=STALE_ERROR.format(minutes=int(after.total_seconds() // 60)),
        finished_at=moment,
    )


def scheduling_request(
    *,
    round_: Round,
    actor: User | None,
    rebuild: bool = False,
    time_limit: float = DEFAULT_TIME_LIMIT,
    now: dt.datetime | None = None,
    queue: bool = True,
) -> SchedulingRun:
    """Record a queued run for the round; with ``queue``, a worker does it after commit.

    Refused (``SchedulingBusy``, nothing created) while another run of the round is
    queued or running: the database's one-active-run constraint decides, so two
    requests at once cannot both get through. A stale run is reaped first.
    """
    moment = now or clock.now()
    scheduling_reap_stale(round_=round_, now=moment)
    try:
        with transaction.atomic():
            run = SchedulingRun.objects.create(
                round=round_,
                requested_by=actor,
                requested_at=moment,
                heartbeat_at=moment,
                rebuild=rebuild,
                time_limit=time_limit,
                stage="Waiting for a worker",
            )
    except IntegrityError:
        raise SchedulingBusy(
            f"Panel scheduling for {round_} is already queued or running. Wait for it to "
            "finish: the panels page shows its progress."
        ) from None
    if queue:
        from panels.tasks import schedule_round

        transaction.on_commit(lambda: schedule_round.delay(run.pk))
    return run


def scheduling_execute(*, run_id: int, now: dt.datetime | None = None) -> SchedulingRun | None:
    """Do a queued run. Safe to call twice: only the caller that claims it does it.

    Returns None if the run was not ours to do (claimed already, finished, reaped).
    """
    done = _execute(run_id, now)
    return done[0] if done else None


def panels_schedule(
    *,
    round_: Round,
    actor: User | None,
    rebuild: bool = False,
    now: dt.datetime | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> ScheduleReport:
    """Request a run and do it here and now; see the module docstring.

    Raises ``SchedulingBusy`` if a run of the round is already queued or running.
    """
    run = scheduling_request(
        round_=round_, actor=actor, rebuild=rebuild, time_limit=time_limit, now=now, queue=False
    )
    done = _execute(run.pk, now)
    if done is None:  # taken for dead between the request and the claim: hardly possible
        raise SchedulingBusy(f"Panel scheduling run {run.pk} was stopped before it began.")
    return done[1]


def _execute(run_id: int, now: dt.datetime | None) -> tuple[SchedulingRun, ScheduleReport] | None:
    stamp = now or clock.now()
    claimed = SchedulingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=stamp, heartbeat_at=stamp, stage="Reading the round"
    )
    if not claimed:
        return None
    run = SchedulingRun.objects.select_related("round", "requested_by").get(pk=run_id)
    try:
        report = _run(run, now=now)
    except RunAbandoned:
        logger.warning("panel scheduling run %s was taken for dead; it wrote nothing", run_id)
        return None
    except Exception as exc:
        logger.exception("panel scheduling run %s failed", run_id)
        SchedulingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            stage="Failed",
            error=f"{type(exc).__name__}: {exc}"[:2000],
            finished_at=now or clock.now(),
        )
        raise
    run.refresh_from_db()
    return run, report


def _progress(
    run: SchedulingRun, *, stage: str, done: int, total: int, now: dt.datetime | None
) -> None:
    """Show how far the run is, as a heartbeat; stop if the run was taken for dead."""
    alive = SchedulingRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        stage=stage[:100], areas_done=done, areas_total=total, heartbeat_at=now or clock.now()
    )
    if not alive:
        raise RunAbandoned


def _run(run: SchedulingRun, *, now: dt.datetime | None) -> ScheduleReport:
    started = time.perf_counter()
    moment = now or clock.now()
    snapshot = read_round(run.round, rebuild=run.rebuild, now=moment)
    report = ScheduleReport(
        round_id=run.round_id, last_panel_day=snapshot.data.last_day.isoformat()
    )
    by_area = sorted(sort_out(snapshot.facts, report).items())
    placements: list[Placement] = []
    for done, (area, facts) in enumerate(by_area):
        _progress(run, stage=f"Solving area {area}", done=done, total=len(by_area), now=now)
        placements += place_area(area, facts, snapshot.data, report, run.time_limit)
    _progress(run, stage="Writing the schedule", done=len(by_area), total=len(by_area), now=now)
    write_result(run, snapshot, placements, report, now=now or clock.now(), started=started)
    return report
