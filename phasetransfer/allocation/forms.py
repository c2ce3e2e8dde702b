"""Forms of the allocation pages."""

from __future__ import annotations

from typing import Any

from django import forms

from phasetransfer.models import AllocationPolicy

# The annual-cost figures officers set, by kind of setting (AllocationPolicy.annual_costs).
ANNUAL_COST_FIELDS = {
    "cost_mainstream": ("mainstream", "Mainstream place (top-up)"),
    "cost_resourced": ("resourced", "Resourced provision place"),
    "cost_special": ("special", "Special school place"),
    "cost_college": ("college", "College place"),
    "cost_independent": ("independent", "Independent or non-maintained place (fees)"),
}


# The least-total-cost objective's weights (also the tie-break under families' order).
WEIGHTS = (
    "rank_weights",
    "fallback_weight",
    "cost_per_km",
    "band_mainstream",
    "band_resourced",
    "band_special",
    "band_college",
    "band_independent",
    "unplaced_cost",
)


class PolicyForm(forms.ModelForm):
    rank_weights = forms.CharField(
        label="Cost of each preference rank",
        help_text="Least total cost only. Comma-separated, first preference first, e.g. "
        "0, 60, 120, 180.",
    )
    cost_mainstream = forms.IntegerField(min_value=0, max_value=1_000_000)
    cost_resourced = forms.IntegerField(min_value=0, max_value=1_000_000)
    cost_special = forms.IntegerField(min_value=0, max_value=1_000_000)
    cost_college = forms.IntegerField(min_value=0, max_value=1_000_000)
    cost_independent = forms.IntegerField(
        min_value=0,
        max_value=1_000_000,
        help_text="Used where the round's places give no fee for the setting.",
    )
    conditional_margin = forms.IntegerField(
        label="Margin for the other branch, per cent",
        min_value=0,
        max_value=100,
        help_text="With 'likely branch' only: for each setting, this share of the conditional "
        "offers whose other branch is there is also held there (rounded up). From 0 to 100.",
        error_messages={
            "required": "Enter the margin for the other branch, from 0 to 100",
            "invalid": "Enter the margin as a whole number, like 20",
            "min_value": "The margin must be 0 or more",
            "max_value": "The margin must be 100 or less",
        },
    )

    class Meta:
        model = AllocationPolicy
        fields = [
            "objective",
            "oversubscription_rule",
            "independent_threshold",
            "transport_per_km",
            "conditional_places",
            "conditional_margin",
            *WEIGHTS,
        ]

        widgets = {
            "objective": forms.RadioSelect,
            "oversubscription_rule": forms.RadioSelect,
            "conditional_places": forms.RadioSelect,
        }
        error_messages = {
            "conditional_places": {
                "required": "Select how conditional offers hold places",
                "invalid_choice": "Select how conditional offers hold places",
            },
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, (key, label) in ANNUAL_COST_FIELDS.items():
            self.fields[name].label = f"{label}, pounds a year"
            if not self.is_bound:
                self.initial[name] = self.instance.annual_costs.get(key, 0)
        if not self.is_bound:  # the saved policy, or the defaults of one not saved yet
            self.initial["rank_weights"] = ", ".join(str(w) for w in self.instance.rank_weights)

    def cost_test_fields(self) -> list[forms.BoundField]:
        names = ["independent_threshold", "transport_per_km", *ANNUAL_COST_FIELDS]
        return [self[name] for name in names]

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in WEIGHTS]

    def weights_have_errors(self) -> bool:
        return any(self[name].errors for name in WEIGHTS)

    def policy_values(self) -> dict[str, Any]:
        """The cleaned data as the policy's fields (the annual costs in one dict)."""
        values = {k: v for k, v in self.cleaned_data.items() if k not in ANNUAL_COST_FIELDS}
        values["annual_costs"] = {
            key: self.cleaned_data[name] for name, (key, _label) in ANNUAL_COST_FIELDS.items()
        }
        return values

    def clean_rank_weights(self) -> list[int]:
        raw = self.cleaned_data["rank_weights"]
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        if not parts or not all(p.isdigit() for p in parts):
            raise forms.ValidationError("Enter whole numbers separated by commas, like 0, 60, 120")
        weights = [int(p) for p in parts]
        if weights != sorted(weights):
            raise forms.ValidationError("Each rank must cost at least as much as the one before")
        return weights
