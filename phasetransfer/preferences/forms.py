"""Forms for families' pages. Messages follow the GOV.UK Design System's error message style."""

from __future__ import annotations

from typing import Any

from django import forms

from phasetransfer.models import Case, Contact, Setting
from phasetransfer.preferences.services import ON_BEHALF_CHANNELS, REASONS_MAX, PreferenceChoice


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


class OnBehalfForm(forms.Form):
    """Up to the round's number of preferences, each a URN or a name, as the family gave them."""

    channel = forms.ChoiceField(
        label="How did the family give their preferences?",
        choices=[(c, c.capitalize()) for c in ON_BEHALF_CHANNELS],
        widget=forms.RadioSelect,
        error_messages={"required": "Select how the family gave their preferences"},
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        initial = kwargs.setdefault("initial", {})
        for p in case.preferences.select_related("setting").order_by("rank"):
            initial[f"urn_{p.rank}"] = p.setting.urn if p.setting else None
            initial[f"other_{p.rank}"] = p.other_name
            initial[f"reasons_{p.rank}"] = p.reasons
        super().__init__(*args, **kwargs)
        self.case = case
        self.ranks = list(range(1, case.round.max_preferences + 1))
        for rank in self.ranks:
            self.fields[f"urn_{rank}"] = forms.IntegerField(
                label=f"Preference {rank}: URN", required=False, min_value=1
            )
            self.fields[f"other_{rank}"] = forms.CharField(
                label=f"Preference {rank}: or a setting not in the list",
                required=False,
                max_length=200,
            )
            self.fields[f"reasons_{rank}"] = forms.CharField(
                label=f"Preference {rank}: the family's reasons",
                required=False,
                max_length=REASONS_MAX,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self._settings: dict[int, Setting] = {}

    def rows(self) -> list[tuple[int, forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (rank, self[f"urn_{rank}"], self[f"other_{rank}"], self[f"reasons_{rank}"])
            for rank in self.ranks
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        urns = [data.get(f"urn_{rank}") for rank in self.ranks]
        found = {s.urn: s for s in Setting.objects.filter(urn__in=[u for u in urns if u])}
        for rank, urn in zip(self.ranks, urns, strict=True):
            if urn and urn not in found:
                self.add_error(f"urn_{rank}", f"No school or college has URN {urn}")
            if urn and data.get(f"other_{rank}"):
                self.add_error(f"other_{rank}", "Give a URN or a name, not both")
        self._settings = found
        return data

    def choices(self) -> list[PreferenceChoice]:
        data = self.cleaned_data
        chosen = []
        for rank in self.ranks:
            urn, other = data.get(f"urn_{rank}"), data.get(f"other_{rank}", "")
            if urn or other:
                chosen.append(
                    PreferenceChoice(
                        setting=self._settings.get(urn) if urn else None,
                        other_name=other,
                        reasons=data.get(f"reasons_{rank}", ""),
                    )
                )
        return chosen
