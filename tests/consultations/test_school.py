"""School and college contacts: what they may see, and responding (HTTP level)."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.utils.html import escape

from phasetransfer.cases.state import case_withdraw
from phasetransfer.consultations.services import NO_GROUND_MESSAGE, consultation_withdraw
from phasetransfer.core.roles import Role
from phasetransfer.models import AuditEvent, Consultation, ConsultationStatus
from tests.conftest import pass_second_factor, signed_in
from tests.factories import PASSWORD, CaseFactory, ContactFactory, UserFactory
from tests.factories.consultations import (
    ConsultationFactory,
    PreferenceFactory,
    SettingContactFactory,
)
from tests.moments import CONSULTATIONS_PENDING


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with time_machine.travel(CONSULTATIONS_PENDING, tick=False):
        yield


class TwoSchools:
    """Oak and Elm each have a contact and a consultation; Oak's case also consulted Elm."""

    def __init__(self) -> None:
        self.oak = SettingContactFactory(setting__name="Oak School")
        self.elm = SettingContactFactory(setting__name="Elm School")
        self.oak_case = CaseFactory(child__first_name="Alfie", child__last_name="Oakley")
        PreferenceFactory(
            case=self.oak_case, rank=1, setting=self.oak.setting, reasons="Small classes"
        )
        self.oak_consultation = ConsultationFactory(case=self.oak_case, setting=self.oak.setting)
        self.elm_case = CaseFactory(child__first_name="Bella", child__last_name="Elmswood")
        self.elm_consultation = ConsultationFactory(case=self.elm_case, setting=self.elm.setting)

    def url(self, consultation: Consultation) -> str:
        return f"/school/consultations/{consultation.pk}/"


@pytest.fixture
def schools(db: None) -> TwoSchools:
    return TwoSchools()


def test_a_school_contact_lands_on_their_consultations_after_signing_in(
    client: Client, schools: TwoSchools
) -> None:
    client.post("/sign-in/", {"username": schools.oak.user.email, "password": PASSWORD})
    pass_second_factor(client, schools.oak.user)  # school contacts give a code too
    response = client.get("/home/", follow=True)
    assert response.redirect_chain[-1][0] == "/school/"
    assert "Alfie Oakley" in response.content.decode()


def test_a_school_contact_sees_only_their_own_settings_consultations(
    client: Client, schools: TwoSchools
) -> None:
    page = signed_in(client, schools.oak.user).get("/school/").content.decode()
    assert "Alfie Oakley" in page
    assert "Bella Elmswood" not in page
    assert schools.elm_case.reference not in page


def test_another_schools_consultation_is_not_found_and_cannot_be_answered(
    client: Client, schools: TwoSchools
) -> None:
    signed_in(client, schools.oak.user)
    assert client.get(schools.url(schools.elm_consultation)).status_code == 404
    response = client.post(schools.url(schools.elm_consultation), {"decision": "can_meet"})
    assert response.status_code == 404
    schools.elm_consultation.refresh_from_db()
    assert schools.elm_consultation.status == ConsultationStatus.PENDING


def test_a_case_the_school_was_not_consulted_on_is_not_found(
    client: Client, schools: TwoSchools
) -> None:
    # Elm was consulted on Oak's case too; Oak was not consulted on Elm's case.
    elm_on_oak_case = ConsultationFactory(case=schools.oak_case, setting=schools.elm.setting)
    signed_in(client, schools.oak.user)
    assert client.get(schools.url(elm_on_oak_case)).status_code == 404
    assert client.get("/school/consultations/999999/").status_code == 404


def test_a_school_contact_linked_to_no_setting_sees_nothing(
    client: Client, schools: TwoSchools
) -> None:
    loner = UserFactory(roles=[Role.SCHOOL_CONTACT])
    signed_in(client, loner)
    page = client.get("/school/").content.decode()
    assert "not linked to a school or college" in page
    assert client.get(schools.url(schools.oak_consultation)).status_code == 404


def test_visitors_parents_and_caseworkers_cannot_open_school_pages(
    client: Client, schools: TwoSchools, caseworker: object
) -> None:
    url = schools.url(schools.oak_consultation)
    for path in ("/school/", url):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/sign-in/")
    parent = UserFactory(roles=[Role.PARENT])
    ContactFactory(case=schools.oak_case, user=parent, email=parent.email)
    signed_in(client, parent)
    assert client.get("/school/").status_code == 403
    assert client.get(url).status_code == 403
    assert client.post(url, {"decision": "can_meet"}).status_code == 403
    signed_in(client, caseworker)  # type: ignore[arg-type]
    assert client.get(url).status_code == 403
    schools.oak_consultation.refresh_from_db()
    assert schools.oak_consultation.status == ConsultationStatus.PENDING


def test_a_school_contact_cannot_open_staff_consultation_pages(
    client: Client, schools: TwoSchools
) -> None:
    signed_in(client, schools.oak.user)
    round_id = schools.oak_case.round_id
    assert client.get(f"/staff/rounds/{round_id}/consultations/").status_code == 403
    assert (
        client.get(f"/staff/cases/{schools.oak_case.reference}/consultations/").status_code == 403
    )


def test_the_case_summary_shows_what_the_school_needs(client: Client, schools: TwoSchools) -> None:
    child = schools.oak_case.child
    child.needs_summary = "Needs a quiet space and visual timetables."
    child.save()
    page = signed_in(client, schools.oak.user).get(schools.url(schools.oak_consultation))
    html = page.content.decode()
    assert "Alfie Oakley" in html
    assert "3 November 2015" in html  # date of birth
    assert "Autistic spectrum disorder" in html
    assert "Needs a quiet space and visual timetables." in html
    assert "Small classes" in html  # the family's reasons
    assert "The end of Tuesday 19 January 2027" in html
    assert 'name="decision"' in html


def test_a_refusal_without_a_ground_is_refused_with_a_clear_message_and_nothing_saved(
    client: Client, schools: TwoSchools
) -> None:
    signed_in(client, schools.oak.user)
    response = client.post(
        schools.url(schools.oak_consultation),
        {"decision": "cannot_meet", "response_text": "We are full."},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert escape(NO_GROUND_MESSAGE) in html
    assert 'href="#id_grounds"' in html  # the error summary links to the first box
    assert 'id="id_grounds"' in html
    assert "We are full." in html  # what they typed is kept
    schools.oak_consultation.refresh_from_db()
    assert schools.oak_consultation.status == ConsultationStatus.PENDING
    assert schools.oak_consultation.responded_at is None
    assert not AuditEvent.objects.filter(action__startswith="consultation.answered").exists()


def test_no_choice_at_all_is_refused(client: Client, schools: TwoSchools) -> None:
    signed_in(client, schools.oak.user)
    response = client.post(schools.url(schools.oak_consultation), {})
    assert "Select whether you can meet the child&#x27;s needs" in response.content.decode()


def test_a_refusal_with_grounds_is_recorded_once_and_audited(
    client: Client, schools: TwoSchools
) -> None:
    signed_in(client, schools.oak.user)
    url = schools.url(schools.oak_consultation)
    response = client.post(
        url,
        {
            "decision": "cannot_meet",
            "grounds": ["unsuitable", "resources"],
            "response_text": "Our building has no lift.",
        },
    )
    assert response.status_code == 302
    consultation = Consultation.objects.get(pk=schools.oak_consultation.pk)
    assert consultation.status == ConsultationStatus.CANNOT_MEET
    assert (consultation.ground_unsuitable, consultation.ground_others) == (True, False)
    assert consultation.ground_resources
    assert consultation.responded_by == schools.oak.user
    assert not consultation.recorded_on_behalf
    event = AuditEvent.objects.get(action="consultation.answered")
    assert event.case == schools.oak_case
    assert event.actor == schools.oak.user
    assert event.data["grounds"] == ["resources", "unsuitable"]
    assert "no lift" not in str(event.data)  # free text stays on the consultation

    page = client.get(url).content.decode()
    assert "Cannot meet need" in page
    assert 'name="decision"' not in page

    # A second answer (another tab, another contact) changes nothing.
    again = client.post(url, {"decision": "can_meet"}, follow=True)
    assert "already been recorded" in again.content.decode()
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.CANNOT_MEET
    assert AuditEvent.objects.filter(action="consultation.answered").count() == 1


def test_grounds_ticked_before_choosing_yes_are_not_stored(
    client: Client, schools: TwoSchools
) -> None:
    signed_in(client, schools.oak.user)
    client.post(
        schools.url(schools.oak_consultation), {"decision": "can_meet", "grounds": ["others"]}
    )
    consultation = Consultation.objects.get(pk=schools.oak_consultation.pk)
    assert consultation.status == ConsultationStatus.CAN_MEET
    assert not consultation.ground_others


def test_a_withdrawn_consultation_shows_no_childs_details_and_takes_no_answer(
    client: Client, schools: TwoSchools
) -> None:
    consultation_withdraw(
        consultation=schools.oak_consultation, reason="Preference withdrawn", actor=None
    )
    signed_in(client, schools.oak.user)
    page = client.get(schools.url(schools.oak_consultation)).content.decode()
    assert "This consultation has been withdrawn" in page
    assert "Alfie" not in page
    client.post(schools.url(schools.oak_consultation), {"decision": "can_meet"})
    schools.oak_consultation.refresh_from_db()
    assert schools.oak_consultation.status == ConsultationStatus.WITHDRAWN
    listing = client.get("/school/").content.decode()
    assert "Alfie" not in listing
    assert schools.oak_case.reference in listing


def test_a_withdrawn_case_is_treated_as_withdrawn(client: Client, schools: TwoSchools) -> None:
    case_withdraw(case=schools.oak_case, actor=None, reason="Left the area")
    signed_in(client, schools.oak.user)
    page = client.get(schools.url(schools.oak_consultation)).content.decode()
    assert "This consultation has been withdrawn" in page
    assert "Alfie" not in page


def test_a_school_can_say_only_it_can_meet_the_need_and_a_refusal_cannot(
    client: Client, schools: TwoSchools
) -> None:
    signed_in(client, schools.oak.user)
    page = client.get(schools.url(schools.oak_consultation)).content.decode()
    assert "We believe this child&#x27;s needs can only be met here" in page
    client.post(
        schools.url(schools.oak_consultation), {"decision": "can_meet", "only_setting": "on"}
    )
    assert Consultation.objects.get(pk=schools.oak_consultation.pk).only_setting
    assert AuditEvent.objects.get(action="consultation.answered").data["only_setting"] is True
    # Ticked, then "no": a refusal claims nothing.
    signed_in(client, schools.elm.user)
    client.post(
        schools.url(schools.elm_consultation),
        {
            "decision": "cannot_meet",
            "only_setting": "on",
            "grounds": ["unsuitable"],
            "response_text": "No lift.",
        },
    )
    refused = Consultation.objects.get(pk=schools.elm_consultation.pk)
    assert refused.status == ConsultationStatus.CANNOT_MEET
    assert not refused.only_setting
