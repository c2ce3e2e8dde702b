"""The board's filters (GET parameters) and the bulk reassignment form."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms

from phasetransfer.coordination.milestones import BOARD_STAGES, Status
from phasetransfer.coordination.selectors import FilterOptions, Filters
from phasetransfer.core.forms import set_choices
from phasetransfer.models import User

FILTER_FIELDS = ("area", "district", "caseworker", "stage", "status", "at_risk")
ANY = ("", "Any")


class BoardFilterForm(forms.Form):
    """One form for the board, its export and the workload page: the same parameters."""

    area = forms.ChoiceField(label="SEND area", required=False)
    district = forms.ChoiceField(label="District", required=False)
    caseworker = forms.ChoiceField(label="Caseworker", required=False)
    stage = forms.ChoiceField(label="Stage", required=False)
    status = forms.ChoiceField(label="Status", required=False)
    at_risk = forms.BooleanField(label="Only cases at risk this week", required=False)

    def __init__(self, data: Any, *, options: FilterOptions) -> None:
        super().__init__(data)
        set_choices(self, "area", [ANY, *((a, a) for a in options.areas)])
        set_choices(self, "district", [ANY, *((d, d) for d in options.districts)])
        set_choices(self, "caseworker", [ANY, *options.caseworkers])
        set_choices(self, "stage", [ANY, *((s.value, s.label) for s in BOARD_STAGES)])
        set_choices(self, "status", [ANY, *((s.value, s.label) for s in Status)])

    def filters(self) -> Filters:
        """The valid filters; call only after ``is_valid()`` returned True."""
        data = self.cleaned_data
        return Filters(
            area=data["area"],
            district=data["district"],
            caseworker=data["caseworker"],
            stage=data["stage"],
            status=data["status"],
            at_risk=bool(data["at_risk"]),
        )

    def query(self) -> str:
        """The valid filters as a query string, for links (export, pages, workload)."""
        source = getattr(self, "cleaned_data", {})
        params = {name: source.get(name) for name in FILTER_FIELDS}
        params["at_risk"] = "1" if params.get("at_risk") else ""
        return urlencode({k: v for k, v in params.items() if v})


SELECTED = "selected"
ALL_MATCHING = "all"


class ReassignForm(forms.Form):
    scope = forms.ChoiceField(
        label="Which cases",
        choices=[
            (SELECTED, "The cases I ticked"),
            (ALL_MATCHING, "Every case matching the filter"),
        ],
        widget=forms.RadioSelect,
        initial=SELECTED,
        error_messages={"required": "Select which cases to reassign"},
    )
    cases = forms.TypedMultipleChoiceField(coerce=int, required=False)
    assignee = forms.ChoiceField(
        label="Give them to",
        error_messages={
            "required": "Select the caseworker to give the cases to",
            "invalid_choice": "Select a caseworker from the list",
        },
    )

    def __init__(self, data: Any, *, case_ids: list[int], caseworkers: list[User]) -> None:
        super().__init__(data)
        self.caseworkers = {str(u.pk): u for u in caseworkers}
        set_choices(self, "cases", [(pk, pk) for pk in case_ids])
        set_choices(
            self,
            "assignee",
            [("", "Choose a caseworker"), *((str(u.pk), str(u)) for u in caseworkers)],
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == SELECTED and not data.get("cases"):
            self.add_error("cases", "Tick at least one case, or choose every case matching")
        return data

    def assignee_user(self) -> User:
        return self.caseworkers[self.cleaned_data["assignee"]]
