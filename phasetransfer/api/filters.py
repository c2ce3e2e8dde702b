"""Query parameters of the list endpoints, validated like any input (400 with field errors)."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from rest_framework import serializers

from phasetransfer.models import AuditEvent, CaseState

# Cases, or rows that belong to a case (filtered through ``prefix``).
M = TypeVar("M", bound=Model)

MAX_ID = 2**31 - 1


class SinceField(serializers.DateTimeField):
    """An ISO 8601 moment (an offset, or London time without one), in a sane range of years."""

    def to_internal_value(self, value: Any) -> dt.datetime:
        moment: dt.datetime = super().to_internal_value(value)
        if not 1900 <= moment.year <= 2200:
            raise serializers.ValidationError("Give a moment between the years 1900 and 2200.")
        return moment


class RoundFilters(serializers.Serializer):
    round = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="A round's id (/api/v1/rounds/)."
    )
    updated_since = SinceField(
        required=False, help_text="Only what changed at or after this moment (ISO 8601)."
    )


class CaseFilters(RoundFilters):
    # A blank parameter (``?district=``) means no filter, as it does on the staff pages.
    state = serializers.ChoiceField(choices=CaseState.choices, required=False, allow_blank=True)
    district = serializers.CharField(required=False, max_length=40, allow_blank=True)
    area = serializers.CharField(
        required=False,
        max_length=40,
        allow_blank=True,
        help_text="The SEND area (North, East, South, West).",
    )


def filter_cases(cases: QuerySet[M], filters: dict[str, Any], *, prefix: str = "") -> QuerySet[M]:
    """Apply round/state/district/area to ``cases`` or, with ``prefix="case__"``, to a related set.

    ``updated_since`` is left to each endpoint: what "changed" means differs.
    """
    lookups = {
        "round": "round_id",
        "state": "state",
        "district": "district",
        "area": "send_area",
    }
    for name, field_name in lookups.items():
        if filters.get(name) not in (None, ""):
            cases = cases.filter(**{prefix + field_name: filters[name]})
    return cases


def case_changed_since(since: dt.datetime) -> Q:
    """A case changed at or after ``since``: opened, or anything recorded in its audit trail.

    Every service that changes a case (state, caseworker, preferences, consultations,
    decisions, releases) writes an audit event, so the trail is the case's change log.
    """
    events = AuditEvent.objects.filter(case=OuterRef("pk"), at__gte=since)
    return Q(created_at__gte=since) | Q(Exists(events))
