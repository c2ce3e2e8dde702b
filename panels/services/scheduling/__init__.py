"""Scheduling a round's proposed cases into its panel sessions (the Django side).

Scheduling is a *run* (``SchedulingRun``), done off the web request as allocation runs
are. ``scheduling_request`` records a queued run and hands it to a worker
(``panels.tasks.schedule_round``) once the request commits; the database allows one
queued or running run per round, so a second request (a double click, another tab) is
refused with ``SchedulingBusy``. ``scheduling_execute`` claims the run with a
conditional UPDATE (only one caller can) and works in three steps:

1. *read* the round, with no transaction and no lock: the proposed cases (and, with
   ``rebuild``, the undecided ones it would take out of sessions), the sessions and
   what is already in them, consultations, deferrals, preferences and proposals;
2. *solve* one CP-SAT model per SEND area (``panels.scheduler``), writing the progress
   (areas done of areas to do) and a heartbeat to the run after each;
3. *write* the result in one short transaction (``write.write_result``), which locks only the run,
   the sessions it places cases into or takes them out of, and the cases it read, and
   re-checks what the solve assumed before changing anything (see ``write.write_result``).

``panels_schedule`` does all three at once, here and now (the ``schedule_panels``
command, the demo, tests). A run whose worker died is handled by its heartbeat: see
``SchedulingRun.stale_after`` and ``scheduling_request``.

The rules:

* every PROPOSED case with a proposal in the latest allocation run is placed in one
  session of its area and round that starts after its consultation responses are due
  (and after the session it was deferred from, if any) and no later than the round's
  last panel day (SEN offer day minus the round's approval days); sessions that are
  signed off or have already started take no new cases;
* no session goes over its case limit; sessions are filled evenly;
* sessions where a member's school is involved are avoided; where no other session is
  possible the case is placed anyway and the member is recused (``Recusal``);
* every case that cannot be placed is in the report with the reason.

Re-running keeps every case already in a session where it is (decided or not). With
``rebuild=True`` the undecided cases in sessions that are not signed off and have not
started are taken out first and placed again; decided cases never move.
"""

from panels.services.scheduling.report import (
    DEFAULT_TIME_LIMIT,
    AreaSummary,
    ScheduleReport,
    SchedulingBusy,
    Unplaced,
)
from panels.services.scheduling.runs import (
    panels_schedule,
    scheduling_execute,
    scheduling_reap_stale,
    scheduling_request,
)

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "AreaSummary",
    "ScheduleReport",
    "SchedulingBusy",
    "Unplaced",
    "panels_schedule",
    "scheduling_execute",
    "scheduling_reap_stale",
    "scheduling_request",
]
