"""Offer-day tasks: thin, idempotent, small enough to finish well inside the broker's timeout."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from offers.models import Release
from offers.services.followups import follow_ups_no_answer
from offers.services.letters import cases_needing_letters, letter_render, offer_day_spec
from offers.services.posting import print_batch_build
from offers.services.rehearsal import rehearsal_execute
from offers.services.release import release_complete, release_due
from offers.services.settlement import settlement_execute
from phasetransfer.core import clock
from phasetransfer.core.locks import lease
from phasetransfer.models import Case, Round

# Letters are rendered ahead for rounds whose offer day is this close (or past).
RENDER_AHEAD = dt.timedelta(days=14)


@shared_task(name="offers.release_due")
def release_due_task() -> int:
    """Every minute: create the releases of every due round and hand each to a worker."""
    summary = release_due()
    for release_id in summary.dispatched:
        release_case.delay(release_id)
    return len(summary.dispatched)


@shared_task(name="offers.release_case")
def release_case(release_id: int) -> None:
    release_complete(release_id=release_id)


@shared_task(name="offers.render_letter")
def render_letter(case_id: int) -> None:
    case = Case.objects.select_related("round", "child").filter(pk=case_id).first()
    # A case whose offer-day release exists is rendered by its release, with the date and
    # decision it publishes (the request may have been queued just before the moment).
    if case is not None and not Release.objects.filter(case=case).exists():
        letter_render(case=case, spec=offer_day_spec(case))


@shared_task(name="offers.render_letters_due")
def render_letters_due() -> int:
    """Every minute: render letters that are missing or out of date, before and after the day."""
    horizon = clock.now() + RENDER_AHEAD
    ttl = settings.OFFERS_RENDER_REQUEST_SECONDS
    queued = 0
    with lease("offers.render-letters", ttl=dt.timedelta(minutes=5)) as held:
        if not held:
            return 0
        for round_id in Round.objects.filter(offer_day_at__lte=horizon).values_list(
            "pk", flat=True
        ):
            for case_id in cases_needing_letters(round_id):
                # Not again while an earlier request may still be queued: a backlog of
                # renders must not grow by a copy of itself every minute.
                if cache.add(f"offers:render-requested:{case_id}", 1, timeout=ttl):
                    render_letter.delay(case_id)
                    queued += 1
    return queued


# A rehearsal may render many letters: it gets longer than the default limits.
@shared_task(name="offers.rehearse_round", soft_time_limit=1800, time_limit=1900)
def rehearse_round(run_id: int) -> None:
    rehearsal_execute(run_id=run_id)


@shared_task(name="offers.build_print_batch")
def build_print_batch(batch_id: int) -> None:
    print_batch_build(batch_id=batch_id)


@shared_task(name="offers.follow_ups_no_answer")
def follow_ups_no_answer_task() -> int:
    return follow_ups_no_answer()


@shared_task(name="offers.settle_round")
def settle_round(run_id: int) -> None:
    """Results day: settle the round's conditional offers, then hand the amended releases
    out now rather than at the next minute's run."""
    if settlement_execute(run_id=run_id) is not None:
        release_due_task.delay()
