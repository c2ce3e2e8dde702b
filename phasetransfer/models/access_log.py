"""Who opened or changed which case, and when: the read side of the audit trail.

``AuditEvent`` records what a change did; ``CaseAccess`` records that a person looked at
(or acted on, or downloaded) one case's pages. It holds no content: the case, the user,
the moment, the kind of access and the URL name of the page (never a query string, which
could carry a search term or a child's name).
"""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q


class AccessAction(models.TextChoices):
    VIEW = "view", "Viewed"
    CHANGE = "change", "Changed"
    DOWNLOAD = "download", "Downloaded"


class CaseAccess(models.Model):
    case = models.ForeignKey(
        "phasetransfer.Case", on_delete=models.CASCADE, related_name="accesses"
    )
    # Kept when the account goes, so the trail still says someone was here.
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField()
    action = models.CharField(max_length=10, choices=AccessAction.choices)
    path_name = models.CharField(max_length=80, help_text="The URL name of the page.")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["case", "at"]),
            models.Index(fields=["user", "at"]),
            models.Index(fields=["at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AccessAction.values), name="case_access_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.path_name} at {self.at:%Y-%m-%d %H:%M}"


class AuditRetention(models.Model):
    """How long a round's access rows are kept (``manage.py prune_audit``)."""

    round = models.OneToOneField(
        "phasetransfer.Round", on_delete=models.CASCADE, related_name="audit_retention"
    )
    days = models.PositiveIntegerField()

    class Meta:
        constraints = [
            # At least a month: an investigation needs the trail for a while.
            models.CheckConstraint(condition=Q(days__gte=30), name="audit_retention_min_days"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id}: {self.days} days"
