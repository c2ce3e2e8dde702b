"""Offer day: set the moment, rehearse it, and release every case of the round exactly once.

The moment itself is a comparison with the server clock (``outcome_visible``):
no queue, cache or email decides what a family may see. The release job only
records each case's release (a unique row), moves its state and queues one
email per contact; it runs every minute, is safe to run any number of times
and takes a lease so two runs never work at once.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string

from offers.models import LetterKind, Release
from offers.services.letters import (
    final_decision,
    letter_ready,
    render_html,
    render_pdf,
)
from phasetransfer.cases.state import UNDECIDED, case_release_no_decision, case_release_offer
from phasetransfer.core import clock
from phasetransfer.core.locks import lease
from phasetransfer.core.outbox import email_enqueue, site_url
from phasetransfer.core.visibility import outcome_visible
from phasetransfer.models import Case, CaseState, Contact, Round, User

EMAIL_TEMPLATE_VERSION = 1
RELEASE_LEASE = "offers.release"
RELEASE_LEASE_TTL = dt.timedelta(minutes=10)


class OfferDayRefused(Exception):
    pass


def offer_day_set(
    *, round_: Round, at: dt.datetime, actor: User | None, now: dt.datetime | None = None
) -> Round:
    moment = now or clock.now()
    if Release.objects.filter(round=round_).exists():
        raise OfferDayRefused("Offer day has already begun for this round; it cannot be moved.")
    if at <= moment:
        raise OfferDayRefused("Offer day must be in the future.")
    round_.offer_day_at = at
    try:
        round_.full_clean(validate_unique=False)
    except ValidationError as invalid:
        messages = invalid.message_dict.get("offer_day_at", invalid.messages)
        raise OfferDayRefused(" ".join(messages)) from None
    round_.save(update_fields=["offer_day_at", "statutory_deadline_at"])
    return round_


@dataclass
class ReleaseSummary:
    rounds: int = 0
    created: int = 0
    dispatched: list[int] = field(default_factory=list)
    skipped_locked: bool = False


def _email_body(case: Case) -> str:
    return render_to_string(
        "offers/emails/outcome_ready.txt",
        {
            "round": case.round,
            "sign_in_url": site_url("login"),
            "local_authority_name": settings.LOCAL_AUTHORITY_NAME,
        },
    )


def _round_dispatch(round_: Round, now: dt.datetime, summary: ReleaseSummary) -> None:
    offer_day = round_.offer_day_at
    assert offer_day is not None  # only rounds whose moment has come are dispatched
    unreleased = (
        Case.objects.filter(round=round_, release__isnull=True)
        .exclude(state=CaseState.WITHDRAWN)
        .values_list("pk", flat=True)
    )
    rows = [
        Release(case_id=pk, round=round_, released_at=offer_day, dispatched_at=now)
        for pk in unreleased
    ]
    # ignore_conflicts: a concurrent run that already created a row wins; ours is dropped.
    Release.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    summary.created += len(rows)
    # An incomplete release handed to a worker this long ago is handed out again.
    stale = now - dt.timedelta(seconds=settings.OFFERS_REDISPATCH_SECONDS)
    due = Release.objects.filter(round=round_, completed_at__isnull=True).filter(
        Q(dispatched_at=now) | Q(dispatched_at__lt=stale)
    )
    ids = list(due.values_list("pk", flat=True))
    Release.objects.filter(pk__in=ids).update(dispatched_at=now)
    summary.dispatched += ids


def release_due(*, now: dt.datetime | None = None) -> ReleaseSummary:
    """The every-minute job: create and hand out the releases of every round that is due.

    Returns the release ids to hand to workers (``release_case`` tasks). Holding a
    lease, so two runs never work at once; safe to run any number of times.
    """
    moment = now or clock.now()
    summary = ReleaseSummary()
    with lease(RELEASE_LEASE, ttl=RELEASE_LEASE_TTL) as held:
        if not held:
            summary.skipped_locked = True
            return summary
        for round_ in Round.objects.filter(offer_day_at__lte=moment):
            if (
                not Case.objects.filter(round=round_)
                .exclude(state=CaseState.WITHDRAWN)
                .filter(Q(release__isnull=True) | Q(release__completed_at__isnull=True))
                .exists()
            ):
                continue
            summary.rounds += 1
            _round_dispatch(round_, moment, summary)
    return summary


def release_complete(*, release_id: int, now: dt.datetime | None = None) -> bool:
    """Do one case's release: state, and one email per contact. Idempotent; True if done now."""
    moment = now or clock.now()
    with transaction.atomic():
        release = (
            Release.objects.select_for_update()
            .select_related("case__round")
            .filter(pk=release_id, completed_at__isnull=True)
            .first()
        )
        if release is None:
            return False
        case = release.case
        if not outcome_visible(case, moment):
            raise OfferDayRefused("Refusing to release a case before its offer day.")
        decision = final_decision(case)
        release.kind = LetterKind.OFFER if decision else LetterKind.NO_DECISION
        if decision is not None and case.state == CaseState.OFFER_APPROVED:
            case_release_offer(case=case, now=moment)
        elif decision is None and (case.state in UNDECIDED or case.state == CaseState.DECIDED):
            case_release_no_decision(case=case, reason="SEN offer day", now=moment)
        for contact in Contact.objects.filter(case=case).order_by("pk"):
            if not contact.email:
                release.letters_to_post += 1
                continue
            # Only a link to sign in: no outcome or personal data in the email itself.
            email_enqueue(
                key=f"offer:{case.pk}:{contact.pk}:email:v{EMAIL_TEMPLATE_VERSION}",
                kind="offer_day",
                to=contact.email,
                subject="Your SEN phase transfer outcome is ready",
                body=_email_body(case),
                case=case,
                now=moment,
            )
            release.emails_queued += 1
        release.completed_at = moment
        release.save(update_fields=["kind", "emails_queued", "letters_to_post", "completed_at"])
    return True


@dataclass
class Rehearsal:
    cases: int = 0
    offer_letters: int = 0
    no_decision_letters: int = 0
    emails: int = 0
    letters_to_post: int = 0
    already_rendered: int = 0
    render_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def offer_day_rehearse(*, round_: Round, render: bool = True) -> Rehearsal:
    """Render every letter (in memory) and count every message, releasing and sending nothing."""
    result = Rehearsal()
    started = time.process_time()
    cases = Case.objects.filter(round=round_).exclude(state=CaseState.WITHDRAWN)
    for case in cases.select_related("round", "child").order_by("pk"):
        result.cases += 1
        decision = final_decision(case)
        if decision is not None:
            result.offer_letters += 1
        else:
            result.no_decision_letters += 1
        contacts = list(case.contacts.all())
        result.emails += sum(1 for c in contacts if c.email)
        result.letters_to_post += sum(1 for c in contacts if not c.email)
        if not contacts:
            result.problems.append(f"{case.reference}: no contact to tell")
        if letter_ready(case):
            result.already_rendered += 1
        if render:
            try:
                render_pdf(render_html(case, decision))
            except Exception as exc:  # a letter that cannot render must be found today
                result.problems.append(f"{case.reference}: letter failed ({type(exc).__name__})")
    result.render_seconds = time.process_time() - started
    return result
