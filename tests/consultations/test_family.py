"""What families see of consultations, and which settings the allocation may use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string

from phasetransfer.consultations.selectors import consultations_for_family, settings_not_ruling_out
from phasetransfer.consultations.services import (
    consultation_resend,
    consultation_respond,
    consultation_withdraw,
)
from phasetransfer.core.clock import LONDON
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, Consultation, User
from tests.factories import CaseFactory, SettingFactory, UserFactory
from tests.factories.consultations import ConsultationFactory
from tests.moments import CONSULTATIONS_SENT

# Eight days after CONSULTATIONS_SENT, a week before the answers are due.
ANSWERED = dt.datetime(2027, 1, 12, 15, 0, tzinfo=LONDON)
TEMPLATE = "phasetransfer/preferences/_consultation_responses.html"


class Consulted:
    """One case consulted with five settings, each ending up differently."""

    def __init__(self) -> None:
        self.case: Case = CaseFactory(child__first_name="Dara")
        self.user: User = UserFactory(roles=[Role.CASEWORKER])

        def consult(name: str) -> Consultation:
            return ConsultationFactory(
                case=self.case, setting=SettingFactory(name=name), sent_at=CONSULTATIONS_SENT
            )

        self.yes = consult("Yes Academy")
        consultation_respond(
            consultation=self.yes,
            can_meet=True,
            text="We have a place in our autism base.",
            actor=self.user,
            now=ANSWERED,
        )
        self.no = consult("No Grammar")
        consultation_respond(
            consultation=self.no,
            can_meet=False,
            grounds=["unsuitable", "resources"],
            text="We cannot provide the daily therapy.",
            actor=self.user,
            now=ANSWERED,
        )
        self.waiting = consult("Waiting High")
        self.withdrawn = consult("Withdrawn College")
        consultation_withdraw(consultation=self.withdrawn, reason="Not wanted", actor=None)
        self.first_try = consult("Resent Special")
        consultation_respond(
            consultation=self.first_try,
            can_meet=False,
            grounds=["others"],
            text="Old answer",
            actor=self.user,
            now=ANSWERED,
        )
        self.resent = consultation_resend(
            consultation=self.first_try, reason="Panel asked", actor=self.user, now=ANSWERED
        )


@pytest.fixture
def consulted(db: None) -> Consulted:
    return Consulted()


def test_the_family_sees_current_consultations_without_withdrawn_ones(
    consulted: Consulted,
) -> None:
    assert set(consultations_for_family(consulted.case)) == {
        consulted.yes,
        consulted.no,
        consulted.waiting,
        consulted.resent,
    }


def test_the_include_shows_each_response_in_plain_english(consulted: Consulted) -> None:
    html = render_to_string(TEMPLATE, {"case": consulted.case, "is_young_person": False})
    assert "What the schools and colleges said" in html
    assert "Yes Academy" in html
    assert "Can meet needs" in html
    assert "We have a place in our autism base." in html
    assert "No Grammar" in html
    assert "Cannot meet needs" in html
    assert "it would not be suitable for Dara's age, ability, aptitude" in html
    assert "it would not be an efficient use of resources" in html
    assert "efficient education of the other children" not in html  # not a ground they gave
    assert "We cannot provide the daily therapy." in html
    assert "Waiting High" in html
    assert "Waiting for a reply" in html
    assert "Replied on" in html
    assert "12 January 2027" in html
    assert "Withdrawn College" not in html
    assert "Resent Special" in html
    assert "Old answer" not in html  # replaced by the re-sent consultation


def test_the_include_and_the_selector_agree(consulted: Consulted) -> None:
    html = render_to_string(TEMPLATE, {"case": consulted.case, "is_young_person": False})
    shown = {c.setting.name for c in consulted.case.consultations.all() if c.setting.name in html}
    assert shown == {c.setting.name for c in consultations_for_family(consulted.case)}
    assert html.count("app-consultation-response") == 4


def test_the_include_says_when_nobody_has_been_asked_yet(db: None) -> None:
    html = render_to_string(TEMPLATE, {"case": CaseFactory(), "is_young_person": False})
    assert "We have not asked any schools or colleges yet." in html


def test_settings_not_ruling_out_are_the_yes_and_the_not_yet_answered(
    consulted: Consulted,
) -> None:
    names = {s.name for s in settings_not_ruling_out(consulted.case)}
    # Pending counts as not ruled out: silence is not a refusal under s39.
    assert names == {"Yes Academy", "Waiting High", "Resent Special"}


def test_the_family_never_sees_another_familys_consultations(consulted: Consulted) -> None:
    other = ConsultationFactory(setting=SettingFactory(name="Someone Else's School"))
    assert other not in consultations_for_family(consulted.case)
    html = render_to_string(TEMPLATE, {"case": consulted.case, "is_young_person": False})
    assert "Someone Else" not in html


@pytest.mark.django_db
def test_a_young_person_reads_about_their_own_needs_and_a_name_is_escaped() -> None:
    from phasetransfer.templatetags.family_words import whose

    consulted = ConsultationFactory(case__child__first_name="Zara")
    html = render_to_string(TEMPLATE, {"case": consulted.case, "is_young_person": True})
    assert "whether it can meet your needs" in html
    assert "Zara" not in html
    assert str(whose("<b>Al</b>", False)) == "&lt;b&gt;Al&lt;/b&gt;'s"
