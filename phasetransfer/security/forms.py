from __future__ import annotations

import datetime as dt

from django import forms


def _code_field(*, source: str) -> forms.CharField:
    return forms.CharField(
        label=f"Code from {source}",
        help_text="The 6-digit code, for example 123456",
        max_length=12,
        error_messages={"required": f"Enter the 6-digit code from {source}"},
    )


class CodeForm(forms.Form):
    """A 6-digit code from the authenticator app; spaces are ignored."""

    code = _code_field(source="your authenticator app")
    not_six_digits = "Enter the 6 digits the app shows, like 123456"

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError(self.not_six_digits)
        return code


class EmailCodeForm(CodeForm):
    """The code emailed before an account's first authenticator app is set up."""

    code = _code_field(source="the email")
    not_six_digits = "Enter the 6 digits from the email, like 123456"


class TrailFilterForm(forms.Form):
    reference = forms.CharField(label="Case reference", required=False, max_length=20)
    user = forms.CharField(label="User's email address", required=False, max_length=254)
    since = forms.DateField(
        label="From (date)",
        required=False,
        help_text="For example 2027-02-12",
        error_messages={"invalid": "Enter the date as year-month-day, like 2027-02-12"},
    )
    until = forms.DateField(
        label="To (date, inclusive)",
        required=False,
        error_messages={"invalid": "Enter the date as year-month-day, like 2027-02-12"},
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if isinstance(since, dt.date) and isinstance(until, dt.date) and until < since:
            self.add_error("until", "The end date must be on or after the start date")
        return cleaned


class RetentionForm(forms.Form):
    round_id = forms.IntegerField(widget=forms.HiddenInput)
    days = forms.IntegerField(
        label="Keep page access records for (days)",
        min_value=30,
        max_value=3650,
        error_messages={
            "required": "Enter a number of days",
            "invalid": "Enter a whole number of days",
            "min_value": "Keep them for at least 30 days",
            "max_value": "Keep them for at most 3650 days (10 years)",
        },
    )
