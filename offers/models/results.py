"""Exam results for post-16 conditional offers, imported on results day (issue 19)."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models


class ExamResult(models.Model):
    """One subject's grade for one young person, as the results file gave it (normalised to
    its scale's spelling: panels.conditions). A later file replaces the grade: a corrected
    or re-marked result."""

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
