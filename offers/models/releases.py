"""SEN offer day: releases (what each family was told, and when), letters, posting, jobs."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q

from phasetransfer.models import RunStatus


class LetterKind(models.TextChoices):
    OFFER = "offer", "Offer letter"
    NO_DECISION = "no_decision", "No decision yet"


class Letter(models.Model):
    """A rendered letter for a case. At most one current letter per case.

    Decided cases' letters are rendered ahead of offer day (a PDF costs about a
    third of a second of CPU); a decision that changes supersedes its letter.
    Nothing here is shown to the family before the round's offer day.
    """

    case = models.ForeignKey("phasetransfer.Case", on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(max_length=12, choices=LetterKind.choices)
    decision = models.ForeignKey(
        "panels.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    template_version = models.PositiveSmallIntegerField()
    dated = models.DateField(
        null=True, help_text="The date printed on the letter; the appeal deadline runs from it."
    )
    amended = models.BooleanField(
        default=False, help_text="Tells the family their child's outcome has changed."
    )
    html = models.TextField()
    pdf = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    rendered_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case", "-rendered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(superseded_at__isnull=True),
                name="letter_one_current_per_case",
            ),
            models.CheckConstraint(
                condition=~Q(kind="offer") | Q(decision__isnull=False),
                name="letter_offer_has_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.case_id}"


class Release(models.Model):
    """What a family was told, when: a fixed, numbered record per case.

    Release 1 is the round's SEN offer day; every later change the family must hear about
    (a "no decision yet" case decided, a decision changed after mediation or by a
    tribunal) is a new, amended release of the case. Once complete, a release records the
    decision and the letter (with its hash) it published: the family's page, the PDF and
    the API read this record, never the live decision, so they cannot disagree.

    The every-minute job creates the rows (unique per case and number, and at most one open
    per case) and hands each to a small task, which moves the case's state, fixes what is
    published and queues one email per contact; a row left incomplete (a worker died) is
    handed out again after a while; every step is idempotent.
    """

    case = models.ForeignKey(
        "phasetransfer.Case", on_delete=models.PROTECT, related_name="releases"
    )
    number = models.PositiveSmallIntegerField(
        default=1, help_text="1 on SEN offer day; 2, 3... for each amended release."
    )
    round = models.ForeignKey("phasetransfer.Round", on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(
        help_text="When the family could see it: the offer-day moment, or when the "
        "amendment was issued."
    )
    reason = models.CharField(
        max_length=300, blank=True, help_text="Why an amended release was issued."
    )
    dispatched_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    kind = models.CharField(max_length=12, choices=LetterKind.choices, blank=True)
    decision = models.ForeignKey(
        "panels.Decision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The decision this release published (none for 'no decision yet').",
    )
    letter = models.ForeignKey(
        Letter, null=True, blank=True, on_delete=models.PROTECT, related_name="releases"
    )
    letter_sha256 = models.CharField(max_length=64, blank=True)
    emails_queued = models.PositiveSmallIntegerField(default=0)
    letters_to_post = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["case", "number"]
        indexes = [models.Index(fields=["round", "completed_at"])]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="release_number_per_case"),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(completed_at__isnull=True),
                name="release_one_open_per_case",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="release_number_positive"),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True)
                | (Q(letter__isnull=False) & ~Q(letter_sha256="") & ~Q(kind="")),
                name="release_complete_has_letter",
            ),
            models.CheckConstraint(
                condition=~Q(kind="offer") | Q(decision__isnull=False),
                name="release_offer_has_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"release {self.number} of {self.case_id}"

    @property
    def is_amended(self) -> bool:
        return self.number > 1


class LetterToPost(models.Model):
    """A contact with no email address is sent the release's letter by post."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="posted_letters")
    contact = models.ForeignKey("phasetransfer.Contact", on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(
        "offers.PrintBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="letters",
    )
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["release", "contact"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "contact"], name="letter_to_post_once_per_contact"
            ),
            models.CheckConstraint(
                condition=Q(posted_at__isnull=True) | Q(posted_by__isnull=False),
                name="letter_posted_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"letter to post for {self.release}"


# Background jobs (rehearsals, print batches) have the runs' states: queued, running, done...
ACTIVE_JOB = Q(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])


class PrintBatch(models.Model):
    """One PDF of every letter still to post for a round, each with its address page first."""

    round = models.ForeignKey(
        "phasetransfer.Round", on_delete=models.PROTECT, related_name="print_batches"
    )
    requested_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    finished_at = models.DateTimeField(null=True, blank=True)
    pdf = models.BinaryField(blank=True, default=b"")
    error = models.CharField(max_length=300, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round"], condition=ACTIVE_JOB, name="print_batch_one_active_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"print batch {self.pk} for {self.round_id}"


class RehearsalRun(models.Model):
    """A rehearsal of a round's offer day, done by a worker: it releases and sends nothing."""

    round = models.ForeignKey(
        "phasetransfer.Round", on_delete=models.CASCADE, related_name="rehearsals"
    )
    requested_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round"], condition=ACTIVE_JOB, name="rehearsal_one_active_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"rehearsal {self.pk} of {self.round_id}"

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


class OfferDayChange(models.Model):
    """Who set or moved a round's SEN offer day, when, from what to what."""

    round = models.ForeignKey(
        "phasetransfer.Round", on_delete=models.CASCADE, related_name="offer_day_changes"
    )
    changed_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField()
    from_at = models.DateTimeField(null=True, blank=True)
    to_at = models.DateTimeField()

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"offer day of {self.round_id} set to {self.to_at:%Y-%m-%d %H:%M}"
