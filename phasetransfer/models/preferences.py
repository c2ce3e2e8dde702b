"""The family's ranked preferences and the LA's consultations with settings (s38, s39)."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models import F, Q


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


class ConsultationStatus(models.TextChoices):
    PENDING = "pending", "Awaiting response"
    CAN_MEET = "can_meet", "Can meet need"
    CANNOT_MEET = "cannot_meet", "Cannot meet need"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Consultation(models.Model):
    """The LA asks one setting whether it can meet one child's needs (s39)."""

    case = models.ForeignKey(
        "phasetransfer.Case", on_delete=models.CASCADE, related_name="consultations"
    )
    setting = models.ForeignKey(
        "phasetransfer.Setting", on_delete=models.PROTECT, related_name="consultations"
    )
    status = models.CharField(
        max_length=12, choices=ConsultationStatus.choices, default=ConsultationStatus.PENDING
    )
    sent_at = models.DateTimeField()
    due_at = models.DateTimeField()
    ground_unsuitable = models.BooleanField(default=False)
    ground_others = models.BooleanField(default=False)
    ground_resources = models.BooleanField(default=False)
    response_text = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_on_behalf = models.BooleanField(default=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=300, blank=True)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by"
    )

    class Meta:
        ordering = ["case", "sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "setting"],
                condition=Q(status="pending"),
                name="consultation_one_open_per_case_setting",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gt=F("sent_at")), name="consultation_due_after_sent"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ConsultationStatus.values), name="consultation_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="cannot_meet")
                | Q(ground_unsuitable=True)
                | Q(ground_others=True)
                | Q(ground_resources=True),
                name="consultation_refusal_has_ground",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "withdrawn"]) | Q(responded_at__isnull=False),
                name="consultation_response_has_time",
            ),
        ]
        indexes = [models.Index(fields=["setting", "status"])]

    def __str__(self) -> str:
        return f"{self.case_id} -> {self.setting_id} ({self.status})"
