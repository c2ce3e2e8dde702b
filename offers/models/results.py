"""Exam results for post-16 conditional offers, imported on results day (issue 19)."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models

from offers.models.releases import ACTIVE_JOB
from phasetransfer.models import RunStatus


class ExamResult(models.Model):
    """One subject's grade for one young person, as the results file gave it (normalised to
    its scale's spelling: phasetransfer.core.conditions). A later file replaces the grade:
    a corrected or re-marked result."""

    class Scale(models.TextChoices):
        GCSE = "gcse", "GCSE (9 to 1)"
        VOCATIONAL = "vocational", "Vocational (D* to P)"
        PASS_FAIL = "pass_fail", "Pass or fail"

    case = models.ForeignKey(
        "phasetransfer.Case", on_delete=models.CASCADE, related_name="exam_results"
    )
    subject = models.CharField(max_length=100)
    scale = models.CharField(max_length=10, choices=Scale.choices)
    grade = models.CharField(max_length=10)
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["case_id", "subject"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "subject", "scale"], name="one_result_per_subject_and_scale"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject}: {self.grade}"


class ProviderConfirmation(models.Model):
    """A college's or sixth form's word on a conditional offer it is named in: the young
    person meets the entry requirements of the offer's first branch (and enrols on it), or
    does not (and takes the other). It settles a condition results cannot ("the provider
    confirms"), and overrides results for any other: the provider knows its own entry."""

    decision = models.OneToOneField(
        "panels.Decision", on_delete=models.CASCADE, related_name="provider_confirmation"
    )
    met = models.BooleanField()
    confirmed_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField()
    on_behalf = models.BooleanField(
        default=False, help_text="Recorded by a caseworker for the provider."
    )

    def __str__(self) -> str:
        return f"{'met' if self.met else 'not met'} for decision {self.decision_id}"


class SettlementRun(models.Model):
    """Results day: settling a round's conditional offers, done by a worker."""

    round = models.ForeignKey(
        "phasetransfer.Round", on_delete=models.CASCADE, related_name="settlements"
    )
    requested_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    met = models.PositiveIntegerField(default=0)
    not_met = models.PositiveIntegerField(default=0)
    unsettled = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round"], condition=ACTIVE_JOB, name="settlement_one_active_per_round"
            ),
        ]

    def __str__(self) -> str:
        return f"settlement {self.pk} of {self.round_id}"

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0
