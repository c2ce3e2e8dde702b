"""Forms for panel officers and chairs. They parse input; the services decide what is allowed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from panels.models import Ground, Outcome, PanelSession, SettingType
from panels.services.decisions import DecisionInput
from panels.services.sessions import SessionDetails
from phasetransfer.core import clock, geo
from phasetransfer.core.conditions import Condition, GradeRefused, Scale, normalise_grade
from phasetransfer.core.forms import set_choices, setting_for_urn
from phasetransfer.core.roles import Role
from phasetransfer.models import Setting, User

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]


def _chairs() -> list[tuple[str, str]]:
    users = User.objects.filter(groups__name=Role.PANEL_CHAIR.value, is_active=True)
    return [(str(u.pk), f"{u} ({u.email})") for u in users.order_by("full_name", "email")]


class SessionForm(forms.Form):
    send_area = forms.ChoiceField(
        label="SEND area", error_messages={"required": "Choose the SEND area"}
    )
    date = forms.DateField(
        label="Date",
        input_formats=DATE_FORMATS,
        help_text="For example, 2027-01-20 or 20/01/2027",
        error_messages={"required": "Enter the date", "invalid": "Enter a real date"},
    )
    time = forms.TimeField(
        label="Start time",
        input_formats=["%H:%M"],
        help_text="24-hour clock, for example 09:30",
        error_messages={"required": "Enter the start time", "invalid": "Enter a time like 09:30"},
    )
    place = forms.CharField(label="Place", required=False, max_length=200)
    online_link = forms.CharField(
        label="Online link", required=False, max_length=200, help_text="A full https:// address"
    )
    chair = forms.ChoiceField(label="Chair", error_messages={"required": "Choose the chair"})
    outside_working_days = forms.BooleanField(
        label="This session is meant to be on a weekend or a bank holiday",
        required=False,
    )
    case_limit = forms.IntegerField(
        label="Case limit",
        min_value=1,
        max_value=200,
        initial=40,
        error_messages={"required": "Enter the case limit"},
    )

    def __init__(self, *args: Any, session: PanelSession | None = None, **kwargs: Any) -> None:
        if session is not None and "initial" not in kwargs:
            local = session.starts_at.astimezone(clock.LONDON)
            kwargs["initial"] = {
                "send_area": session.send_area,
                "date": local.date().isoformat(),
                "time": f"{local:%H:%M}",
                "place": session.place,
                "online_link": session.online_link,
                "chair": str(session.chair_id),
                "case_limit": session.case_limit,
            }
        super().__init__(*args, **kwargs)
        set_choices(self, "send_area", [(a, a) for a in geo.send_areas()])
        set_choices(self, "chair", _chairs())

    def details(self) -> SessionDetails:
        data = self.cleaned_data
        starts_at = dt.datetime.combine(data["date"], data["time"], tzinfo=clock.LONDON)
        return SessionDetails(
            send_area=data["send_area"],
            starts_at=starts_at,
            place=data["place"],
            online_link=data["online_link"],
            chair=User.objects.get(pk=int(data["chair"])),
            case_limit=data["case_limit"],
            outside_working_days=data.get("outside_working_days", False),
        )


class MemberForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        error_messages={"required": "Enter the member's email address"},
    )
    school_urn = forms.IntegerField(
        label="Their school's URN (optional)",
        required=False,
        min_value=1,
        help_text="So they are not asked to decide cases involving their own school",
    )
    role_title = forms.CharField(
        label="Role (optional)", required=False, max_length=100, help_text="For example, SENCO"
    )

    def clean_school_urn(self) -> Setting | None:
        urn = self.cleaned_data.get("school_urn")
        return setting_for_urn(urn) if urn else None


class CalendarForm(forms.Form):
    file = forms.FileField(
        label="Upload the calendar (CSV)",
        error_messages={"required": "Choose a CSV file", "empty": "The file is empty"},
    )


class SettingsForm(forms.Form):
    approval_days = forms.IntegerField(
        label="Days between the last panel and SEN offer day",
        min_value=0,
        max_value=60,
        help_text="Time to sign off and approve decisions. No case is scheduled later.",
        error_messages={"required": "Enter a number of days"},
    )


OTHER_URN = "other"
SAME_SETTING = "same"
CONDITION_FROM_PROGRAMME = "programme"
CONDITION_PASSES = "passes"
CONDITION_PROVIDER = "provider"
POST16_FIELDS = [
    "programme",
    "condition_kind",
    "passes",
    "scale",
    "min_grade",
    "including_english",
    "including_maths",
    "including_grade",
    "otherwise_choice",
    "otherwise_urn",
    "otherwise_programme",
    "likely",
]


class DecisionForm(forms.Form):
    """``options``: the settings of this case the chair chooses from (its preferences and
    its proposal), as (URN, label) pairs; "another setting" takes a URN instead."""

    outcome = forms.ChoiceField(
        label="What did the panel decide?",
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the panel decided"},
    )
    setting_choice = forms.ChoiceField(
        label="Which setting? (to name, or to consult further)",
        required=False,
        widget=forms.RadioSelect,
    )
    setting_urn = forms.IntegerField(
        label="URN of the other setting",
        required=False,
        min_value=1,
        help_text="Its 6-digit unique reference number, from Get Information about Schools",
    )
    setting_type = forms.ChoiceField(
        label="Type of setting (for 'Name a type of setting only')",
        required=False,
        choices=[("", "Not a type-only decision"), *SettingType.choices],
        widget=forms.RadioSelect,
    )
    ground = forms.ChoiceField(
        label="Ground for not naming the family's first preference",
        required=False,
        choices=[("", "None: the first preference is named"), *Ground.choices],
        widget=forms.RadioSelect,
        help_text="Section 39(4) Children and Families Act 2014",
    )
    reasons = forms.CharField(
        label="The panel's reasons",
        required=False,
        max_length=5000,
        widget=forms.Textarea,
    )
    change_reason = forms.CharField(
        label="Why is the decision changing?",
        required=False,
        max_length=5000,
        widget=forms.Textarea,
    )
    over_capacity = forms.BooleanField(
        label="Name it even though it has no places left", required=False
    )
    # Post-16 only (removed otherwise): the programme, and a conditional offer's condition and
    # other branch. The service checks the branches; this parses them.
    programme = forms.CharField(
        label="Programme or course",
        required=False,
        max_length=200,
        help_text="For a conditional offer, the one taken if the entry requirements are met. "
        "Choose one the provider gave in its consultation answer, or type it.",
    )
    condition_kind = forms.ChoiceField(
        label="The condition",
        required=False,
        widget=forms.RadioSelect,
        choices=[
            (
                CONDITION_FROM_PROGRAMME,
                "The entry requirements the provider gave for this programme",
            ),
            (CONDITION_PASSES, "Passes at a grade"),
            (CONDITION_PROVIDER, "The provider confirms (an audition, interview or portfolio)"),
        ],
    )
    passes = forms.IntegerField(label="Number of passes", required=False, min_value=1, max_value=15)
    scale = forms.ChoiceField(
        label="Grade scale",
        required=False,
        choices=[
            (Scale.GCSE.value, "GCSE (9 to 1)"),
            (Scale.VOCATIONAL.value, "Vocational (D*, D, M, P)"),
            (Scale.PASS_FAIL.value, "Pass or fail (Functional Skills)"),
        ],
    )
    min_grade = forms.CharField(
        label="At grade, or above", required=False, max_length=10, help_text="For example 4, or M"
    )
    including_english = forms.BooleanField(label="Including English", required=False)
    including_maths = forms.BooleanField(label="Including maths", required=False)
    including_grade = forms.CharField(
        label="Grade needed in English and maths, if higher",
        required=False,
        max_length=10,
    )
    otherwise_choice = forms.ChoiceField(
        label="Otherwise (the entry requirements are not met), the setting is",
        required=False,
        widget=forms.RadioSelect,
    )
    otherwise_urn = forms.IntegerField(
        label="URN of the other setting",
        required=False,
        min_value=1,
        help_text="Its 6-digit unique reference number, from Get Information about Schools",
    )
    otherwise_programme = forms.CharField(
        label="Otherwise, the programme or course", required=False, max_length=200
    )
    likely = forms.ChoiceField(
        label="Which is likely, from the predicted grades?",
        required=False,
        widget=forms.RadioSelect,
        choices=[("met", "The entry requirements will be met"), ("not_met", "They will not")],
        help_text="The allocation may hold the likely branch's place only (its policy says).",
    )

    def __init__(
        self,
        *args: Any,
        changing: bool = False,
        options: list[tuple[str, str]] | None = None,
        has_proposal: bool = True,
        post16: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.changing = changing
        self.post16 = post16
        # Nothing to agree without a proposal, and conditional offers are for post-16: the
        # chair is not offered an answer the service would refuse.
        set_choices(
            self,
            "outcome",
            [
                (value, label)
                for value, label in Outcome.choices
                if (has_proposal or value != Outcome.AGREE)
                and (post16 or value != Outcome.CONDITIONAL)
            ],
        )
        if not post16:
            for name in POST16_FIELDS:
                del self.fields[name]
        else:
            set_choices(
                self,
                "otherwise_choice",
                [
                    (SAME_SETTING, "The same setting (another programme)"),
                    *(options or []),
                    (OTHER_URN, "Another setting: enter its URN"),
                ],
            )
        if not changing:
            del self.fields["change_reason"]
        choice = self.fields["setting_choice"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [*(options or []), (OTHER_URN, "Another setting: enter its URN")]

    def clean_setting_urn(self) -> Setting | None:
        urn = self.cleaned_data.get("setting_urn")
        return setting_for_urn(urn) if urn else None

    def clean_otherwise_urn(self) -> Setting | None:
        urn = self.cleaned_data.get("otherwise_urn")
        return setting_for_urn(urn) if urn else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choice = data.get("setting_choice")
        if choice and choice != OTHER_URN:
            # One of the case's own settings: no URN to type.
            data["setting_urn"] = setting_for_urn(int(choice))
        if data.get("outcome") == Outcome.CONDITIONAL:
            self._clean_conditional(data)
        return data

    def _clean_conditional(self, data: dict[str, Any]) -> None:
        otherwise = data.get("otherwise_choice")
        if otherwise == SAME_SETTING:
            data["otherwise_urn"] = data.get("setting_urn")
        elif otherwise and otherwise != OTHER_URN:
            data["otherwise_urn"] = setting_for_urn(int(otherwise))
        kind = data.get("condition_kind")
        data["condition"] = None
        if kind == CONDITION_PROVIDER:
            data["condition"] = Condition(provider_confirms=True)
        elif kind == CONDITION_PASSES:
            data["condition"] = self._passes(data)
        elif not kind:
            self.add_error("condition_kind", "Choose the condition")

    def _passes(self, data: dict[str, Any]) -> Condition | None:
        count = data.get("passes")
        grade = (data.get("min_grade") or "").strip()
        if not count:
            if "passes" not in self.errors:
                self.add_error("passes", "Enter the number of passes, from 1 to 15")
            return None
        if not grade:
            self.add_error("min_grade", "Enter the grade needed")
            return None
        including = tuple(
            subject
            for subject, wanted in (
                ("English", data.get("including_english")),
                ("maths", data.get("including_maths")),
            )
            if wanted
        )
        scale = Scale(data.get("scale") or Scale.GCSE.value)
        try:
            normalise_grade(scale, grade)
        except GradeRefused as refused:
            self.add_error("min_grade", str(refused))
            return None
        higher = (data.get("including_grade") or "").strip()
        if higher:
            try:
                normalise_grade(scale, higher)
            except GradeRefused as refused:
                self.add_error("including_grade", str(refused))
                return None
        if count < len(including):
            self.add_error("passes", "Enter at least one pass for each subject named")
            return None
        return Condition(
            scale=scale, count=count, min_grade=grade, including=including, including_grade=higher
        )

    def decision_input(self) -> DecisionInput:
        data = self.cleaned_data
        conditional = data["outcome"] == Outcome.CONDITIONAL
        return DecisionInput(
            outcome=data["outcome"],
            setting=data.get("setting_urn"),
            setting_type=data.get("setting_type", ""),
            ground=data.get("ground", ""),
            reasons=data.get("reasons", ""),
            change_reason=data.get("change_reason", ""),
            programme=data.get("programme", "") or "",
            condition=data.get("condition") if conditional else None,
            condition_from_programme=conditional
            and data.get("condition_kind") == CONDITION_FROM_PROGRAMME,
            otherwise_setting=data.get("otherwise_urn") if conditional else None,
            otherwise_programme=(data.get("otherwise_programme", "") or "") if conditional else "",
            likely_met=data.get("likely") != "not_met",
        )
