"""After release: what families answer, and the work it gives caseworkers."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q

from offers.models.releases import Release


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
    release = models.ForeignKey(
        Release,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responses",
        help_text="The release the family answered (an amended release asks again).",
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


class FollowUpKind(models.TextChoices):
    ACCEPTED = "accepted", "Accepted: finalise the plan"
    APPEAL = "appeal", "Intends to appeal: offer mediation and advice"
    MEDIATION = "mediation", "Wants mediation: arrange it"
    NO_ANSWER = "no_answer", "No answer: contact the family"


class FollowUp(models.Model):
    """Work a family's answer (or silence) gives the case's caseworker after release."""

    case = models.ForeignKey(
        "phasetransfer.Case", on_delete=models.PROTECT, related_name="follow_ups"
    )
    kind = models.CharField(max_length=10, choices=FollowUpKind.choices)
    response = models.ForeignKey(
        FamilyResponse, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_to = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
    )
    created_at = models.DateTimeField()
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=Q(done_at__isnull=True),
                name="follow_up_one_open_per_case_and_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=FollowUpKind.values), name="follow_up_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.case_id}"
