"""Reads of offer day: the round's release progress and what families answered."""

from __future__ import annotations

from dataclasses import dataclass

from offers.models import FamilyResponse, Release
from offers.services.letters import (
    current_letters,
)
from phasetransfer.models import Case, CaseState, EmailStatus, OutboundEmail, Round


def round_outcome_figures(round_: Round) -> dict[str, object]:
    """Appeal rate and independent-setting requests, as the council reports them (9.7%; 47/120)."""
    released = Case.objects.filter(round=round_, release__completed_at__isnull=False).count()
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
    released: int
    letters_current: int
    emails_total: int
    emails_sent: int
    emails_failed: int
    emails_pending: int
    letters_to_post: int

    @property
    def percent(self) -> int:
        work = self.cases + self.emails_total
        done = self.released + self.emails_sent
        return round(100 * done / work) if work else 0


def release_status(round_: Round) -> ReleaseStatus:
    emails = OutboundEmail.objects.filter(kind="offer_day", case__round=round_)
    cases = Case.objects.filter(round=round_).exclude(state=CaseState.WITHDRAWN)
    releases = Release.objects.filter(round=round_)
    return ReleaseStatus(
        cases=cases.count(),
        released=releases.filter(completed_at__isnull=False).count(),
        letters_current=current_letters().filter(case__round=round_).count(),
        emails_total=emails.count(),
        emails_sent=emails.filter(status=EmailStatus.SENT).count(),
        emails_failed=emails.filter(status__in=[EmailStatus.FAILED, EmailStatus.ABANDONED]).count(),
        emails_pending=emails.filter(status__in=[EmailStatus.PENDING, EmailStatus.SENDING]).count(),
        letters_to_post=sum(releases.values_list("letters_to_post", flat=True)),
    )
