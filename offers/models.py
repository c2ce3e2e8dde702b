"""SEN offer day: the release of every family's outcome at one moment, and the letters."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q


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
    """One case's release on offer day: a unique row, so it happens exactly once.

    The every-minute job creates the rows for a due round in bulk and hands each
    to a small task, which moves the case's state and queues one email per
    contact, then marks the row complete. A row left incomplete (a worker died)
    is handed out again after a while; every step is idempotent.
    """

    case = models.OneToOneField(
        "phasetransfer.Case", on_delete=models.PROTECT, related_name="release"
    )
    round = models.ForeignKey("phasetransfer.Round", on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(help_text="The offer-day moment this release belongs to.")
    dispatched_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    kind = models.CharField(max_length=12, choices=LetterKind.choices, blank=True)
    emails_queued = models.PositiveSmallIntegerField(default=0)
    letters_to_post = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["round", "completed_at"])]

    def __str__(self) -> str:
        return f"release of {self.case_id}"


class FamilyResponse(models.Model):
    """After release: the family accepts, or says they intend to appeal or want mediation.

    Recorded for the LA's planning; it has no legal effect (the right of appeal is
    not affected by anything said here).
    """

    class Answer(models.TextChoices):
        ACCEPT = "accept", "Accept the place"
        APPEAL = "appeal", "Intend to appeal to the SEND Tribunal"
        MEDIATION = "mediation", "Want mediation"

    case = models.ForeignKey(
        "phasetransfer.Case", on_delete=models.PROTECT, related_name="family_responses"
    )
    answer = models.CharField(max_length=10, choices=Answer.choices)
    wants_independent = models.BooleanField(
        default=False, help_text="The family asks for an independent setting."
    )
    comments = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField()

    class Meta:
        ordering = ["case", "-responded_at"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.answer}"
