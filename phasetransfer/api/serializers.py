"""What the core's endpoints return. Nullable fields say so, so the schema tells the truth."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from phasetransfer.coordination.milestones import BOARD_STAGES, MilestoneKind, Status
from phasetransfer.coordination.selectors import ProgressRow
from phasetransfer.models import Case, Child, Preference, Round


class RoundSerializer(serializers.ModelSerializer):
    statutory_deadline = serializers.DateField(read_only=True)

    class Meta:
        model = Round
        fields = [
            "id",
            "name",
            "phase",
            "entry_year",
            "preference_opens_at",
            "preference_closes_at",
            "consultation_days",
            "max_preferences",
            "offer_day_at",
            "statutory_deadline",
            "statutory_deadline_at",
            "is_synthetic",
        ]


class ChildSerializer(serializers.ModelSerializer):
    current_setting_urn = serializers.IntegerField(
        source="current_setting.urn", allow_null=True, read_only=True
    )

    class Meta:
        model = Child
        fields = [
            "ehcp_reference",
            "first_name",
            "last_name",
            "date_of_birth",
            "primary_need",
            "current_setting_urn",
            "current_setting_name",
            "is_synthetic",
        ]


def _choices(enum: Any) -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in enum]


class ProgressSerializer(serializers.Serializer):
    """The case on the co-ordination board: stage, next milestone and RAG status."""

    stage = serializers.ChoiceField(choices=_choices(BOARD_STAGES))
    next_milestone = serializers.ChoiceField(choices=_choices(MilestoneKind), allow_null=True)
    next_milestone_label = serializers.CharField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=_choices(Status))
    at_risk_this_week = serializers.BooleanField()


def progress_data(row: ProgressRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    milestone = row.milestone
    return ProgressSerializer(
        {
            "stage": row.stage.value,
            "next_milestone": milestone.kind.value if milestone else None,
            "next_milestone_label": milestone.label if milestone else None,
            "due_at": milestone.due if milestone else None,
            "status": row.status.value,
            "at_risk_this_week": row.at_risk,
        }
    ).data


class CaseSerializer(serializers.ModelSerializer):
    round = serializers.IntegerField(source="round_id", read_only=True)
    caseworker_email = serializers.EmailField(
        source="caseworker.email", allow_null=True, read_only=True
    )
    child = ChildSerializer(read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "reference",
            "round",
            "state",
            "state_changed_at",
            "caseworker_email",
            "send_area",
            "district",
            "details_confirmed_at",
            "created_at",
            "child",
            "progress",
        ]

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, case: Case) -> dict[str, Any] | None:
        rows: dict[int, ProgressRow] = self.context.get("progress", {})
        return progress_data(rows.get(case.pk))


class PreferenceSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference", read_only=True)
    round = serializers.IntegerField(source="case.round_id", read_only=True)
    setting_urn = serializers.IntegerField(source="setting.urn", allow_null=True, read_only=True)
    setting_name = serializers.CharField(source="setting.name", allow_null=True, read_only=True)

    class Meta:
        model = Preference
        fields = [
            "id",
            "case",
            "round",
            "rank",
            "setting_urn",
            "setting_name",
            "other_name",
            "other_details",
            "reasons",
            "entered_on_behalf",
            "updated_at",
        ]


# --- Cohort import (documentation of the request; the view checks rows itself) ---------


class CohortRowSerializer(serializers.Serializer):
    """One child: the columns of the cohort CSV (README, "Cohort CSV"), as text."""

    ehcp_reference = serializers.CharField(allow_blank=True)
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    date_of_birth = serializers.CharField(allow_blank=True, help_text="YYYY-MM-DD")
    primary_need = serializers.CharField(allow_blank=True, help_text="ASD, SLCN, SEMH, ...")
    home_postcode = serializers.CharField(allow_blank=True)
    contact_name = serializers.CharField(allow_blank=True)
    contact_relationship = serializers.CharField(
        allow_blank=True, help_text="parent, carer, young_person (post-16 only), other"
    )
    contact_email = serializers.CharField(allow_blank=True)
    needs_summary = serializers.CharField(required=False, allow_blank=True)
    current_setting_urn = serializers.CharField(required=False, allow_blank=True)
    current_setting_name = serializers.CharField(required=False, allow_blank=True)
    home_latitude = serializers.CharField(required=False, allow_blank=True)
    home_longitude = serializers.CharField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(required=False, allow_blank=True)
    contact_mobile = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="A UK mobile number (07... or +447...) for text messages through GOV.UK Notify",
    )
    contact_address = serializers.CharField(required=False, allow_blank=True)
    caseworker_email = serializers.CharField(required=False, allow_blank=True)
    looked_after = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="yes or no (blank: no): looked after or previously looked after",
    )
    sex = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="female, male or blank (for single-sex schools in the nearest-school advice)",
    )


class CohortJsonSerializer(serializers.Serializer):
    rows = CohortRowSerializer(many=True)


class CohortUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The cohort CSV (UTF-8), as for import_cohort.")


class ImportProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        help_text="CSV: the spreadsheet row (header = 1). JSON: the row's position, from 1. "
        "0: the request as a whole."
    )
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    warnings = ImportProblemSerializer(many=True)


# Built inline: a field named "errors" on a Serializer class would shadow Serializer.errors.
ImportErrorsSerializer = inline_serializer(
    name="ImportErrors", fields={"errors": ImportProblemSerializer(many=True)}
)
