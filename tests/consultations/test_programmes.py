"""Post-16 consultations: the provider's programmes, each with its entry requirements and
whether it can meet the young person's needs on it (issue 19), for the panel to name one."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.db import DatabaseError
from django.test import Client

from phasetransfer.consultations.selectors import programmes_offered
from phasetransfer.consultations.services import (
    ConsultationRefused,
    ProgrammeOffer,
    consultation_resend,
    consultation_respond,
    consultation_withdraw,
)
from phasetransfer.core.conditions import Condition, Scale
from phasetransfer.core.roles import Role
from phasetransfer.demo.stages import demo_programmes
from phasetransfer.models import (
    AuditEvent,
    Case,
    Consultation,
    ConsultationStatus,
    Phase,
    ProgrammeAnswer,
    Round,
    SettingKind,
    User,
)
from tests.conftest import signed_in
from tests.factories import CaseFactory, RoundFactory, SettingFactory, UserFactory
from tests.factories.consultations import ConsultationFactory, SettingContactFactory
from tests.moments import CONSULTATIONS_PENDING

FIVE_GCSES = Condition(count=5, min_grade="4", including=("English", "maths"))


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with time_machine.travel(CONSULTATIONS_PENDING, tick=False):
        yield


@pytest.fixture
def post16(db: None) -> Round:
    return RoundFactory(phase=Phase.POST16)


class College:
    """A college with a contact, consulted for one post-16 young person."""

    def __init__(self, round_: Round) -> None:
        self.contact = SettingContactFactory(
            setting__name="Medway Valley College", setting__kind=SettingKind.FE_COLLEGE
        )
        self.case = CaseFactory(round=round_, child__first_name="Priya", child__last_name="Sixteen")
        self.consultation = ConsultationFactory(case=self.case, setting=self.contact.setting)

    @property
    def url(self) -> str:
        return f"/school/consultations/{self.consultation.pk}/"


@pytest.fixture
def college(post16: Round) -> College:
    return College(post16)


def row(
    number: int,
    name: str,
    *,
    can_meet: str = "yes",
    entry: str = "passes",
    count: str = "5",
    grade: str = "4",
    scale: str = "gcse",
    including: tuple[str, ...] = ("English", "maths"),
    named_grade: str = "",
) -> dict[str, Any]:
    """One programme row as the form posts it."""
    prefix = f"programme_{number}_"
    return {
        f"{prefix}name": name,
        f"{prefix}can_meet": can_meet,
        f"{prefix}entry": entry,
        f"{prefix}count": count,
        f"{prefix}min_grade": grade,
        f"{prefix}scale": scale,
        f"{prefix}including": list(including),
        f"{prefix}named_grade": named_grade,
    }


CAN_MEET = {"decision": "can_meet", "response_text": ""}


def test_a_college_answers_with_programmes_stored_as_structured_conditions(
    client: Client, college: College
) -> None:
    signed_in(client, college.contact.user)
    form = client.get(college.url).content.decode()
    assert 'name="programme_1_name"' in form
    assert 'name="programme_3_entry"' in form
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--m">Programme 2' in form

    response = client.post(
        college.url,
        CAN_MEET
        | row(1, "  Level 3 Extended   Diploma in IT ", named_grade="5")
        # row 2 left blank: ignored (the scale radio starts chosen, and is posted)
        | {"programme_2_scale": "gcse"}
        | row(3, "Level 2 IT", entry="open", count="", grade="", including=())
        | {"programme_4_name": "Not a row the form has"},
    )
    assert response.status_code == 302
    college.consultation.refresh_from_db()
    assert college.consultation.status == ConsultationStatus.CAN_MEET
    stored = list(college.consultation.programmes.all())
    assert [(p.position, p.name, p.can_meet_need) for p in stored] == [
        (1, "Level 3 Extended Diploma in IT", True),
        (2, "Level 2 IT", True),
    ]
    expected = Condition(
        count=5, min_grade="4", including=("English", "maths"), including_grade="5"
    )
    assert stored[0].entry_requirements == expected.to_json()
    assert Condition.from_json(stored[0].entry_requirements) == Condition.from_json(
        expected.to_json()
    )
    assert stored[1].entry_requirements is None
    event = AuditEvent.objects.get(action="consultation.answered")
    assert event.data["programmes"] == ["Level 3 Extended Diploma in IT", "Level 2 IT"]

    page = client.get(college.url).content.decode()
    assert "Level 3 Extended Diploma in IT" in page
    assert (
        "If you get 5 GCSEs at grade 4 or above including English and maths at grade 5 or above"
        in page
    )
    assert "Open entry" in page


def test_vocational_pass_fail_and_provider_confirms_requirements(
    client: Client, college: College
) -> None:
    signed_in(client, college.contact.user)
    response = client.post(
        college.url,
        CAN_MEET
        | row(1, "Level 3 Sport", scale="vocational", grade="Merit", count="3", including=())
        | row(2, "Functional Skills English", scale="pass_fail", grade="", count="1")
        | {"programme_2_including": ["English"]}
        | row(3, "Performing arts", entry="confirm", can_meet="no", count="", grade=""),
    )
    assert response.status_code == 302
    stored = list(college.consultation.programmes.all())
    assert (
        stored[0].entry_requirements
        == Condition(scale=Scale.VOCATIONAL, count=3, min_grade="L2 M").to_json()
    )
    assert (
        stored[1].entry_requirements
        == Condition(
            scale=Scale.PASS_FAIL, count=1, min_grade="PASS", including=("English",)
        ).to_json()
    )
    assert stored[2].entry_requirements == {"provider_confirms": True}
    assert stored[2].can_meet_need is False


@pytest.mark.parametrize(
    ("posted", "message", "anchor"),
    [
        (
            row(1, "Level 3 IT", grade="7x"),
            "Enter a minimum grade for programme 1 on the scale chosen: &#x27;7x&#x27; is not "
            "a grade on the GCSE scale (U, 1, 2, 3, 4, 5, 6, 7, 8, 9)",
            "id_programme_1_min_grade",
        ),
        (
            row(1, "Level 3 IT", count="0"),
            "Enter the number of passes for programme 1, from 1 to 15",
            "id_programme_1_count",
        ),
        (
            row(1, "Level 3 IT", count="five"),
            "Enter the number of passes for programme 1, from 1 to 15",
            "id_programme_1_count",
        ),
        (
            row(1, "Level 3 IT", count=""),
            "Enter the number of passes for programme 1, from 1 to 15",
            "id_programme_1_count",
        ),
        (row(2, "   "), "Enter a name for programme 2", "id_programme_2_name"),
        (
            row(1, "Level 3 IT") | row(2, "level 3  it", entry="open"),
            "Programme 2 has the same name as programme 1: give each programme a different name",
            "id_programme_2_name",
        ),
        (
            row(1, "Level 3 IT", count="1"),
            "The number of passes for programme 1 must be at least 2, to include English and maths",
            "id_programme_1_count",
        ),
        (
            row(1, "Level 3 IT", named_grade="3"),
            "The grade for English and maths on programme 1 must be the same as its minimum "
            "grade or higher",
            "id_programme_1_named_grade",
        ),
        (
            row(1, "Level 3 IT", named_grade="5", including=()),
            "Select English or maths for programme 1, or leave its higher grade blank",
            "id_programme_1_named_grade",
        ),
        (
            row(1, "Level 3 IT", can_meet=""),
            "Select whether you can meet the young person&#x27;s needs on programme 1",
            "id_programme_1_can_meet",
        ),
        (
            row(1, "Level 3 IT", entry=""),
            "Select the entry requirements for programme 1",
            "id_programme_1_entry",
        ),
        (
            row(1, "Level 3 IT", scale="vocational", grade="4"),
            "&#x27;4&#x27; is not a grade on the vocational scale",
            "id_programme_1_min_grade",
        ),
    ],
)
def test_bad_programmes_show_an_error_summary_and_change_nothing(
    client: Client, college: College, posted: dict[str, Any], message: str, anchor: str
) -> None:
    signed_in(client, college.contact.user)
    response = client.post(college.url, CAN_MEET | posted)
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert message in page
    assert f'href="#{anchor}"' in page  # the summary links to the field
    assert f'id="{anchor}-error"' in page  # and the message sits by it
    college.consultation.refresh_from_db()
    assert college.consultation.status == ConsultationStatus.PENDING
    assert not ProgrammeAnswer.objects.exists()
    assert not AuditEvent.objects.filter(action="consultation.answered").exists()
    # What was typed is still there to correct.
    for key, value in posted.items():
        if key.endswith(("_name", "_count", "_min_grade", "_named_grade")) and value.strip():
            assert f'value="{value}"' in page.replace("&#x27;", "'")


def test_details_of_passes_left_behind_by_another_choice_are_ignored(
    client: Client, college: College
) -> None:
    """Typed under "Passes", then "Open entry" chosen: the hidden details are not its."""
    signed_in(client, college.contact.user)
    posted = row(1, "Level 1 IT", entry="open", count="lots", grade="7x", named_grade="Q")
    response = client.post(college.url, CAN_MEET | posted | {"programme_1_scale": "nonsense"})
    assert response.status_code == 302
    assert college.consultation.programmes.get().entry_requirements is None


def test_a_programme_it_can_meet_need_on_needs_a_can_meet_answer(
    client: Client, college: College
) -> None:
    signed_in(client, college.contact.user)
    response = client.post(
        college.url,
        {"decision": "cannot_meet", "grounds": ["unsuitable"], "response_text": "No."}
        | row(1, "Level 3 IT"),
    )
    page = response.content.decode()
    assert "so answer no for programme 1" in page
    college.consultation.refresh_from_db()
    assert college.consultation.status == ConsultationStatus.PENDING
    # Listing programmes it cannot meet the need on is a refusal's detail, and allowed.
    response = client.post(
        college.url,
        {"decision": "cannot_meet", "grounds": ["unsuitable"], "response_text": "No."}
        | row(1, "Level 3 IT", can_meet="no"),
    )
    assert response.status_code == 302
    college.consultation.refresh_from_db()
    assert college.consultation.status == ConsultationStatus.CANNOT_MEET
    assert college.consultation.programmes.get().can_meet_need is False


def test_an_answer_without_programmes_is_still_an_answer(client: Client, college: College) -> None:
    signed_in(client, college.contact.user)
    assert client.post(college.url, CAN_MEET).status_code == 302
    college.consultation.refresh_from_db()
    assert college.consultation.status == ConsultationStatus.CAN_MEET
    assert not college.consultation.programmes.exists()


def test_rounds_before_post16_ask_no_programmes(client: Client, db: None) -> None:
    contact = SettingContactFactory()
    consultation = ConsultationFactory(
        case=CaseFactory(round=RoundFactory(phase=Phase.SECONDARY)), setting=contact.setting
    )
    url = f"/school/consultations/{consultation.pk}/"
    signed_in(client, contact.user)
    assert "programme_1_name" not in client.get(url).content.decode()
    assert "Programmes" not in client.get(url).content.decode()
    # Posted anyway, they are not the form's: ignored, not stored.
    assert client.post(url, CAN_MEET | row(1, "Level 3 IT")).status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.CAN_MEET
    assert not ProgrammeAnswer.objects.exists()
    with pytest.raises(ConsultationRefused, match="post-16 consultations only"):
        consultation_respond(
            consultation=ConsultationFactory(case=consultation.case),
            can_meet=True,
            programmes=[ProgrammeOffer("Level 3 IT", True, FIVE_GCSES)],
            actor=contact.user,
        )


def test_another_settings_contact_cannot_see_or_answer_a_post16_consultation(
    client: Client, college: College
) -> None:
    other = SettingContactFactory(setting__name="Thanet Skills College")
    signed_in(client, other.user)
    assert client.get(college.url).status_code == 404
    assert client.post(college.url, CAN_MEET | row(1, "Level 3 IT")).status_code == 404
    college.consultation.refresh_from_db()
    assert college.consultation.status == ConsultationStatus.PENDING
    assert not ProgrammeAnswer.objects.exists()


def test_a_caseworker_records_the_colleges_programmes_on_its_behalf(
    client: Client, college: College, caseworker: User
) -> None:
    url = f"/staff/consultations/{college.consultation.pk}/respond/"
    signed_in(client, caseworker)
    assert 'name="programme_1_name"' in client.get(url).content.decode()
    refused = client.post(url, {"channel": "email"} | CAN_MEET | row(1, "Level 3 IT", grade="11"))
    assert "There is a problem" in refused.content.decode()
    assert not ProgrammeAnswer.objects.exists()
    response = client.post(
        url,
        {"channel": "email"}
        | CAN_MEET
        | row(1, "Level 3 IT")
        | row(2, "Level 2 IT", count="2", grade="3", including=("English",)),
    )
    assert response.status_code == 302
    college.consultation.refresh_from_db()
    assert college.consultation.recorded_on_behalf
    assert [p.name for p in college.consultation.programmes.all()] == ["Level 3 IT", "Level 2 IT"]
    event = AuditEvent.objects.get(action="consultation.answered_on_behalf")
    assert event.data["programmes"] == ["Level 3 IT", "Level 2 IT"]

    page = client.get(f"/staff/cases/{college.case.reference}/consultations/").content.decode()
    assert "If you get 5 GCSEs at grade 4 or above including English and maths" in page
    assert "If you get 2 GCSEs at grade 3 or above including English" in page


def test_staff_who_only_read_see_the_programmes_but_cannot_record_them(
    client: Client, college: College
) -> None:
    consultation_respond(
        consultation=college.consultation,
        can_meet=True,
        programmes=[ProgrammeOffer("Performing arts", True, Condition(provider_confirms=True))],
        actor=college.contact.user,
    )
    chair = UserFactory(roles=[Role.PANEL_CHAIR])
    signed_in(client, chair)
    page = client.get(f"/staff/cases/{college.case.reference}/consultations/").content.decode()
    assert "Performing arts" in page
    assert "If the college or sixth form confirms you meet its entry requirements" in page
    url = f"/staff/consultations/{college.consultation.pk}/respond/"
    assert client.post(url, {"channel": "email"} | CAN_MEET).status_code == 403


def test_the_answer_and_its_programmes_are_stored_together_or_not_at_all(
    college: College, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(ProgrammeAnswer.objects, "bulk_create", broken)
    with pytest.raises(DatabaseError):
        consultation_respond(
            consultation=college.consultation,
            can_meet=True,
            programmes=[ProgrammeOffer("Level 3 IT", True, FIVE_GCSES)],
            actor=college.contact.user,
        )
    college.consultation.refresh_from_db()
    assert college.consultation.status == ConsultationStatus.PENDING
    assert college.consultation.responded_at is None


@pytest.mark.parametrize(
    ("programmes", "can_meet", "message"),
    [
        ([ProgrammeOffer(" ", True)], True, "Enter a name for programme 1"),
        (
            [ProgrammeOffer("Level 3 IT", True), ProgrammeOffer("LEVEL 3 IT", True)],
            True,
            "Programme 2 has the same name as programme 1",
        ),
        ([ProgrammeOffer(f"P{n}", True) for n in range(4)], True, "at most 3 programmes"),
        ([ProgrammeOffer("Level 3 IT", True)], False, "so answer no for programme 1"),
    ],
)
def test_the_service_refuses_programmes_the_rules_do_not_allow(
    college: College, programmes: list[ProgrammeOffer], can_meet: bool, message: str
) -> None:
    with pytest.raises(ConsultationRefused, match=message):
        consultation_respond(
            consultation=college.consultation,
            can_meet=can_meet,
            grounds=[] if can_meet else ["unsuitable"],
            text="" if can_meet else "No.",
            programmes=programmes,
            actor=college.contact.user,
        )
    college.consultation.refresh_from_db()
    assert college.consultation.status == ConsultationStatus.PENDING
    assert not ProgrammeAnswer.objects.exists()


def test_programmes_offered_come_from_the_latest_answer_of_that_setting(
    college: College, caseworker: User
) -> None:
    case, setting = college.case, college.contact.setting
    assert programmes_offered(case, setting) == []
    first = consultation_respond(
        consultation=college.consultation,
        can_meet=True,
        programmes=[
            ProgrammeOffer("Level 3 IT", True, FIVE_GCSES),
            ProgrammeOffer("Level 2 IT", True, Condition(count=4, min_grade="3")),
        ],
        actor=college.contact.user,
    )
    # Another setting's answer for the same young person is not this setting's.
    elsewhere = ConsultationFactory(case=case, setting=SettingFactory(name="Other College"))
    consultation_respond(
        consultation=elsewhere,
        can_meet=True,
        programmes=[ProgrammeOffer("Level 3 Sport", True, None)],
        actor=caseworker,
    )
    offered = programmes_offered(case, setting)
    assert [p.name for p in offered] == ["Level 3 IT", "Level 2 IT"]
    assert offered[0].entry_requirements == FIVE_GCSES.to_json()
    assert [p.name for p in programmes_offered(case, elsewhere.setting)] == ["Level 3 Sport"]

    # Re-sent, and until the new one is answered, the last answer stands.
    again = consultation_resend(consultation=first, reason="Wrong course list", actor=caseworker)
    assert [p.name for p in programmes_offered(case, setting)] == ["Level 3 IT", "Level 2 IT"]
    consultation_respond(
        consultation=again,
        can_meet=True,
        programmes=[ProgrammeOffer("Level 3 Engineering", True, FIVE_GCSES)],
        actor=college.contact.user,
    )
    assert [p.name for p in programmes_offered(case, setting)] == ["Level 3 Engineering"]
    # The first answer's programmes stay on its own row, as history.
    assert [p.name for p in Consultation.objects.get(pk=first.pk).programmes.all()] == [
        "Level 3 IT",
        "Level 2 IT",
    ]


def test_a_withdrawn_answer_offers_no_programmes(college: College, caseworker: User) -> None:
    consultation_respond(
        consultation=college.consultation,
        can_meet=True,
        programmes=[ProgrammeOffer("Level 3 IT", True, FIVE_GCSES)],
        actor=college.contact.user,
    )
    consultation_withdraw(
        consultation=college.consultation, reason="Preference withdrawn", actor=caseworker
    )
    assert programmes_offered(college.case, college.contact.setting) == []


def test_the_demo_gives_colleges_and_sixth_forms_programmes_deterministically(
    post16: Round,
) -> None:
    case: Case = CaseFactory(round=post16)
    college = ConsultationFactory(case=case, setting=SettingFactory(kind=SettingKind.FE_COLLEGE))
    sixth_form = ConsultationFactory(case=case, setting=SettingFactory())
    special = ConsultationFactory(case=case, setting=SettingFactory(kind=SettingKind.SPECIAL))
    offers = demo_programmes(college)
    assert offers == demo_programmes(college)  # the same every time the demo is seeded
    assert 2 <= len(offers) <= 3
    assert offers[0].name.startswith("Level 3 ")
    assert offers[0].entry == FIVE_GCSES
    assert offers[1].name.startswith("Level 2 ")
    assert len(demo_programmes(sixth_form)) >= 2
    assert demo_programmes(special) == []
    secondary = ConsultationFactory(
        setting=SettingFactory(kind=SettingKind.FE_COLLEGE),
        case=CaseFactory(round=RoundFactory(phase=Phase.SECONDARY)),
    )
    assert demo_programmes(secondary) == []
