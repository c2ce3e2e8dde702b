"""Reads of offer day: what each family was told (the published releases), the round's
release progress, who cannot be told, letters to post, and what families answered; and on
results day, the post-16 conditional offers standing, settled, and the places freed."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet

from offers.models import (
    ACTIVE_JOB,
    Appeal,
    ExamResult,
    FamilyResponse,
    FollowUp,
    LetterKind,
    LetterToPost,
    Mediation,
    MediationOutcome,
    OfferDayChange,
    PrintBatch,
    ProviderConfirmation,
    RehearsalRun,
    Release,
    SettlementRun,
)
from offers.services.letters import add_months, current_letters
from panels.models import NAMING_OUTCOMES, Decision, Outcome, Settled
from panels.services.decisions import PUBLISHED
from phasetransfer.core.conditions import Result, Scale, Settlement, Verdict, settle
from phasetransfer.core.outbox_selectors import (
    round_email_counts,
    round_notify_letters,
    round_texts_sent,
)
from phasetransfer.core.timescales import certificate_by, mediation_by
from phasetransfer.models import (
    Case,
    CaseState,
    Contact,
    EmailStatus,
    Round,
    Setting,
    SettingPlaces,
    User,
)


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
    # Through GOV.UK Notify (README "GOV.UK Notify"): letters it prints and posts, and texts.
    letters_to_notify: int = 0
    letters_notify_posted: int = 0
    texts_sent: int = 0

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
    notified, notify_posted = round_notify_letters(round_id=round_.pk)
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
        letters_to_notify=notified,
        letters_notify_posted=notify_posted,
        texts_sent=round_texts_sent(round_id=round_.pk),
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


# --- After offer day: the work queue, mediation and appeals -------------------------------

WEEK = dt.timedelta(days=7)


def follow_ups_open(round_: Round, *, assigned_to: User | None = None) -> QuerySet[FollowUp]:
    """The round's open after-offer-day tasks, the most urgent first (mine only, if given)."""
    tasks = FollowUp.objects.filter(case__round=round_, done_at__isnull=True)
    if assigned_to is not None:
        tasks = tasks.filter(assigned_to=assigned_to)
    return tasks.select_related("case__child", "assigned_to").order_by("due_on", "id")


def mediations_awaiting_approval(round_: Round) -> QuerySet[Mediation]:
    return Mediation.objects.filter(
        case__round=round_, outcome=MediationOutcome.AWAITING_APPROVAL
    ).select_related("case", "agreed_setting")


def orders_over_capacity(round_: Round) -> QuerySet[Appeal]:
    """Orders (or concessions) naming a setting that had no place left: each is a place over
    the setting's capacity, with the order as its reason."""
    return (
        Appeal.objects.filter(case__round=round_, over_capacity=True)
        .select_related("case", "ordered_setting")
        .order_by("ordered_setting__name", "decided_on")
    )


@dataclass(frozen=True)
class Due:
    """A statutory date and how it stands today (the board's RAG words)."""

    what: str
    on: dt.date
    status: str  # "overdue", "due_soon" (within 7 days), "on_track"


def _due(what: str, on: dt.date, today: dt.date) -> Due:
    if today > on:
        status = "overdue"
    elif on - today <= dt.timedelta(days=7):
        status = "due_soon"
    else:
        status = "on_track"
    return Due(what, on, status)


def mediation_due(mediation: Mediation, today: dt.date) -> Due | None:
    """What the council owes next on a mediation: the meeting within 30 days of the request
    (whenever it is booked for), then, ended without agreement, the certificate; agreed,
    the change to approve. The board's dates (``coordination.milestones``) are the same."""
    if mediation.outcome == MediationOutcome.AWAITING_APPROVAL and mediation.ended_on:
        return _due("Change to be approved by", certificate_by(mediation.ended_on), today)
    if mediation.outcome != MediationOutcome.PENDING:
        return None
    if mediation.ended_on is None:
        return _due("Mediation to take place by", mediation_by(mediation.requested_on), today)
    return _due("Certificate due by", certificate_by(mediation.ended_on), today)


def appeal_due(appeal: Appeal, today: dt.date) -> Due | None:
    """The order to carry out; while undecided, the response to the Tribunal until its day
    has passed, then the hearing. With no hearing date yet the response stays (overdue),
    as on the board, until one is recorded."""
    if appeal.order_open and appeal.order_due_on is not None:
        return _due("Order to be carried out by", appeal.order_due_on, today)
    if not appeal.is_open:
        return None
    if today > appeal.response_due_on and appeal.hearing_on is not None:
        return _due("Hearing", appeal.hearing_on, today)
    return _due("Response to the Tribunal by", appeal.response_due_on, today)


def family_appeal_by(case: Case) -> dt.date | None:
    """The last day the family may appeal: two months from their latest decision letter, or
    one month after a mediation certificate, whichever is later."""
    release = (
        Release.objects.filter(case=case, completed_at__isnull=False, kind=LetterKind.OFFER)
        .select_related("letter")
        .order_by("-number")
        .first()
    )
    if release is None or release.letter is None or release.letter.dated is None:
        return None
    by = add_months(release.letter.dated, 2)
    certificate = (
        Mediation.objects.filter(case=case, certificate_issued_on__isnull=False)
        .order_by("-certificate_issued_on")
        .values_list("certificate_issued_on", flat=True)
        .first()
    )
    if certificate is not None:
        by = max(by, add_months(certificate, 1))
    return by


@dataclass(frozen=True)
class AfterOfferDay:
    """A case's story after offer day, as staff and the family see it."""

    mediations: list[tuple[Mediation, Due | None]]
    appeals: list[tuple[Appeal, Due | None]]
    follow_ups: list[FollowUp]
    appeal_by: dt.date | None


def after_offer_day(case: Case, today: dt.date) -> AfterOfferDay:
    mediations = list(
        Mediation.objects.filter(case=case)
        .select_related("agreed_setting", "changed_decision__setting")
        .order_by("-requested_on", "-id")
    )
    appeals = list(
        Appeal.objects.filter(case=case)
        .select_related("ordered_setting")
        .order_by("-lodged_on", "-id")
    )
    return AfterOfferDay(
        mediations=[(m, mediation_due(m, today)) for m in mediations],
        appeals=[(a, appeal_due(a, today)) for a in appeals],
        follow_ups=list(case.follow_ups.select_related("assigned_to", "done_by").order_by("-id")),
        appeal_by=family_appeal_by(case),
    )


def open_after_offer_day(round_: Round, today: dt.date) -> list[tuple[object, Due]]:
    """Every open mediation and appeal (or order to carry out) of the round, with what is
    due next, the most urgent first."""
    rows: list[tuple[object, Due]] = []
    for mediation in Mediation.objects.filter(
        case__round=round_, outcome__in=[MediationOutcome.PENDING]
    ).select_related("case"):
        due = mediation_due(mediation, today)
        if due is not None:
            rows.append((mediation, due))
    for appeal in Appeal.objects.filter(case__round=round_).select_related(
        "case", "ordered_setting"
    ):
        due = appeal_due(appeal, today)
        if due is not None:
            rows.append((appeal, due))
    return sorted(rows, key=lambda row: row[1].on)


@dataclass(frozen=True)
class SettingOverCapacity:
    setting_id: int
    name: str
    places: int
    named: int
    orders: list[str]  # Tribunal references of the orders that named it while it was full

    @property
    def over_by(self) -> int:
        return self.named - self.places


def places_after_offer_day(round_: Round) -> list[SettingOverCapacity]:
    """Settings of the round with more children named than places (current decisions of
    live cases), and the orders that put them there."""
    places = dict(SettingPlaces.objects.filter(round=round_).values_list("setting_id", "places"))
    named: dict[int, int] = {}
    for setting_id in (
        Decision.objects.filter(
            case__round=round_,
            superseded_by__isnull=True,
            outcome__in=NAMING_OUTCOMES,
            setting__isnull=False,
        )
        .exclude(case__state=CaseState.WITHDRAWN)
        .values_list("setting_id", flat=True)
    ):
        named[setting_id] = named.get(setting_id, 0) + 1
    orders: dict[int, list[str]] = {}
    for appeal in orders_over_capacity(round_):
        if appeal.ordered_setting_id is not None:
            orders.setdefault(appeal.ordered_setting_id, []).append(appeal.tribunal_reference)
    over = [pk for pk, count in named.items() if pk in places and count > places[pk]]
    names = dict(Setting.objects.filter(pk__in=over).values_list("pk", "name"))
    return sorted(
        (
            SettingOverCapacity(pk, names[pk], places[pk], named[pk], orders.get(pk, []))
            for pk in over
        ),
        key=lambda row: row.name,
    )


# Results day: post-16 conditional offers ---------------------------------------------

# A conditional offer is settled once it has been decided and approved (before offer day)
# or published (after it).
SETTLEABLE = (CaseState.OFFER_APPROVED, *PUBLISHED)


def conditional_offers(round_: Round) -> QuerySet[Decision]:
    """The round's conditional offers still to settle: each case's current decision."""
    return (
        Decision.objects.filter(
            case__round=round_,
            outcome=Outcome.CONDITIONAL,
            superseded_by__isnull=True,
            case__state__in=SETTLEABLE,
        )
        .select_related("case__child", "setting", "otherwise_setting", "provider_confirmation")
        .order_by("case__reference")
    )


def _results(case_ids: list[int]) -> dict[int, list[Result]]:
    found: dict[int, list[Result]] = defaultdict(list)
    for case_id, subject, scale, grade in ExamResult.objects.filter(
        case_id__in=case_ids
    ).values_list("case_id", "subject", "scale", "grade"):
        found[case_id].append(Result(subject=subject, grade=grade, scale=Scale(scale)))
    return found


def _confirmation(decision: Decision) -> ProviderConfirmation | None:
    try:
        return decision.provider_confirmation
    except ProviderConfirmation.DoesNotExist:
        return None


def settlement_of(decision: Decision, results: list[Result]) -> Settlement:
    """Whether ``decision``'s condition is met, by the provider's word or the results."""
    confirmation = _confirmation(decision)
    if confirmation is not None:
        if confirmation.met:
            return Settlement(Verdict.MET, "the college or sixth form confirmed it")
        return Settlement(Verdict.NOT_MET, "the college or sixth form confirmed it is not met")
    condition = decision.the_condition()
    assert condition is not None  # the database refuses a conditional offer without one
    return settle(condition, results)


@dataclass(frozen=True)
class Standing:
    """One conditional offer as results day finds it."""

    decision: Decision
    settlement: Settlement


def offers_standing(round_: Round) -> list[Standing]:
    decisions = list(conditional_offers(round_))
    results = _results([d.case_id for d in decisions])
    return [Standing(d, settlement_of(d, results.get(d.case_id, []))) for d in decisions]


def settlement_latest(round_: Round) -> SettlementRun | None:
    return (
        SettlementRun.objects.filter(round=round_)
        .select_related("requested_by")
        .order_by("-requested_at", "-id")
        .first()
    )


def provider_cases(user: User) -> QuerySet[Decision]:
    """The published conditional offers naming a setting ``user`` answers for, in either
    branch: the only young people a provider sees here."""
    settings = Setting.objects.filter(contacts__user=user)
    # Only offers the family has been told: a provider must not learn a decision first.
    offers = Decision.objects.filter(
        outcome=Outcome.CONDITIONAL,
        superseded_by__isnull=True,
        case__state__in=PUBLISHED,
    ).filter(Q(setting__in=settings) | Q(otherwise_setting__in=settings))
    return offers.select_related(
        "case__child", "case__round", "setting", "otherwise_setting"
    ).order_by("case__reference")


@dataclass
class Freed:
    setting: Setting
    places: int = 0


@dataclass
class ResultsDay:
    standing: list[Standing]
    settled: list[Decision]
    freed: list[Freed] = field(default_factory=list)

    @property
    def ready(self) -> list[Standing]:
        return [s for s in self.standing if s.settlement.verdict != Verdict.UNSETTLED]

    @property
    def unsettled(self) -> list[Standing]:
        return [s for s in self.standing if s.settlement.verdict == Verdict.UNSETTLED]


def results_day(round_: Round) -> ResultsDay:
    """The round's conditional offers: those still to settle (with what settling would do
    or why it cannot), those settled, and the places freed in the branch not taken."""
    settled = list(
        Decision.objects.filter(
            case__round=round_, superseded_by__isnull=True, settled__in=Settled.values
        )
        .select_related(
            "case__child", "setting", "supersedes__setting", "supersedes__otherwise_setting"
        )
        .order_by("case__reference")
    )
    freed: dict[int, Freed] = {}
    for decision in settled:
        offer = decision.supersedes
        assert offer is not None  # the database says a settlement supersedes
        other = offer.otherwise_setting if decision.settled == Settled.MET else offer.setting
        if other is not None and other.pk != decision.setting_id:
            freed.setdefault(other.pk, Freed(other)).places += 1
    return ResultsDay(
        standing=offers_standing(round_),
        settled=settled,
        freed=sorted(freed.values(), key=lambda f: f.setting.name),
    )
