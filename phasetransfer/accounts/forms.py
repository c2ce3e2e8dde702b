"""Forms of family accounts: sign in, create an account, link a child."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from phasetransfer.core import clock


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
