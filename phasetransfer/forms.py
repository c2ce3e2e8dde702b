"""Forms for families' pages. Messages follow the GOV.UK Design System's error message style."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from phasetransfer import clock
from phasetransfer.models import Contact, Setting
from phasetransfer.services.preferences import REASONS_MAX


def setting_for_urn(urn: int) -> Setting:
    """The school or college with this URN; a form error naming the URN otherwise."""
    setting = Setting.objects.filter(urn=urn).first()
    if setting is None:
        raise forms.ValidationError(f"No school or college has URN {urn}")
    return setting


class SignInForm(AuthenticationForm):
    """Email and password. The same message whether the email exists or not."""

    username = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )
    password = forms.CharField(
        label="Password", strip=False, error_messages={"required": "Enter your password"}
    )

    error_messages = {
        "invalid_login": "Enter a correct email address and password.",
        "inactive": "Enter a correct email address and password.",
    }


class RegistrationStartForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="We will send a link to this address to finish creating your account.",
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )


class ChoosePasswordForm(forms.Form):
    password1 = forms.CharField(
        label="Create a password",
        strip=False,
        help_text="At least 10 characters. Do not use a password you use anywhere else.",
        error_messages={"required": "Enter a password"},
    )
    password2 = forms.CharField(
        label="Confirm your password",
        strip=False,
        error_messages={"required": "Confirm your password"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") != data.get("password1"):
            self.add_error("password2", "The passwords do not match")
        return data


class DateOfBirthMixin(forms.Form):
    """The GOV.UK date input: three boxes, one error for the date as a whole."""

    dob_day = forms.CharField(required=False, max_length=2)
    dob_month = forms.CharField(required=False, max_length=2)
    dob_year = forms.CharField(required=False, max_length=4)

    def clean_date_of_birth(self) -> dt.date | None:
        parts = [self.cleaned_data.get(f"dob_{p}", "").strip() for p in ("day", "month", "year")]
        if not any(parts):
            self.add_error("dob_day", "Enter your child's date of birth")
            return None
        if not all(part.isdigit() for part in parts):
            self.add_error("dob_day", "Date of birth must be a real date")
            return None
        day, month, year = (int(p) for p in parts)
        try:
            born = dt.date(year, month, day)
        except ValueError:
            self.add_error("dob_day", "Date of birth must be a real date")
            return None
        if year < 1990 or born >= clock.today_in_london():
            self.add_error("dob_day", "Date of birth must be in the past")
            return None
        return born


class LinkChildForm(DateOfBirthMixin):
    code = forms.CharField(
        label="Invitation code",
        max_length=20,
        help_text="This is in the email or letter we sent you, for example ABCD-EFGH-JKMN.",
        error_messages={"required": "Enter your invitation code"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["date_of_birth"] = self.clean_date_of_birth()
        return data


class YesNoForm(forms.Form):
    answer = forms.ChoiceField(
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if these details are correct"},
    )


class ContactDetailsForm(forms.ModelForm):
    correction = forms.CharField(
        label="Is anything wrong in your child's details?",
        required=False,
        max_length=1000,
        help_text="For example their name, date of birth, school or home postcode. "
        "Leave blank if they are correct.",
        widget=forms.Textarea,
    )

    class Meta:
        model = Contact
        fields = ["name", "phone", "address", "postcode"]
        labels = {
            "name": "Your full name",
            "phone": "Phone number",
            "address": "Address",
            "postcode": "Postcode",
        }
        error_messages = {"name": {"required": "Enter your full name"}}


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search by school or college name, town or postcode",
        max_length=100,
        required=False,
    )


class ChooseSettingForm(forms.Form):
    urn = forms.IntegerField(widget=forms.HiddenInput)


class ReasonsForm(forms.Form):
    reasons = forms.CharField(
        label="Why would you prefer this school or college? (optional)",
        required=False,
        max_length=REASONS_MAX,
        help_text="For example how it meets your child's needs, friends, siblings or travel.",
        widget=forms.Textarea,
        error_messages={"max_length": f"Your reasons must be {REASONS_MAX} characters or fewer"},
    )


class OtherSettingForm(ReasonsForm):
    other_name = forms.CharField(
        label="Name of the school or college",
        max_length=200,
        error_messages={"required": "Enter the name of the school or college"},
    )
    other_details = forms.CharField(
        label="Where is it? (optional)",
        max_length=300,
        required=False,
        help_text="Town, local authority or website, so we can find it.",
    )

    field_order = ["other_name", "other_details", "reasons"]
