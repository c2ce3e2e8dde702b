"""Forms of the pages after offer day: mediation, appeals, the work queue and results day."""

from __future__ import annotations

from typing import Any

from django import forms

from offers.models import AppealOutcome
from phasetransfer.core.forms import setting_for_urn
from phasetransfer.models import Setting

DATE_HELP = "For example 2027-03-15"


def date_field(label: str, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=DATE_HELP,
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d %m %Y", "%d %b %Y", "%d %B %Y"],
        error_messages={
            "required": f"Enter the date: {label.lower()}",
            "invalid": "Enter the date as year-month-day, like 2027-03-15",
        },
    )


class UrnMixin(forms.Form):
    urn = forms.IntegerField(
        label="URN of the school or college",
        required=False,
        error_messages={"invalid": "Enter the URN as a number, like 118947"},
    )

    def setting(self) -> Setting | None:
        urn = self.cleaned_data.get("urn")
        return setting_for_urn(urn) if urn else None

    def clean_urn(self) -> int | None:
        urn: int | None = self.cleaned_data.get("urn")
        if urn:
            setting_for_urn(urn)  # a form error naming the URN if there is no such setting
        return urn


class MediationRequestForm(forms.Form):
    requested_on = date_field("Date the family asked for mediation")


class MediationMeetingForm(forms.Form):
    meeting_on = date_field("Date of the mediation meeting")


class MediationEndForm(UrnMixin):
    AGREED = "agreed"
    NOT_AGREED = "not_agreed"
    WITHDRAWN = "withdrawn"
    result = forms.ChoiceField(
        label="What was the result?",
        choices=[
            (AGREED, "Agreed: the council names another setting"),
            (NOT_AGREED, "Not agreed: the mediator issues a certificate"),
            (WITHDRAWN, "Withdrawn: the family no longer wants mediation"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select the result of the mediation"},
    )
    ended_on = date_field("Date the mediation ended")
    reasons = forms.CharField(
        label="What was agreed and why", required=False, widget=forms.Textarea
    )
    certificate_issued_on = date_field(
        "Date the certificate was issued, if it has been", required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("result") == self.AGREED:
            if not data.get("urn"):
                self.add_error("urn", "Enter the URN of the setting agreed")
            if not (data.get("reasons") or "").strip():
                self.add_error("reasons", "Say what was agreed and why")
        return data


class MediationCertificateForm(forms.Form):
    certificate_issued_on = date_field("Date the certificate was issued")


class AppealForm(forms.Form):
    tribunal_reference = forms.CharField(
        label="Tribunal reference",
        max_length=40,
        error_messages={"required": "Enter the Tribunal's reference"},
    )
    lodged_on = date_field("Date the appeal was lodged")
    placement_only = forms.BooleanField(
        label="The appeal is only about the school or college named", required=False
    )
    independent_requested = forms.BooleanField(
        label="The family asks for an independent setting", required=False
    )


class AppealDatesForm(forms.Form):
    response_due_on = date_field("The council's response is due by")
    hearing_on = date_field("Hearing date", required=False)


class AppealOutcomeForm(UrnMixin):
    outcome = forms.ChoiceField(
        label="What was the outcome?",
        choices=[(v, label) for v, label in AppealOutcome.choices if v != AppealOutcome.PENDING],
        widget=forms.RadioSelect,
        error_messages={"required": "Select the outcome"},
    )
    decided_on = date_field("Date of the decision")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        names = data.get("outcome") in (AppealOutcome.CONCEDED, AppealOutcome.UPHELD)
        if names and not data.get("urn"):
            self.add_error("urn", "Enter the URN of the setting to name")
        return data


class FollowUpDoneForm(forms.Form):
    note = forms.CharField(label="Note (optional)", required=False, max_length=500)


# Results day (post-16 conditional offers).


class ResultsFileForm(forms.Form):
    file = forms.FileField(
        label="Results file (CSV)",
        error_messages={"required": "Choose the results file to import"},
    )


class ResultsDayForm(forms.Form):
    day = date_field("Results day")


class ConfirmForm(forms.Form):
    met = forms.ChoiceField(
        choices=[("yes", "Meets the entry requirements"), ("no", "Does not meet them")],
        error_messages={"required": "Choose whether the entry requirements are met"},
    )
