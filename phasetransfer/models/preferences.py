"""The family's ranked preferences and the LA's consultations with settings (s38, s39)."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q


class Preference(models.Model):
    case = models.ForeignKey(
        "phasetransfer.Case", on_delete=models.CASCADE, related_name="preferences"
    )
    rank = models.PositiveSmallIntegerField()
    setting = models.ForeignKey(
        "phasetransfer.Setting", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    other_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="A setting not in the list (independent, out of area).",
    )
    other_details = models.CharField(max_length=300, blank=True)
    reasons = models.TextField(blank=True)
    entered_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_on_behalf = models.BooleanField(
        default=False, help_text="Entered by LA staff for the family (phone or paper)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["case", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["case", "rank"], name="preference_rank_unique"),
            models.UniqueConstraint(
                fields=["case", "setting"],
                condition=Q(setting__isnull=False),
                name="preference_setting_once_per_case",
            ),
            models.CheckConstraint(
                condition=Q(rank__gte=1, rank__lte=10), name="preference_rank_range"
            ),
            models.CheckConstraint(
                condition=(Q(setting__isnull=False) & Q(other_name=""))
                | (Q(setting__isnull=True) & ~Q(other_name="")),
                name="preference_setting_xor_other",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.setting or self.other_name}"

    @property
    def display_name(self) -> str:
        return self.setting.name if self.setting else self.other_name


class PreferenceSubmission(models.Model):
    """Preferences sent by a family (or by staff for them), with a snapshot of what was sent."""

    case = models.ForeignKey(
        "phasetransfer.Case", on_delete=models.CASCADE, related_name="submissions"
    )
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    on_behalf = models.CharField(
        max_length=10, blank=True, help_text="'phone' or 'paper' when staff entered it."
    )
    late = models.BooleanField(default=False)
    receipt = models.CharField(max_length=20, unique=True)
    snapshot = models.JSONField(default=list)

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return self.receipt
