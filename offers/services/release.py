"""Offer day: set the moment, and publish every case of the round exactly once, then every
change the family must hear about as an amended release, exactly once.

The moment itself is a comparison with the server clock (``outcome_visible``): no queue,
cache or email decides what a family may see. The every-minute job (``release_due``)
creates the releases that are due: release 1 of every case of a round whose moment has
come, and an amended release of every case whose publishable outcome (its signed-off
decision, or none) differs from what its latest release published. A small task per
release (``release_complete``) moves the case's state, fixes the decision and the letter it
publishes, and queues one email per contact (or a letter to post). The job takes a lease so
two runs never work at once, and every step is safe to run any number of times.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string

from offers.models import LetterKind, LetterToPost, OfferDayChange, Release
from offers.services.appeals import appeals_implemented
from offers.services.letters import (
    APPROVED,
    LetterSpec,
    final_decision,
    letter_render,
)
from panels.models import FINAL_OUTCOMES, Decision
from phasetransfer.cases.state import UNDECIDED, case_release_no_decision, case_release_offer
from phasetransfer.cohort.selectors import primary_contact
from phasetransfer.core import clock
from phasetransfer.core.channels import channels_for, letter_by_notify
from phasetransfer.core.locks import lease
from phasetransfer.core.outbox import email_enqueue, site_url
from phasetransfer.core.visibility import outcome_visible
from phasetransfer.models import Case, CaseState, Channel, Contact, OutboundEmail, Round, User

EMAIL_TEMPLATE_VERSION = 1
RELEASE_LEASE = "offers.release"
RELEASE_LEASE_TTL = dt.timedelta(minutes=10)
# Amendments are looked for in rounds this recent (entry year), not in every past round.
AMEND_YEARS = 1


class OfferDayRefused(Exception):
    pass


def offer_day_set(
    *, round_: Round, at: dt.datetime, actor: User | None, now: dt.datetime | None = None
) -> Round:
    """Set or move the round's SEN offer day: only before the moment, never while the release
    job runs (it takes the same lease), recorded with who, when, from and to.

    Letters rendered for the old moment carry the old date; they are out of date now and
    the every-minute render job makes them again.
    """
    moment = now or clock.now()
    with lease(RELEASE_LEASE, ttl=RELEASE_LEASE_TTL) as held:
        if not held:
            raise OfferDayRefused(
                "Outcomes are being released right now, so offer day cannot be changed. Try "
                "again in a minute."
            )
        with transaction.atomic():
            locked = Round.objects.select_for_update().get(pk=round_.pk)
            before = locked.offer_day_at
            if (before is not None and before <= moment) or Release.objects.filter(
                round=locked
            ).exists():
                raise OfferDayRefused(
                    "SEN offer day has already begun for this round, so it cannot be moved."
                )
            if at <= moment:
                raise OfferDayRefused("Offer day must be in the future.")
            locked.offer_day_at = at
            try:
                locked.full_clean(validate_unique=False)
            except ValidationError as invalid:
                messages = invalid.message_dict.get("offer_day_at", invalid.messages)
                raise OfferDayRefused(" ".join(messages)) from None
            locked.save(update_fields=["offer_day_at", "statutory_deadline_at"])
            OfferDayChange.objects.create(
                round=locked, changed_by=actor, changed_at=moment, from_at=before, to_at=at
            )
    round_.offer_day_at = locked.offer_day_at
    round_.statutory_deadline_at = locked.statutory_deadline_at
    return round_


@dataclass
class ReleaseSummary:
    rounds: int = 0
    created: int = 0
    amended: int = 0
    contacts_added: int = 0
    dispatched: list[int] = field(default_factory=list)
    skipped_locked: bool = False


def _email_body(case: Case, *, amended: bool) -> str:
    template = "offers/emails/outcome_changed.txt" if amended else "offers/emails/outcome_ready.txt"
    return render_to_string(
        template,
        {
            "round": case.round,
            "sign_in_url": site_url("login"),
            "local_authority_name": settings.LOCAL_AUTHORITY_NAME,
        },
    )


def _text_body(*, amended: bool) -> str:
    news = "has changed" if amended else "is ready"
    return (
        f"{settings.LOCAL_AUTHORITY_NAME}: your SEN phase transfer outcome {news}. "
        f"Sign in to see it: {site_url('login')}"
    )


def _email_key(release: Release, contact_id: int) -> str:
    # Release 1 keeps the key it always had, so no family is emailed twice across versions.
    number = "" if release.number == 1 else f"r{release.number}:"
    return f"offer:{release.case_id}:{contact_id}:{number}email:v{EMAIL_TEMPLATE_VERSION}"


def _first_release_moment(round_: Round, now: dt.datetime) -> dt.datetime:
    """Release 1 belongs to the offer-day moment, unless it is made on a later day (a case
    that arrived after offer day): then it is dated the day it is made."""
    offer_day = round_.offer_day_at
    assert offer_day is not None  # only rounds whose moment has come are released
    same_day = offer_day.astimezone(clock.LONDON).date() == now.astimezone(clock.LONDON).date()
    return offer_day if same_day else now


def _publishable(round_: Round) -> dict[int, Decision]:
    """case id -> the signed-off decision a release made now would publish."""
    return {
        d.case_id: d
        for d in Decision.objects.filter(
            case__round=round_,
            case__state__in=APPROVED,
            superseded_by__isnull=True,
            outcome__in=FINAL_OUTCOMES,
        ).order_by("case_id", "decided_at", "id")
    }


def _amendment_reason(published: tuple[str, int | None], now_kind: str) -> str:
    kind, _decision = published
    if kind == LetterKind.NO_DECISION:
        return "A decision has been made since the family was told there was none yet."
    if now_kind == LetterKind.NO_DECISION:
        return "The offer is withdrawn: there is no decision for now."
    return "The decision has changed."


def _round_amendments(round_: Round, now: dt.datetime) -> list[Release]:
    """New releases for every case whose publishable outcome differs from its latest one."""
    latest: dict[int, tuple[int, str, int | None]] = {}
    for case_id, release_number, release_kind, published_decision in (
        Release.objects.filter(round=round_, completed_at__isnull=False)
        .order_by("case_id", "number")
        .values_list("case_id", "number", "kind", "decision_id")
    ):
        latest[case_id] = (release_number, release_kind, published_decision)
    open_cases = set(
        Release.objects.filter(round=round_, completed_at__isnull=True).values_list(
            "case_id", flat=True
        )
    )
    publishable = _publishable(round_)
    amendments = []
    live = Case.objects.filter(round=round_, pk__in=latest).exclude(state=CaseState.WITHDRAWN)
    for case_id in live.values_list("pk", flat=True):
        if case_id in open_cases:
            continue
        number, kind, decision_id = latest[case_id]
        decision = publishable.get(case_id)
        now_kind = LetterKind.OFFER if decision is not None else LetterKind.NO_DECISION
        if (now_kind, decision.pk if decision else None) == (kind, decision_id):
            continue
        amendments.append(
            Release(
                case_id=case_id,
                number=number + 1,
                round=round_,
                released_at=now,
                dispatched_at=now,
                reason=_amendment_reason((kind, decision_id), now_kind),
            )
        )
    return amendments


def _round_dispatch(round_: Round, now: dt.datetime, summary: ReleaseSummary) -> None:
    moment = _first_release_moment(round_, now)
    first = [
        Release(case_id=pk, round=round_, released_at=moment, dispatched_at=now)
        for pk in Case.objects.filter(round=round_, releases__isnull=True)
        .exclude(state=CaseState.WITHDRAWN)
        .values_list("pk", flat=True)
    ]
    amended = _round_amendments(round_, now)
    # ignore_conflicts: a row another run already made (the same case and number, or an
    # open release of the case) wins; ours is dropped.
    Release.objects.bulk_create([*first, *amended], batch_size=1000, ignore_conflicts=True)
    summary.created += len(first)
    summary.amended += len(amended)
    # An incomplete release handed to a worker this long ago is handed out again.
    stale = now - dt.timedelta(seconds=settings.OFFERS_REDISPATCH_SECONDS)
    due = Release.objects.filter(round=round_, completed_at__isnull=True).filter(
        Q(dispatched_at=now) | Q(dispatched_at__lt=stale)
    )
    ids = list(due.values_list("pk", flat=True))
    Release.objects.filter(pk__in=ids).update(dispatched_at=now)
    summary.dispatched += ids


def _round_published(round_: Round, now: dt.datetime) -> None:
    """Mark the round's offer day published once every case it had then has been told.

    Until then its decisions are frozen (``phasetransfer.core.visibility``).
    """
    if round_.offer_day_published_at is not None:
        return
    untold = Case.objects.filter(round=round_).exclude(state=CaseState.WITHDRAWN)
    untold = untold.filter(
        Q(releases__isnull=True) | Q(releases__number=1, releases__completed_at__isnull=True)
    )
    if not untold.exists():
        Round.objects.filter(pk=round_.pk, offer_day_published_at=None).update(
            offer_day_published_at=now
        )


def release_due(*, now: dt.datetime | None = None) -> ReleaseSummary:
    """The every-minute job: create and hand out the releases that are due.

    Returns the release ids to hand to workers (``release_case`` tasks). Holding a
    lease, so two runs never work at once; safe to run any number of times.
    """
    moment = now or clock.now()
    summary = ReleaseSummary()
    oldest = moment.astimezone(clock.LONDON).year - AMEND_YEARS
    with lease(RELEASE_LEASE, ttl=RELEASE_LEASE_TTL) as held:
        if not held:
            summary.skipped_locked = True
            return summary
        for round_ in Round.objects.filter(offer_day_at__lte=moment, entry_year__gte=oldest):
            summary.rounds += 1
            _round_dispatch(round_, moment, summary)
            summary.contacts_added += _contacts_added_since(round_, moment)
            _round_published(round_, moment)
    return summary


def _tell(release: Release, contact: Contact, *, now: dt.datetime) -> bool:
    """Email the contact, or put the letter in the post (with GOV.UK Notify: Notify posts
    it, to families with no email or, where the council chooses, to all; texts go as well,
    see ``channels_for``); True if any was arranged.

    A contact with neither an email address nor a postal address cannot be told: the
    officer's page lists the case.
    """
    case = release.case
    if Channel.SMS in channels_for("offer_day", email=contact.email, mobile=contact.mobile):
        # As well as the email or the letter: "sign in", no name, no outcome.
        email_enqueue(
            key=_text_key(release, contact.pk),
            kind="offer_day",
            channel=Channel.SMS,
            to=contact.mobile,
            subject="",
            body=_text_body(amended=release.is_amended),
            case=case,
            now=now,
        )
    if contact.email:
        # Only a link to sign in: no outcome or personal data in the email itself.
        email_enqueue(
            key=_email_key(release, contact.pk),
            kind="offer_day",
            to=contact.email,
            subject=(
                "Your SEN phase transfer outcome has changed"
                if release.is_amended
                else "Your SEN phase transfer outcome is ready"
            ),
            body=_email_body(case, amended=release.is_amended),
            case=case,
            now=now,
        )
    if not contact.address.strip():
        return bool(contact.email)
    if letter_by_notify(has_email=bool(contact.email)) and _addressed_to(release, contact):
        # Notify prints and posts the letter itself: its PDF carries this contact's address
        # in the envelope window (offers/services/letter_spec.py).
        assert release.letter is not None
        email_enqueue(
            key=_letter_key(release, contact.pk),
            kind="offer_day",
            channel=Channel.LETTER,
            to=contact.name,
            subject="",
            body="",
            attachment=bytes(release.letter.pdf),
            case=case,
            now=now,
        )
        return True
    if not contact.email:
        LetterToPost.objects.get_or_create(release=release, contact=contact)
    return True


def _text_key(release: Release, contact_id: int) -> str:
    return _email_key(release, contact_id).replace(":email:", ":text:")


def _letter_key(release: Release, contact_id: int) -> str:
    return _email_key(release, contact_id).replace(":email:", ":letter:")


def _addressed_to(release: Release, contact: Contact) -> bool:
    """The letter is addressed to the case's primary contact (letter_context)."""
    primary = primary_contact(release.case)
    return primary is not None and primary.pk == contact.pk


def _previous(release: Release) -> Release | None:
    return (
        Release.objects.filter(
            case_id=release.case_id, number__lt=release.number, completed_at__isnull=False
        )
        .select_related("letter")
        .order_by("-number")
        .first()
    )


def _move_state(case: Case, decision: Decision | None, now: dt.datetime) -> None:
    if decision is not None and case.state == CaseState.OFFER_APPROVED:
        case_release_offer(case=case, now=now)
    elif decision is None and (case.state in UNDECIDED or case.state == CaseState.DECIDED):
        reason = "SEN offer day" if case.state in UNDECIDED else "Not signed off by offer day"
        case_release_no_decision(case=case, reason=reason, now=now)


def release_complete(*, release_id: int, now: dt.datetime | None = None) -> bool:
    """Publish one release: state, the decision and letter it fixes, and one message per
    contact. Idempotent; True if done now.

    The case row is locked too, so a panel's change to the case waits for the release (or
    the release for it): what is published is what the case was at that instant, and any
    later difference becomes the next, amended release.
    """
    moment = now or clock.now()
    with transaction.atomic():
        release = (
            Release.objects.select_for_update()
            .filter(pk=release_id, completed_at__isnull=True)
            .first()
        )
        if release is None:
            return False
        case = (
            Case.objects.select_for_update()
            .select_related("round", "child")
            .get(pk=release.case_id)
        )
        release.case = case
        if not outcome_visible(case, moment):
            raise OfferDayRefused("Refusing to release a case before its offer day.")
        decision = final_decision(case)
        _move_state(case, decision, moment)
        previous = _previous(release)
        spec = LetterSpec(
            decision=decision,
            dated=release.released_at.astimezone(clock.LONDON).date(),
            amended=release.is_amended,
            replaces=previous.letter.dated if previous and previous.letter else None,
        )
        letter = letter_render(case=case, spec=spec, now=moment)
        release.kind = spec.kind
        release.decision = decision
        release.letter = letter
        release.letter_sha256 = letter.sha256
        for contact in Contact.objects.filter(case=case).order_by("pk"):
            if _tell(release, contact, now=moment):
                if contact.email:
                    release.emails_queued += 1
                else:
                    release.letters_to_post += 1
        if decision is not None:
            # An order or a concession is carried out when its decision reaches the family.
            appeals_implemented(case=case, decision_id=decision.pk, on=spec.dated)
        release.completed_at = moment
        release.save(
            update_fields=[
                "kind",
                "decision",
                "letter",
                "letter_sha256",
                "emails_queued",
                "letters_to_post",
                "completed_at",
            ]
        )
    if release.number == 1:
        _round_published(case.round, moment)
    return True


def _contacts_added_since(round_: Round, now: dt.datetime) -> int:
    """Tell contacts added to a case after its latest release (and ones whose email or
    postal address was filled in since): each gets that release's message, once."""
    latest: dict[int, Release] = {}
    for release in Release.objects.filter(round=round_, completed_at__isnull=False).order_by(
        "case_id", "number"
    ):
        latest[release.case_id] = release
    if not latest:
        return 0
    keys = set(
        OutboundEmail.objects.filter(kind="offer_day", case__round=round_).values_list(
            "key", flat=True
        )
    )
    posted = set(
        LetterToPost.objects.filter(release__round=round_).values_list("release_id", "contact_id")
    )
    told = 0
    contacts = Contact.objects.filter(case_id__in=latest).exclude(case__state=CaseState.WITHDRAWN)
    for contact in contacts.select_related("case__round"):
        release = latest[contact.case_id]
        if contact.email and _email_key(release, contact.pk) in keys:
            continue
        if not contact.email and (release.pk, contact.pk) in posted:
            continue
        if not contact.email and _letter_key(release, contact.pk) in keys:
            continue  # Notify has (or will have) its letter
        release.case = contact.case
        with transaction.atomic():
            if _tell(release, contact, now=now):
                told += 1
    return told
