"""Forms for panel officers and chairs. They parse input; the services decide what is allowed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from panels.models import Ground, Outcome, PanelSession, SettingType
from panels.services.decisions import DecisionInput
from panels.services.sessions import SessionDetails
from phasetransfer.core import clock, geo
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

    def __init__(
        self,
        *args: Any,
        changing: bool = False,
        options: list[tuple[str, str]] | None = None,
        has_proposal: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.changing = changing
        if not has_proposal:
            # Nothing to agree: the chair is not offered an answer the service would refuse.
            outcome = self.fields["outcome"]
            assert isinstance(outcome, forms.ChoiceField)
            outcome.choices = [c for c in Outcome.choices if c[0] != Outcome.AGREE]
        if not changing:
            del self.fields["change_reason"]
        choice = self.fields["setting_choice"]
        assert isinstance(choice, forms.ChoiceField)
        choice.choices = [*(options or []), (OTHER_URN, "Another setting: enter its URN")]

    def clean_setting_urn(self) -> Setting | None:
        urn = self.cleaned_data.get("setting_urn")
        return setting_for_urn(urn) if urn else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choice = data.get("setting_choice")
        if choice and choice != OTHER_URN:
            # One of the case's own settings: no URN to type.
            data["setting_urn"] = setting_for_urn(int(choice))
        return data

    def decision_input(self) -> DecisionInput:
        data = self.cleaned_data
        return DecisionInput(
            outcome=data["outcome"],
            setting=data.get("setting_urn"),
            setting_type=data.get("setting_type", ""),
            ground=data.get("ground", ""),
            reasons=data.get("reasons", ""),
            change_reason=data.get("change_reason", ""),
        )
