"""Panels' API endpoints (mounted under /api/v1/ by phasetransfer.config.urls): decisions."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from panels.models import Decision
from phasetransfer.api.base import ApiListView
from phasetransfer.api.filters import CaseFilters, filter_cases
from phasetransfer.api.scopes import Scope


def decisions_visible(*, scopes: frozenset[Scope]) -> QuerySet[Decision]:
    """Every decision for a caller with ``decisions:read``; none for any other (lists included)."""
    if Scope.DECISIONS_READ not in scopes:
        return Decision.objects.none()
    return Decision.objects.select_related("case", "session", "setting", "superseded_by").order_by(
        "pk"
    )


class DecisionFilters(CaseFilters):
    current = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: only decisions no later one has superseded; false: only superseded.",
    )


class PanelSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    send_area = serializers.CharField()
    starts_at = serializers.DateTimeField()
    signed_off_at = serializers.DateTimeField(allow_null=True)


class DecisionSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference", read_only=True)
    round = serializers.IntegerField(source="case.round_id", read_only=True)
    session = PanelSessionSerializer(read_only=True)
    setting_urn = serializers.IntegerField(source="setting.urn", allow_null=True, read_only=True)
    setting_name = serializers.CharField(source="setting.name", allow_null=True, read_only=True)
    supersedes = serializers.IntegerField(source="supersedes_id", allow_null=True, read_only=True)
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = [
            "id",
            "case",
            "round",
            "session",
            "outcome",
            "setting_urn",
            "setting_name",
            "setting_type",
            "ground",
            "reasons",
            "decided_at",
            "supersedes",
            "change_reason",
            "is_current",
        ]

    def get_is_current(self, decision: Decision) -> bool:
        return not hasattr(decision, "superseded_by")


@extend_schema(parameters=[DecisionFilters])
class DecisionList(ApiListView):
    """Panel decisions with their statutory grounds; a change is a new decision superseding one."""

    required_scopes = (Scope.DECISIONS_READ,)
    serializer_class = DecisionSerializer
    filter_class = DecisionFilters
    audit_kind = "decisions"

    def get_queryset(self) -> QuerySet[Decision]:
        filters: dict[str, Any] = self.filters()
        decisions = filter_cases(decisions_visible(scopes=self.scopes()), filters, prefix="case__")
        if filters.get("current") is not None:
            decisions = decisions.filter(superseded_by__isnull=filters["current"])
        if "updated_since" in filters:
            since = filters["updated_since"]
            # Changed: made, superseded by a later one, or signed off since.
            decisions = decisions.filter(
                Q(decided_at__gte=since)
                | Q(superseded_by__decided_at__gte=since)
                | Q(session__signed_off_at__gte=since)
            )
        return decisions


urlpatterns: list[URLPattern] = [
    path("decisions/", DecisionList.as_view(), name="api-decisions"),
]
