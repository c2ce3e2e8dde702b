"""Rehearsing a round's offer day: a background run that releases and sends nothing.

It goes through every case as offer day would, and lists, by count and by case, what would
go wrong or surprise: families with no way to be told, letters not yet rendered (each is
rendered in memory, so one that cannot render is found today), "no decision yet" letters
with their reasons, recipients this deployment would not email, and anything that fails.
A run on a claimed row, like allocation runs: one at a time per round, progress on the page.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from offers.models import ACTIVE_JOB, RehearsalRun
from offers.services.letters import (
    current_letters,
    letter_is_current,
    no_decision_reason,
    offer_day_spec,
    render_html,
    render_pdf,
)
from phasetransfer.core import clock
from phasetransfer.core.outbox import recipient_allowed
from phasetransfer.models import Case, CaseState, Round, RunStatus, User

logger = logging.getLogger(__name__)

# Progress is written this often (cases), and a run silent for this long is taken for dead.
PROGRESS_EVERY = 50
STALE_AFTER = dt.timedelta(minutes=15)


class RehearsalBusy(Exception):
    """A rehearsal of this round is already queued or running."""


def rehearsal_request(
    *, round_: Round, actor: User | None, now: dt.datetime | None = None, queue: bool = True
) -> RehearsalRun:
    """Queue a rehearsal; refused while one is queued or running (a double click, a second
    tab). A run whose worker died (no sign of life for ``STALE_AFTER``) no longer blocks."""
    moment = now or clock.now()
    RehearsalRun.objects.filter(ACTIVE_JOB, round=round_).filter(
        requested_at__lt=moment - STALE_AFTER
    ).exclude(heartbeat_at__gte=moment - STALE_AFTER).update(
        status=RunStatus.FAILED,
        finished_at=moment,
        error="The rehearsal stopped without finishing (its worker was lost). Run it again.",
    )
    try:
        with transaction.atomic():
            run = RehearsalRun.objects.create(round=round_, requested_by=actor, requested_at=moment)
    except IntegrityError:
        raise RehearsalBusy(
            "A rehearsal of this round is already running: its progress is on this page."
        ) from None
    if queue:
        from offers.tasks import rehearse_round

        transaction.on_commit(lambda: rehearse_round.delay(run.pk))
    return run


def _progress(run: RehearsalRun, done: int, total: int) -> None:
    RehearsalRun.objects.filter(pk=run.pk).update(done=done, total=total, heartbeat_at=clock.now())


def _contacts(case: Case, result: dict[str, Any]) -> None:
    contacts = list(case.contacts.all())
    told = False
    for contact in contacts:
        if contact.email:
            told = True
            result["counts"]["emails"] += 1
            if not recipient_allowed(contact.email):
                result["suppressed"].append(case.reference)
        elif contact.address.strip():
            told = True
            result["counts"]["letters_to_post"] += 1
    if not told:
        why = "no contact" if not contacts else "no email address or postal address"
        result["cannot_be_told"].append({"case": case.reference, "why": why})


def _letter(case: Case, current: dict[int, Any], result: dict[str, Any]) -> None:
    spec = offer_day_spec(case)
    if spec.decision is None:
        result["counts"]["no_decision_letters"] += 1
        result["no_decision"].append({"case": case.reference, "why": no_decision_reason(case)})
    else:
        result["counts"]["offer_letters"] += 1
    if letter_is_current(current.get(case.pk), spec):
        return
    result["not_rendered"].append(case.reference)
    try:
        render_pdf(render_html(case, spec))
    except Exception as exc:  # a letter that cannot render must be found today, not then
        logger.warning("rehearsal: letter of case %s failed to render", case.pk)
        result["failures"].append({"case": case.reference, "why": type(exc).__name__})


def rehearse(run: RehearsalRun) -> dict[str, Any]:
    """Go through the round as offer day would; release and send nothing."""
    round_ = run.round
    result: dict[str, Any] = {
        "counts": Counter(),
        "cannot_be_told": [],
        "not_rendered": [],
        "no_decision": [],
        "suppressed": [],
        "failures": [],
        "deployment": settings.DEPLOYMENT,
    }
    current = {letter.case_id: letter for letter in current_letters().filter(case__round=round_)}
    cases = Case.objects.filter(round=round_).exclude(state=CaseState.WITHDRAWN)
    ids = list(cases.order_by("reference").values_list("pk", flat=True))
    total = len(ids)
    _progress(run, 0, total)
    done = 0
    # A chunk at a time, each read whole: no cursor stays open across the progress writes
    # (on SQLite a write after other writers would find its read snapshot stale).
    for start in range(0, total, PROGRESS_EVERY):
        chunk = ids[start : start + PROGRESS_EVERY]
        for case in (
            Case.objects.filter(pk__in=chunk)
            .select_related("round", "child")
            .prefetch_related("contacts")
            .order_by("reference")
        ):
            result["counts"]["cases"] += 1
            _contacts(case, result)
            _letter(case, current, result)
            done += 1
        _progress(run, done, total)
    result["counts"] = dict(result["counts"])
    return result


def rehearsal_execute(*, run_id: int, now: dt.datetime | None = None) -> RehearsalRun | None:
    """Claim the run (only one caller can) and do it. None if someone else has it."""
    moment = now or clock.now()
    claimed = RehearsalRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=moment, heartbeat_at=moment
    )
    if not claimed:
        return None
    run = RehearsalRun.objects.select_related("round").get(pk=run_id)
    try:
        result = rehearse(run)
    except Exception as exc:
        logger.exception("rehearsal %s failed", run_id)
        RehearsalRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED, finished_at=clock.now(), error=type(exc).__name__
        )
        raise
    RehearsalRun.objects.filter(pk=run_id).update(
        status=RunStatus.DONE,
        finished_at=clock.now(),
        result=result,
        done=result["counts"].get("cases", 0),
    )
    run.refresh_from_db()
    return run


def offer_day_rehearse(
    *, round_: Round, actor: User | None = None, now: dt.datetime | None = None
) -> RehearsalRun:
    """Request and do a rehearsal here and now (the ``offer_day --rehearse`` command)."""
    run = rehearsal_request(round_=round_, actor=actor, now=now, queue=False)
    done = rehearsal_execute(run_id=run.pk, now=now)
    assert done is not None  # nobody else can claim a run that was never queued
    return done
