"""Reads of offer day: what each family was told (the published releases), the round's
release progress, who cannot be told, letters to post, and what families answered."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from offers.models import (
    ACTIVE_JOB,
    FamilyResponse,
    LetterToPost,
    OfferDayChange,
    PrintBatch,
    RehearsalRun,
    Release,
)
from offers.services.letters import current_letters
from phasetransfer.core.outbox_selectors import round_email_counts
from phasetransfer.models import Case, CaseState, Contact, EmailStatus, Round


def releases_published(case: Case) -> list[Release]:
    """Every release the family has been given, oldest first, with its letter and decision."""
    return list(
        Release.objects.filter(case=case, completed_at__isnull=False)
        .select_related("decision__setting")
        .defer("letter__html", "letter__pdf")
        .order_by("number")
    )


def release_published(case: Case, number: int | None = None) -> Release | None:
    """The case's latest published release (what the family is told now), or release ``number``."""
    releases = Release.objects.filter(case=case, completed_at__isnull=False)
    if number is not None:
        releases = releases.filter(number=number)
    return releases.select_related("decision__setting").order_by("-number").first()


def release_letter_pdf(release: Release) -> bytes:
    """The PDF a release published (its hash is on the release)."""
    pdf = Release.objects.filter(pk=release.pk).values_list("letter__pdf", flat=True).get()
    return bytes(pdf)


def round_outcome_figures(round_: Round) -> dict[str, object]:
    """Appeal rate and independent-setting requests, as the council reports them (9.7%; 47/120)."""
    released = (
        Case.objects.filter(round=round_, releases__completed_at__isnull=False).distinct().count()
    )
    latest = {}
    for response in FamilyResponse.objects.filter(case__round=round_).order_by(
        "responded_at", "id"
    ):
        latest[response.case_id] = response
    appeals = [r for r in latest.values() if r.answer != FamilyResponse.Answer.ACCEPT]
    return {
        "released": released,
        "accepted": sum(1 for r in latest.values() if r.answer == FamilyResponse.Answer.ACCEPT),
        "appeals": len(appeals),
        "appeal_rate": len(appeals) / released if released else None,
        "asking_independent": sum(1 for r in appeals if r.wants_independent),
    }


@dataclass
class ReleaseStatus:
    cases: int
    released: int  # cases told on offer day (release 1 published)
    amended: int  # amended releases published
    amending: int  # amended releases not yet published
    letters_current: int
    emails_total: int
    emails_sent: int
    emails_failed: int
    emails_pending: int
    emails_unknown: int
    letters_to_post: int
    letters_posted: int

    @property
    def percent(self) -> int:
        work = self.cases + self.emails_total
        done = self.released + self.emails_sent
        return round(100 * done / work) if work else 0


def release_status(round_: Round) -> ReleaseStatus:
    by_status = round_email_counts(round_id=round_.pk)
    cases = Case.objects.filter(round=round_).exclude(state=CaseState.WITHDRAWN)
    releases = Release.objects.filter(round=round_)
    posts = LetterToPost.objects.filter(release__round=round_)
    return ReleaseStatus(
        cases=cases.count(),
        released=releases.filter(number=1, completed_at__isnull=False).count(),
        amended=releases.filter(number__gt=1, completed_at__isnull=False).count(),
        amending=releases.filter(number__gt=1, completed_at__isnull=True).count(),
        letters_current=current_letters().filter(case__round=round_).count(),
        emails_total=sum(by_status.values()),
        emails_sent=by_status[EmailStatus.SENT],
        emails_failed=by_status[EmailStatus.FAILED] + by_status[EmailStatus.ABANDONED],
        emails_pending=by_status[EmailStatus.PENDING] + by_status[EmailStatus.SENDING],
        emails_unknown=by_status[EmailStatus.UNKNOWN],
        letters_to_post=posts.count(),
        letters_posted=posts.filter(posted_at__isnull=False).count(),
    )


def amended_releases(round_: Round) -> QuerySet[Release]:
    """The round's amended releases, newest first, for the officer's page."""
    return (
        Release.objects.filter(round=round_, number__gt=1)
        .select_related("case", "decision__setting")
        .order_by("-released_at", "-id")
    )


def cases_cannot_be_told(round_: Round) -> QuerySet[Case]:
    """Cases with no contact that has an email address or a postal address.

    Before the moment: fix them now. After it: each is an exception to resolve (the family
    has not been told, whatever the release says).
    """
    reachable = Contact.objects.filter(case=OuterRef("pk")).exclude(email="", address="")
    return (
        Case.objects.filter(round=round_)
        .exclude(state=CaseState.WITHDRAWN)
        .exclude(Exists(reachable))
        .select_related("child")
        .order_by("reference")
    )


def letters_to_post(round_: Round) -> QuerySet[LetterToPost]:
    """Letters waiting to be printed and posted, oldest release first."""
    return (
        LetterToPost.objects.filter(release__round=round_, posted_at__isnull=True)
        .select_related("release__case", "contact")
        .order_by("release__released_at", "release__case__reference", "contact_id")
    )


def print_batches(round_: Round) -> QuerySet[PrintBatch]:
    return PrintBatch.objects.filter(round=round_).defer("pdf")


def rehearsal_latest(round_: Round) -> RehearsalRun | None:
    return RehearsalRun.objects.filter(round=round_).order_by("-requested_at", "-id").first()


def rehearsal_active(round_: Round) -> RehearsalRun | None:
    return RehearsalRun.objects.filter(ACTIVE_JOB, round=round_).first()


def offer_day_changes(round_: Round) -> QuerySet[OfferDayChange]:
    return OfferDayChange.objects.filter(round=round_).select_related("changed_by")
