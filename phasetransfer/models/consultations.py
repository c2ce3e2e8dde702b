"""Consultations (s39): the council asks a setting whether it can meet the child's needs."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models import F, Q


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
    only_setting = models.BooleanField(
        default=False,
        help_text="The setting said the child's needs can only be met there (first under "
        "the oversubscription rule).",
    )
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


class ProgrammeAnswer(models.Model):
    """A post-16 provider's answer for one of its programmes (courses) in a consultation: its
    entry requirements, structured as a conditional offer's condition is
    (``phasetransfer.core.conditions``), and whether it can meet the young person's needs on
    it. The panel names a programme from these when it makes a conditional offer."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="programmes"
    )
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=200, help_text="As the provider names it")
    entry_requirements = models.JSONField(
        null=True, blank=True, help_text="A condition (core.conditions); none: open entry"
    )
    can_meet_need = models.BooleanField()

    class Meta:
        ordering = ["consultation", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "name"], name="programme_answer_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name
