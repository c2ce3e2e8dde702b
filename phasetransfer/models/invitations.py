"""Invitations to a family to name preferences, and the checks made when they link a child."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q


class InvitationChannel(models.TextChoices):
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"


class Invitation(models.Model):
    """A one-time code for one contact of one case. Only a keyed hash of the code is stored."""

    case = models.ForeignKey(
        "phasetransfer.Case", on_delete=models.CASCADE, related_name="invitations"
    )
    contact = models.ForeignKey(
        "phasetransfer.Contact", on_delete=models.CASCADE, related_name="invitations"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=6, choices=InvitationChannel.choices)
    created_at = models.DateTimeField()
    superseded_at = models.DateTimeField(null=True, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    redeemed_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    letter_printed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"],
                condition=Q(superseded_at__isnull=True, redeemed_at__isnull=True),
                name="invitation_one_live_per_contact",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation {self.pk} for {self.case_id}"

    @property
    def is_live(self) -> bool:
        return self.superseded_at is None and self.redeemed_at is None


class LinkAttempt(models.Model):
    """A try at linking a child with a code and date of birth; counted to lock out guessing."""

    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()
    succeeded = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["user", "at"]), models.Index(fields=["ip_address", "at"])]

    def __str__(self) -> str:
        return f"link attempt by {self.user_id} at {self.at:%Y-%m-%d %H:%M}"
