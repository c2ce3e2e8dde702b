"""Forms for consultations: a setting's response, and the caseworker's actions.

Forms check what a person typed; the rules themselves live in
``phasetransfer.consultations.services``, whose refusals the views put back on
the form as field errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from django import forms

from phasetransfer.consultations.services import (
    NO_EXPLANATION_MESSAGE,
    NO_GROUND_MESSAGE,
    ON_BEHALF_CHANNELS,
    PROGRAMME_NAME_MAX,
    PROGRAMMES_MAX,
    REASON_MAX,
    RESPONSE_MAX,
    ProgrammeOffer,
    duplicate_programme_message,
    meets_on_programme_message,
    no_programme_name_message,
    programme_field,
    programme_name_key,
)
from phasetransfer.core.conditions import Condition, GradeRefused, Scale, grade_rank
from phasetransfer.core.forms import setting_for_urn
from phasetransfer.models import ConsultationGround, Setting

CAN_MEET = "can_meet"
CANNOT_MEET = "cannot_meet"

# A programme's entry requirements, as the provider chooses them.
OPEN_ENTRY = "open"
PASSES = "passes"
PROVIDER_CONFIRMS = "confirm"
PASSES_MAX = 15  # more than anyone sits: a bigger number is a typing slip
GRADE_MAX = 20  # "Distinction*" and "Level 2 Merit" fit
# What the parts of a programme are called on the form, in the order the page shows them.
PROGRAMME_PARTS = (
    "name",
    "can_meet",
    "entry",
    "count",
    "min_grade",
    "scale",
    "including",
    "named_grade",
)
# The parts revealed by choosing "Passes".
PASSES_PARTS = ("count", "min_grade", "scale", "including", "named_grade")
# A part that does not make a row "filled in": the scale starts chosen (GCSE).
_PRESET_PARTS = {"scale"}


@dataclass(frozen=True)
class ProgrammeFields:
    """The bound fields of one programme row, for the template."""

    number: int
    name: forms.BoundField
    can_meet: forms.BoundField
    entry: forms.BoundField
    count: forms.BoundField
    min_grade: forms.BoundField
    scale: forms.BoundField
    including: forms.BoundField
    named_grade: forms.BoundField


def can_meet_programme_message(number: int) -> str:
    return f"Select whether you can meet the young person's needs on programme {number}"


def _programme_fields(number: int) -> dict[str, forms.Field]:
    """The fields of programme ``number``: all optional, since a blank row is ignored; the
    form's ``clean`` asks for what a row that is filled in needs."""
    passes_message = f"Enter the number of passes for programme {number}, from 1 to {PASSES_MAX}"
    grade_too_long = f"A grade must be {GRADE_MAX} characters or fewer"
    can_meet_message = can_meet_programme_message(number)
    entry_message = f"Select the entry requirements for programme {number}"
    scale_message = f"Select the grade scale for programme {number}"
    return {
        "name": forms.CharField(
            label="Name of the programme",
            help_text="For example, Level 3 Extended Diploma in IT",
            required=False,
            max_length=PROGRAMME_NAME_MAX,
            error_messages={
                "max_length": f"The name of programme {number} must be {PROGRAMME_NAME_MAX} "
                "characters or fewer"
            },
        ),
        "can_meet": forms.ChoiceField(
            label="Can you meet the young person's needs on this programme?",
            choices=[("yes", "Yes"), ("no", "No")],
            widget=forms.RadioSelect,
            required=False,
            error_messages={"invalid_choice": can_meet_message},
        ),
        "entry": forms.ChoiceField(
            label="Entry requirements",
            choices=[
                (OPEN_ENTRY, "Open entry"),
                (PASSES, "Passes: a number of qualifications at a grade"),
                (PROVIDER_CONFIRMS, "We must confirm (audition, interview, portfolio)"),
            ],
            widget=forms.RadioSelect,
            required=False,
            error_messages={"invalid_choice": entry_message},
        ),
        "count": forms.IntegerField(
            label="Number of passes",
            required=False,
            min_value=1,
            max_value=PASSES_MAX,
            error_messages={
                "invalid": passes_message,
                "min_value": passes_message,
                "max_value": passes_message,
            },
        ),
        "min_grade": forms.CharField(
            label="Minimum grade",
            help_text="For example, 4 for GCSEs, M (Merit) for vocational qualifications",
            required=False,
            max_length=GRADE_MAX,
            error_messages={"max_length": grade_too_long},
        ),
        "scale": forms.ChoiceField(
            label="Grade scale",
            choices=[
                (Scale.GCSE.value, "GCSE (9 to 1)"),
                (Scale.VOCATIONAL.value, "Vocational (D*, D, M, P: BTEC and the like)"),
                (Scale.PASS_FAIL.value, "Pass or fail (Functional Skills)"),
            ],
            widget=forms.RadioSelect,
            required=False,
            initial=Scale.GCSE.value,
            error_messages={"invalid_choice": scale_message},
        ),
        "including": forms.MultipleChoiceField(
            label="Which passes must be included?",
            choices=[("English", "English"), ("maths", "Maths")],
            widget=forms.CheckboxSelectMultiple,
            required=False,
            error_messages={
                "invalid_choice": f"Select English, maths or both for programme {number}"
            },
        ),
        "named_grade": forms.CharField(
            label="Higher grade needed in English and maths (optional)",
            help_text="Leave blank if the minimum grade is enough",
            required=False,
            max_length=GRADE_MAX,
            error_messages={"max_length": grade_too_long},
        ),
    }


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

    def __init__(self, *args: Any, programmes: bool = False, **kwargs: Any) -> None:
        """``programmes``: a post-16 consultation, which also asks about the provider's
        programmes (up to ``PROGRAMMES_MAX`` rows)."""
        super().__init__(*args, **kwargs)
        self.programme_numbers = range(1, PROGRAMMES_MAX + 1) if programmes else range(0)
        for number in self.programme_numbers:
            for part, field in _programme_fields(number).items():
                self.fields[programme_field(number, part)] = field

    @property
    def programme_rows(self) -> list[ProgrammeFields]:
        return [
            ProgrammeFields(
                number, **{part: self[programme_field(number, part)] for part in PROGRAMME_PARTS}
            )
            for number in self.programme_numbers
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["programmes"] = self._clean_programmes(data)
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

    @property
    def programmes(self) -> list[ProgrammeOffer]:
        programmes: list[ProgrammeOffer] = self.cleaned_data.get("programmes", [])
        return programmes

    def _blank(self, number: int) -> bool:
        """Nothing typed or chosen in the row (what was posted, valid or not)."""
        for part in PROGRAMME_PARTS:
            if part in _PRESET_PARTS:
                continue
            value = self[programme_field(number, part)].data
            if isinstance(value, str) and value.strip() or isinstance(value, list) and value:
                return False
        return True

    def _clean_programmes(self, data: dict[str, Any]) -> list[ProgrammeOffer]:
        """The rows filled in, as offers; each problem goes on its own field, all at once."""
        offers: list[ProgrammeOffer] = []
        first_with_name: dict[str, int] = {}
        for number in self.programme_numbers:
            if not self._blank(number):
                name = self._programme_name(number, data, first_with_name)
                can_meet_need = self._programme_can_meet(number, data)
                condition = self._programme_entry(number, data)
                offers.append(ProgrammeOffer(name, can_meet_need, condition))
        # Nothing is kept from a form with a problem anywhere: it is answered whole or not.
        return [] if self.errors else offers

    def _programme_name(self, number: int, data: dict[str, Any], seen: dict[str, int]) -> str:
        field = programme_field(number, "name")
        name = " ".join((data.get(field) or "").split())
        if not name:
            if not self.has_error(field):  # too long is said already
                self.add_error(field, no_programme_name_message(number))
            return name
        key = programme_name_key(name)
        if key in seen:
            self.add_error(field, duplicate_programme_message(number, seen[key]))
        seen.setdefault(key, number)
        return name

    def _programme_can_meet(self, number: int, data: dict[str, Any]) -> bool:
        field = programme_field(number, "can_meet")
        answer = data.get(field)
        if not answer:
            if not self.has_error(field):  # a value not offered is said already
                self.add_error(field, can_meet_programme_message(number))
        elif answer == "yes" and data.get("decision") == CANNOT_MEET:
            self.add_error(field, meets_on_programme_message(number))
        return answer == "yes"

    def _programme_entry(self, number: int, data: dict[str, Any]) -> Condition | None:
        field = programme_field(number, "entry")
        entry = data.get(field)
        if entry != PASSES:
            # The details of "Passes" are still posted when another answer was chosen after
            # them, and hidden: a slip in them means nothing now, and could not be seen.
            for part in PASSES_PARTS:
                self.errors.pop(programme_field(number, part), None)
        if not entry:
            if not self.has_error(field):
                self.add_error(field, f"Select the entry requirements for programme {number}")
        elif entry == PROVIDER_CONFIRMS:
            return Condition(provider_confirms=True)
        elif entry == PASSES:
            return self._programme_passes(number, data)
        return None  # open entry, or a problem already on the form

    def _programme_passes(self, number: int, data: dict[str, Any]) -> Condition | None:
        """A "passes" requirement from its parts, or None with the problems on the form."""
        field = partial(programme_field, number)
        count = data.get(field("count"))
        if count is None and not self.has_error(field("count")):  # not a number is said already
            message = f"Enter the number of passes for programme {number}, from 1 to {PASSES_MAX}"
            self.add_error(field("count"), message)
        scale_value = data.get(field("scale"))
        if not scale_value:
            if not self.has_error(field("scale")):
                self.add_error(field("scale"), f"Select the grade scale for programme {number}")
            return None
        scale = Scale(scale_value)
        min_grade = self._programme_min_grade(number, scale, data)
        including: list[str] = data.get(field("including")) or []
        if count is not None and count < len(including):
            self.add_error(
                field("count"),
                f"The number of passes for programme {number} must be at least "
                f"{len(including)}, to include {' and '.join(including)}",
            )
        named_grade = self._programme_named_grade(number, scale, min_grade, including, data)
        if count is None or any(self.has_error(field(part)) for part in PASSES_PARTS):
            return None
        return Condition(
            scale=scale,
            count=count,
            min_grade=min_grade,
            including=tuple(including),
            including_grade=named_grade,
        )

    def _programme_min_grade(self, number: int, scale: Scale, data: dict[str, Any]) -> str:
        field = programme_field(number, "min_grade")
        grade = (data.get(field) or "").strip()
        if not grade and scale == Scale.PASS_FAIL:
            return "pass"  # the one grade that passes on this scale: nothing to ask
        if not grade:
            if not self.has_error(field):
                self.add_error(field, f"Enter the minimum grade for programme {number}")
            return grade
        try:
            grade_rank(scale, grade)
        except GradeRefused as exc:
            self.add_error(
                field, f"Enter a minimum grade for programme {number} on the scale chosen: {exc}"
            )
        return grade

    def _programme_named_grade(
        self, number: int, scale: Scale, min_grade: str, including: list[str], data: dict[str, Any]
    ) -> str:
        """The higher grade for the named subjects, if any: on the scale, and not lower."""
        field = programme_field(number, "named_grade")
        grade = (data.get(field) or "").strip()
        if not grade:
            return grade
        if not including:
            self.add_error(
                field,
                f"Select English or maths for programme {number}, or leave its higher grade blank",
            )
            return grade
        try:
            rank = grade_rank(scale, grade)
        except GradeRefused as exc:
            self.add_error(
                field,
                f"Enter a grade for English and maths on programme {number} on the scale "
                f"chosen: {exc}",
            )
            return grade
        if self.has_error(programme_field(number, "min_grade")) or not min_grade:
            return grade
        if rank < grade_rank(scale, min_grade):
            self.add_error(
                field,
                f"The grade for English and maths on programme {number} must be the same as "
                "its minimum grade or higher",
            )
        return grade


class OnBehalfResponseForm(ConsultationResponseForm):
    """A caseworker records what a school said by email, phone, letter or in a meeting."""

    channel = forms.ChoiceField(
        label="How did the school give its response?",
        choices=[(c, c.capitalize()) for c in ON_BEHALF_CHANNELS],
        widget=forms.RadioSelect,
        error_messages={"required": "Select how the school gave its response"},
    )
    field_order = ["channel", "decision", "only_setting", "grounds", "response_text"]
    # The programme rows (post-16) follow these, in the order added.


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
