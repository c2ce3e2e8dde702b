"""Forms for LA staff."""

from __future__ import annotations

from typing import Any

from django import forms

from phasetransfer.models import Case, Setting
from phasetransfer.services.preferences import ON_BEHALF_CHANNELS, REASONS_MAX, PreferenceChoice


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
