"""Officers' and chairs' pages: sessions, members, scheduling, decisions, sign-off, capacity."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from panels.models import Decision, PanelMember, PanelSession, PanelSettings
from panels.selectors import current_decision, suggested_ground
from panels.tasks import schedule_round
from phasetransfer.core.roles import Role, has_role
from phasetransfer.models import CaseState, Proposal, Round, User
from tests.conftest import signed_in
from tests.factories import RoundFactory, SettingFactory, SettingPlacesFactory, UserFactory
from tests.factories.consultations import SettingContactFactory
from tests.factories.panels import PanelSessionFactory, agree, at_panel, proposed_case, signed_off
from tests.moments import BEFORE_PANELS, PANEL_HAS_SAT

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_() -> Round:
    return RoundFactory()


@pytest.fixture
def officer() -> User:
    return UserFactory(roles=[Role.CASEWORKER])


def _post(
    client: Client, user: User, url: str, data: dict[str, Any], at: Any = BEFORE_PANELS
) -> Any:
    with time_machine.travel(at, tick=False):
        return signed_in(client, user).post(url, data)


def _get(client: Client, user: User, url: str, at: Any = BEFORE_PANELS) -> Any:
    with time_machine.travel(at, tick=False):
        return signed_in(client, user).get(url)


def test_rounds_page_links_to_panels(client: Client, round_: Round, officer: User) -> None:
    page = _get(client, officer, reverse("staff-rounds"))
    assert reverse("panels-round", args=[round_.pk]) in page.content.decode()


def test_officer_creates_and_edits_a_session(client: Client, round_: Round, officer: User) -> None:
    chair = UserFactory(roles=[Role.PANEL_CHAIR], full_name="Sam Chair")
    url = reverse("panels-session-new", args=[round_.pk])
    form = _get(client, officer, url)
    assert "Sam Chair" in form.content.decode()
    data = {
        "send_area": "East",
        "date": "2027-01-20",
        "time": "10:00",
        "place": "",
        "online_link": "",
        "chair": str(chair.pk),
        "case_limit": "30",
    }
    refused = _post(client, officer, url, data)
    assert refused.status_code == 200
    assert "Give a place or an online link" in refused.content.decode()
    linked = {**data, "online_link": "https://meet.example/abc"}
    sunday = _post(client, officer, url, {**linked, "date": "2027-01-24"})
    assert "Sunday 24 January 2027 is not a working day" in sunday.content.decode()
    assert not PanelSession.objects.exists()
    response = _post(client, officer, url, linked)
    session = PanelSession.objects.get()
    assert response["Location"] == reverse("panels-session", args=[session.pk])
    assert session.starts_at.isoformat() == "2027-01-20T10:00:00+00:00"
    assert session.send_area == "East"
    edit = reverse("panels-session-edit", args=[session.pk])
    _post(client, officer, edit, {**data, "place": "County Hall", "time": "13:30"})
    session.refresh_from_db()
    assert (session.place, f"{session.starts_at:%H:%M}") == ("County Hall", "13:30")


def test_session_limit_cannot_drop_below_its_cases(client: Client, round_: Round) -> None:
    pc = at_panel(round_)
    session = pc.session
    data = {
        "send_area": "North",
        "date": "2027-01-11",
        "time": "10:00",
        "place": "Here",
        "online_link": "",
        "chair": str(session.chair_id),
        "case_limit": "0",
    }
    page = _post(client, session.chair, reverse("panels-session-edit", args=[session.pk]), data)
    assert "Ensure this value is greater than or equal to 1" in page.content.decode()
    page = _post(
        client,
        session.chair,
        reverse("panels-session-edit", args=[session.pk]),
        {**data, "send_area": "South", "case_limit": "5"},
    )
    assert "its area cannot change" in page.content.decode()


def test_members_are_added_by_email_and_removed(
    client: Client, round_: Round, officer: User
) -> None:
    session = PanelSessionFactory(round=round_)
    senco = SettingContactFactory(user__email="senco@oak.sch.uk")
    url = reverse("panels-member-add", args=[session.pk])
    response = _post(
        client,
        officer,
        url,
        {"email": "SENCO@oak.sch.uk", "school_urn": str(senco.setting.urn), "role_title": "SENCO"},
    )
    assert response.status_code == 302
    member = PanelMember.objects.get(session=session)
    assert member.school == senco.setting
    member.user.__dict__.pop("_phasetransfer_roles", None)
    assert has_role(member.user, Role.PANEL_MEMBER)
    unknown = _post(client, officer, url, {"email": "nobody@example.org"})
    assert unknown.status_code == 400
    assert "No account uses nobody@example.org" in unknown.content.decode()
    parent = UserFactory(roles=[Role.PARENT])
    family = _post(client, officer, url, {"email": parent.email})
    assert "is a family&#x27;s account" in family.content.decode()
    bad_urn = _post(client, officer, url, {"email": officer.email, "school_urn": "999999"})
    assert "No school or college has URN 999999" in bad_urn.content.decode()
    remove = reverse("panels-member-remove", args=[session.pk, member.pk])
    _post(client, officer, remove, {})
    assert not PanelMember.objects.filter(pk=member.pk).exists()


def test_adding_a_conflicted_member_recuses_them(client: Client, round_: Round) -> None:
    pc = at_panel(round_)
    school = pc.proposal.setting
    head = UserFactory(roles=[Role.PANEL_MEMBER])
    _post(
        client,
        pc.session.chair,
        reverse("panels-member-add", args=[pc.session.pk]),
        {"email": head.email, "school_urn": str(school.urn)},
    )
    member = PanelMember.objects.get(user=head)
    assert member.recusals.get().panel_case == pc


def test_panel_members_cannot_manage_sessions(client: Client, round_: Round) -> None:
    member = UserFactory(roles=[Role.PANEL_MEMBER])
    session = PanelSessionFactory(round=round_)
    for url in (
        reverse("panels-round", args=[round_.pk]),
        reverse("panels-session", args=[session.pk]),
        reverse("panels-import", args=[round_.pk]),
    ):
        assert _get(client, member, url).status_code == 403
    assert (
        _post(client, member, reverse("panels-schedule", args=[round_.pk]), {}).status_code == 403
    )


def test_schedule_button_and_report(client: Client, round_: Round, officer: User) -> None:
    PanelSessionFactory(round=round_)
    proposed_case(round_, preferences=(SettingFactory(),))
    outside = proposed_case(round_, area="Outside Kent", preferences=(SettingFactory(),))
    response = _post(client, officer, reverse("panels-schedule", args=[round_.pk]), {})
    assert response.status_code == 302
    # The button only queues a run (tests/panels/test_scheduling_runs.py); a worker does it.
    run = round_.panel_scheduling_runs.get()
    assert run.status == "queued"
    with time_machine.travel(BEFORE_PANELS, tick=False):
        schedule_round.apply(args=[run.pk])
    page = _get(client, officer, reverse("panels-round", args=[round_.pk])).content.decode()
    assert "Scheduled 1 case(s)" in page
    assert outside.reference in page
    assert "Home outside Kent&#x27;s SEND areas" in page


def test_round_settings_change_the_cut_off(client: Client, round_: Round, officer: User) -> None:
    url = reverse("panels-settings", args=[round_.pk])
    bad = _post(client, officer, url, {"approval_days": "-1"})
    assert bad.status_code == 400
    _post(client, officer, url, {"approval_days": "2"})
    assert PanelSettings.objects.get(round=round_).approval_days == 2
    page = _get(client, officer, reverse("panels-round", args=[round_.pk])).content.decode()
    assert "Wednesday 10 February 2027" in page


def _decide_url(pc: Any) -> str:
    return reverse("panels-decide", args=[pc.session.pk, pc.case.pk])


def test_chair_records_a_decision_and_a_refusal_needs_the_ground(
    client: Client, round_: Round
) -> None:
    pc = at_panel(round_)
    chair = pc.session.chair
    page = _get(client, chair, _decide_url(pc), at=PANEL_HAS_SAT)
    assert page.status_code == 200
    assert "Places left this round" in page.content.decode()
    other = SettingFactory()
    SettingPlacesFactory(round=round_, setting=other, places=3)
    data = {"outcome": "other_setting", "setting_urn": str(other.urn), "reasons": "Nearer"}
    refused = _post(client, chair, _decide_url(pc), data, at=PANEL_HAS_SAT)
    assert refused.status_code == 400
    assert "Select the ground for not naming the family&#x27;s first preference" in (
        refused.content.decode()
    )
    assert not Decision.objects.exists()
    done = _post(client, chair, _decide_url(pc), {**data, "ground": "unsuitable"}, at=PANEL_HAS_SAT)
    assert done.status_code == 302
    assert current_decision(pc.case).setting == other


def test_the_chair_chooses_a_setting_from_the_case_without_typing_a_urn(
    client: Client, round_: Round
) -> None:
    first, second = SettingFactory(name="First Choice"), SettingFactory(name="Second Choice")
    pc = at_panel(round_, preferences=(first, second), proposal=first)
    page = _get(client, pc.session.chair, _decide_url(pc), at=PANEL_HAS_SAT).content.decode()
    assert re.search(r"Preference 2: Second Choice, [\d.]+ miles", page)
    assert "Another setting: enter its URN" in page
    missing = _post(
        client,
        pc.session.chair,
        _decide_url(pc),
        {"outcome": "other_setting", "ground": "unsuitable", "reasons": "Nearer"},
        at=PANEL_HAS_SAT,
    )
    assert "Choose the setting, or enter the URN of another" in missing.content.decode()
    done = _post(
        client,
        pc.session.chair,
        _decide_url(pc),
        {
            "outcome": "other_setting",
            "setting_choice": str(second.urn),
            "ground": "unsuitable",
            "reasons": "The panel preferred the smaller site.",
        },
        at=PANEL_HAS_SAT,
    )
    assert done.status_code == 302
    assert current_decision(pc.case).setting == second


def test_a_second_click_or_window_shows_the_decision_instead_of_asking_why_it_changed(
    client: Client, round_: Round
) -> None:
    pc = at_panel(round_)
    data = {"outcome": "agree", "reasons": "Agreed.", "shown_decision": ""}
    first = _post(client, pc.session.chair, _decide_url(pc), data, at=PANEL_HAS_SAT)
    again = _post(client, pc.session.chair, _decide_url(pc), data, at=PANEL_HAS_SAT)
    case_page = reverse("panels-pack-case", args=[pc.session.pk, pc.case.pk])
    assert first["Location"] == again["Location"] == case_page
    assert Decision.objects.filter(case=pc.case).count() == 1


def test_the_decision_form_starts_from_the_models_reasons(client: Client, round_: Round) -> None:
    pc = at_panel(round_)
    text = "Oak Independent would cost the council £56,500 a year (fees £52,000 and ..."
    Proposal.objects.filter(pk=pc.proposal.pk).update(
        reasons=[{"rank": 1, "code": "cost_test", "text": text}]
    )
    page = _get(client, pc.session.chair, _decide_url(pc), at=PANEL_HAS_SAT).content.decode()
    assert re.search(r'<textarea[^>]*name="reasons"[^>]*>\s*Oak Independent would cost', page)
    # The ground the reason points to is chosen to start with: the cost test's.
    assert re.search(r'name="ground"[^>]*value="resources"[^>]*checked', page)


@pytest.mark.parametrize(
    ("reason", "ground"),
    [
        ({"rank": 1, "code": "full"}, "others"),
        ({"rank": 1, "code": "full_placing_others"}, "others"),
        ({"rank": 1, "code": "ruled_out", "grounds": ["unsuitable"]}, "unsuitable"),
        ({"rank": 1, "code": "not_listed"}, ""),  # nothing to go on: the chair chooses
        ({"rank": 2, "code": "full"}, ""),  # the first preference was not passed over
    ],
)
def test_the_suggested_ground_follows_the_first_preferences_reason(
    reason: dict[str, object], ground: str
) -> None:
    assert suggested_ground([reason]) == ground


def test_naming_a_full_setting_warns_and_needs_confirmation(client: Client, round_: Round) -> None:
    pc = at_panel(round_)
    full = SettingFactory(name="Full Academy")
    SettingPlacesFactory(round=round_, setting=full, places=0)
    data = {
        "outcome": "other_setting",
        "setting_urn": str(full.urn),
        "ground": "others",
        "reasons": "Needs specialist teaching",
    }
    warned = _post(client, pc.session.chair, _decide_url(pc), data, at=PANEL_HAS_SAT)
    assert warned.status_code == 400
    assert "Full Academy has 0 places left this round" in warned.content.decode()
    assert not Decision.objects.exists()
    done = _post(
        client, pc.session.chair, _decide_url(pc), {**data, "over_capacity": "on"}, at=PANEL_HAS_SAT
    )
    assert done.status_code == 302
    assert current_decision(pc.case).setting == full


def test_sign_off_page_and_lock(client: Client, round_: Round) -> None:
    pc = at_panel(round_)
    chair = pc.session.chair
    url = reverse("panels-sign-off", args=[pc.session.pk])
    waiting = _post(client, chair, url, {}, at=PANEL_HAS_SAT)
    assert waiting.status_code == 400
    assert "have no decision yet" in waiting.content.decode()
    _post(client, chair, _decide_url(pc), {"outcome": "agree"}, at=PANEL_HAS_SAT)
    assert _post(client, chair, url, {}, at=PANEL_HAS_SAT).status_code == 302
    pc.case.refresh_from_db()
    assert pc.case.state == CaseState.OFFER_APPROVED
    # editing is refused once signed off: the form is not even read
    again = _post(
        client,
        chair,
        _decide_url(pc),
        {"outcome": "type_only", "setting_type": "special", "reasons": "x", "change_reason": "y"},
        at=PANEL_HAS_SAT,
    )
    assert again.status_code == 400
    assert "signed off: its decisions are final" in again.content.decode()
    assert Decision.objects.count() == 1


def test_change_page_needs_a_reason(client: Client, round_: Round) -> None:
    pc = at_panel(round_)
    signed_off(pc)
    decision = current_decision(pc.case)
    url = reverse("panels-decision-change", args=[decision.pk])
    data = {"outcome": "type_only", "setting_type": "special", "reasons": "Special school"}
    refused = _post(client, pc.session.chair, url, data, at=PANEL_HAS_SAT)
    assert "Say why the decision is changing" in refused.content.decode()
    done = _post(
        client, pc.session.chair, url, {**data, "change_reason": "New EP advice"}, at=PANEL_HAS_SAT
    )
    assert done.status_code == 302
    assert current_decision(pc.case).supersedes == decision
    assert _get(client, pc.session.chair, url, at=PANEL_HAS_SAT).status_code == 404


def test_members_of_a_panel_that_has_decided_cannot_be_removed(
    client: Client, round_: Round, officer: User
) -> None:
    pc = at_panel(round_)
    member = PanelMember.objects.create(session=pc.session, user=UserFactory(), role_title="EP")
    _post(client, pc.session.chair, _decide_url(pc), {"outcome": "agree"}, at=PANEL_HAS_SAT)
    page = _get(client, officer, reverse("panels-session", args=[pc.session.pk]), at=PANEL_HAS_SAT)
    assert "Members cannot be removed" in page.content.decode()
    remove = reverse("panels-member-remove", args=[pc.session.pk, member.pk])
    _post(client, officer, remove, {}, at=PANEL_HAS_SAT)
    assert PanelMember.objects.filter(pk=member.pk).exists()


def test_a_case_with_no_proposed_setting_is_not_offered_agree(
    client: Client, round_: Round
) -> None:
    pc = at_panel(round_)
    Proposal.objects.filter(pk=pc.proposal.pk).update(setting=None)
    page = _get(client, pc.session.chair, _decide_url(pc), at=PANEL_HAS_SAT).content.decode()
    assert 'value="agree"' not in page
    assert 'value="other_setting"' in page
    # A form posted with it anyway (an old page) is refused, with the form shown again.
    data = {"outcome": "agree", "reasons": "Agreed.", "shown_decision": ""}
    refused = _post(client, pc.session.chair, _decide_url(pc), data, at=PANEL_HAS_SAT)
    assert refused.status_code == 400
    assert "There is a problem" in refused.content.decode()
    assert Decision.objects.filter(case=pc.case).count() == 0


def test_a_deferred_case_leads_on_to_the_next_case_of_the_session(
    client: Client, round_: Round
) -> None:
    first = at_panel(round_)
    second = at_panel(round_, session=first.session)
    first_pc, second_pc = sorted([first, second], key=lambda pc: pc.case.reference)
    data = {"outcome": "defer", "reasons": "The EP report is due next week.", "shown_decision": ""}
    response = _post(client, first_pc.session.chair, _decide_url(first_pc), data, at=PANEL_HAS_SAT)
    # The deferred case has left the session: no page of it here, so on to the next one.
    assert response["Location"] == reverse(
        "panels-pack-case", args=[second_pc.session.pk, second_pc.case.pk]
    )
    last = _post(client, second_pc.session.chair, _decide_url(second_pc), data, at=PANEL_HAS_SAT)
    assert last["Location"] == reverse("panels-pack", args=[second_pc.session.pk])


def test_sign_off_says_when_it_can_be_done_instead_of_offering_a_button_that_fails(
    client: Client, round_: Round
) -> None:
    pc = at_panel(round_)
    url = reverse("panels-sign-off", args=[pc.session.pk])
    before = _get(client, pc.session.chair, url).content.decode()  # before the panel sits
    assert 'id="not-met-yet"' in before
    assert "Sign off the session</button>" not in before
    waiting = _get(client, pc.session.chair, url, at=PANEL_HAS_SAT).content.decode()
    assert "1 case still has no decision" in waiting
    assert "Sign off the session</button>" not in waiting
    agree(pc)
    ready = _get(client, pc.session.chair, url, at=PANEL_HAS_SAT).content.decode()
    assert "Sign off the session</button>" in ready
