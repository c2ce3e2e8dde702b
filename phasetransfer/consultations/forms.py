"""Forms for consultations: a setting's response, and the caseworker's actions.

Forms check what a person typed; the rules themselves live in
``phasetransfer.consultations.services``, whose refusals the views put back on
the form as field errors.
"""

from __future__ import annotations

from typing import Any

from django import forms

from phasetransfer.consultations.services import (
    NO_EXPLANATION_MESSAGE,
    NO_GROUND_MESSAGE,
    ON_BEHALF_CHANNELS,
    REASON_MAX,
    RESPONSE_MAX,
)
from phasetransfer.core.forms import setting_for_urn
from phasetransfer.models import ConsultationGround, Setting

CAN_MEET = "can_meet"
CANNOT_MEET = "cannot_meet"


class ConsultationResponseForm(forms.Form):
    decision = forms.ChoiceField(
        label="Can the school or college meet the child's needs?",
        choices=[(CAN_MEET, "Yes, we can meet the child's needs"), (CANNOT_MEET, "No, we cannot")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether you can meet the child's needs"},
    )
    only_setting = forms.BooleanField(
        label="We believe this child's needs can only be met here",
        help_text="If more children ask for a place than there are places, the council's "
        "published rule puts these children first. Say why in your explanation.",
        required=False,
    )
    grounds = forms.MultipleChoiceField(
        label="Why not? Select all that apply",
        choices=ConsultationGround.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    response_text = forms.CharField(
        label="Explain your answer",
        help_text="Needed if you cannot meet the child's needs. The family will see what you "
        "write here, so do not include other children's details.",
        widget=forms.Textarea,
        required=False,
        max_length=RESPONSE_MAX,
        error_messages={
            "max_length": f"Your response must be {RESPONSE_MAX} characters or fewer",
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == CANNOT_MEET:
            if not data.get("grounds"):
                self.add_error("grounds", NO_GROUND_MESSAGE)
            if not (data.get("response_text") or "").strip():
                self.add_error("response_text", NO_EXPLANATION_MESSAGE)
            data["only_setting"] = False  # ticked before choosing "no": it means nothing now
        else:
            # Boxes ticked before choosing "yes" are still posted; they mean nothing now.
            data["grounds"] = []
        return data

    @property
    def can_meet(self) -> bool:
        return self.cleaned_data["decision"] == CAN_MEET


class OnBehalfResponseForm(ConsultationResponseForm):
    """A caseworker records what a school said by email, phone, letter or in a meeting."""

    channel = forms.ChoiceField(
        label="How did the school give its response?",
        choices=[(c, c.capitalize()) for c in ON_BEHALF_CHANNELS],
        widget=forms.RadioSelect,
        error_messages={"required": "Select how the school gave its response"},
    )
    field_order = ["channel", "decision", "only_setting", "grounds", "response_text"]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Enter a reason",
            "max_length": f"The reason must be {REASON_MAX} characters or fewer",
        },
    )


class AddConsultationForm(forms.Form):
    urn = forms.IntegerField(
        label="URN of the school or college",
        help_text="The 6-digit unique reference number from Get Information About Schools.",
        min_value=1,
        error_messages={
            "required": "Enter the URN of the school or college",
            "invalid": "Enter the URN as a number, like 118765",
            "min_value": "Enter the URN as a number, like 118765",
        },
    )
    reason = forms.CharField(
        label="Reason (needed if the case has gone past consultation)",
        required=False,
        max_length=REASON_MAX,
        error_messages={"max_length": f"The reason must be {REASON_MAX} characters or fewer"},
    )

    def clean_urn(self) -> Setting:
        return setting_for_urn(self.cleaned_data["urn"])
