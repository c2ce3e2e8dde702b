"""Integration clients of the REST API (a council's case-management system) and the call log."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q


class ApiClient(models.Model):
    """A system that calls the API with a bearer token, limited to its scopes.

    Only a SHA-256 hash of the token is stored: the token is shown once, when the
    client is created (``manage.py create_api_client``). Tokens are 256 random bits,
    so a fast hash is enough; a slow password hash would only slow every call.
    """

    name = models.CharField(max_length=100, unique=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(
        max_length=12, editable=False, help_text="The token's first characters, to recognise it."
    )
    scopes = models.JSONField(default=list, help_text="e.g. cases:read, cohort:write")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="api_client_name_not_blank"),
        ]

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class ApiCall(models.Model):
    """One call to the API: who, what, when, the outcome and the ids it touched.

    No personal data: the path (case references are not personal data, query
    strings are not kept) and database ids only.
    """

    client = models.ForeignKey(
        ApiClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    object_ids = models.JSONField(
        default=dict, blank=True, help_text='Ids touched, by kind: {"cases": [12, 13]}.'
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["at"]),
            models.Index(fields=["client", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"
