"""Forms of the allocation pages."""

from __future__ import annotations

from typing import Any

from django import forms

from phasetransfer.models import AllocationPolicy


class PolicyForm(forms.ModelForm):
    rank_weights = forms.CharField(
        label="Cost of each preference rank",
        help_text="Comma-separated, first preference first, e.g. 0, 60, 120, 180.",
    )

    class Meta:
        model = AllocationPolicy
        fields = [
            "rank_weights",
            "fallback_weight",
            "cost_per_km",
            "band_mainstream",
            "band_resourced",
            "band_special",
            "band_college",
            "band_independent",
            "unplaced_cost",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:  # the saved policy, or the defaults of one not saved yet
            self.initial["rank_weights"] = ", ".join(str(w) for w in self.instance.rank_weights)

    def clean_rank_weights(self) -> list[int]:
        raw = self.cleaned_data["rank_weights"]
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        if not parts or not all(p.isdigit() for p in parts):
            raise forms.ValidationError("Enter whole numbers separated by commas, like 0, 60, 120")
        weights = [int(p) for p in parts]
        if weights != sorted(weights):
            raise forms.ValidationError("Each rank must cost at least as much as the one before")
        return weights
