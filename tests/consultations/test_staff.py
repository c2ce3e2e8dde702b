"""Staff pages: a round's consultations, overdue lists, and acting on one case's consultations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

from phasetransfer.cases.state import case_start_consultation
from phasetransfer.consultations.selectors import round_case_progress, round_setting_counts
from phasetransfer.consultations.services import consultation_respond
from phasetransfer.consultations.tasks import send_round_consultations
from phasetransfer.core.roles import Role
from phasetransfer.models import (
    AuditEvent,
    Case,
    CaseState,
    Consultation,
    ConsultationStatus,
    OutboundEmail,
    User,
)
from tests.conftest import signed_in
from tests.factories import CaseFactory, RoundFactory, SettingFactory, UserFactory
from tests.factories.consultations import (
    ConsultationFactory,
    PreferenceFactory,
    SettingContactFactory,
)
from tests.moments import CONSULTATIONS_OVERDUE, CONSULTATIONS_SENT, WINDOW_OPEN


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with time_machine.travel(CONSULTATIONS_OVERDUE, tick=False):
        yield


@pytest.fixture
def case(db: None) -> Case:
    case = CaseFactory(child__first_name="Cara", child__last_name="Consulted")
    case_start_consultation(case=case, actor=None, now=CONSULTATIONS_SENT)
    return case


def test_round_counts_per_setting_and_per_case(case: Case) -> None:
    oak = SettingContactFactory(setting__name="Oak").setting
    elm = SettingFactory(name="Elm")
    ConsultationFactory(case=case, setting=oak, sent_at=CONSULTATIONS_SENT)  # overdue
    yesterday = CONSULTATIONS_OVERDUE - dt.timedelta(days=1)
    ConsultationFactory(case=case, setting=elm, sent_at=yesterday)  # pending
    answered_case = CaseFactory(round=case.round)
    answered = ConsultationFactory(case=answered_case, setting=oak, sent_at=CONSULTATIONS_SENT)
    consultation_respond(
        consultation=answered,
        can_meet=True,
        actor=UserFactory(),
        now=CONSULTATIONS_SENT + dt.timedelta(1),
    )
    withdrawn = ConsultationFactory(setting=oak, case=CaseFactory(round=case.round))
    Consultation.objects.filter(pk=withdrawn.pk).update(status=ConsultationStatus.WITHDRAWN)

    counts = {
        c.setting.name: c
        for c in round_setting_counts(round_=case.round, now=CONSULTATIONS_OVERDUE)
    }
    assert (counts["Oak"].pending, counts["Oak"].overdue, counts["Oak"].answered) == (0, 1, 1)
    assert (counts["Elm"].pending, counts["Elm"].overdue, counts["Elm"].answered) == (1, 0, 0)
    assert counts["Oak"].has_contact
    assert not counts["Elm"].has_contact
    progress = {p.case: p for p in round_case_progress(round_=case.round)}
    assert (progress[case].answered, progress[case].consulted) == (0, 2)
    assert not progress[case].complete
    assert progress[answered_case].complete


def test_the_round_page_shows_counts_and_the_send_button(client: Client, case: Case) -> None:
    worker = UserFactory(roles=[Role.CASEWORKER])
    ConsultationFactory(case=case, setting=SettingFactory(name="Birch"), sent_at=CONSULTATIONS_SENT)
    PreferenceFactory(case=case, rank=2, setting=None, other_name="Faraway Independent")
    page = signed_in(client, worker).get(f"/staff/rounds/{case.round_id}/consultations/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Birch" in html
    assert "No contact: send by another route" in html
    assert "Faraway Independent" in html
    assert "Send consultations" in html
    assert case.reference in html


def test_the_send_button_queues_the_round_send_after_the_window_closes(
    client: Client,
    db: None,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    round_ = RoundFactory()
    case = CaseFactory(round=round_)
    PreferenceFactory(case=case, rank=1, setting=SettingContactFactory().setting)
    worker = UserFactory(roles=[Role.CASEWORKER])
    queued: list[tuple[int, int]] = []
    monkeypatch.setattr(send_round_consultations, "delay", lambda *args: queued.append(args))
    url = f"/staff/rounds/{round_.pk}/consultations/send/"
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(client, worker).post(url, follow=True)
    assert "Sending consultations" in response.content.decode()
    assert queued == [(round_.pk, worker.pk)]

    # What the worker then runs: the round send, audited as the caseworker.
    assert send_round_consultations(*queued[0]) == 1  # the named school, also the nearest
    assert Consultation.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.filter(action="consultation.sent", actor=worker).count() == 1
    assert client.get(url).status_code == 405


def test_the_send_button_refuses_while_the_window_is_open(client: Client, db: None) -> None:
    round_ = RoundFactory()
    worker = UserFactory(roles=[Role.CASEWORKER])
    with time_machine.travel(WINDOW_OPEN, tick=False):
        response = signed_in(client, worker).post(
            f"/staff/rounds/{round_.pk}/consultations/send/", follow=True
        )
    assert "The preference window closes at 17:00 on 11 December 2026" in (
        response.content.decode()
    )


def test_a_panel_chair_may_look_but_not_send_or_act(client: Client, case: Case) -> None:
    chair = UserFactory(roles=[Role.PANEL_CHAIR])
    consultation = ConsultationFactory(case=case, sent_at=CONSULTATIONS_SENT)
    signed_in(client, chair)
    assert client.get(f"/staff/rounds/{case.round_id}/consultations/").status_code == 200
    assert client.get(f"/staff/cases/{case.reference}/consultations/").status_code == 200
    assert client.post(f"/staff/rounds/{case.round_id}/consultations/send/").status_code == 403
    respond = f"/staff/consultations/{consultation.pk}/respond/"
    assert client.post(respond, {"decision": "can_meet", "channel": "email"}).status_code == 403
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.PENDING


def test_a_caseworker_records_a_response_on_the_schools_behalf_audited(
    client: Client, case: Case, caseworker: User
) -> None:
    consultation = ConsultationFactory(case=case, sent_at=CONSULTATIONS_SENT)
    url = f"/staff/consultations/{consultation.pk}/respond/"
    signed_in(client, caseworker)
    refused = client.post(url, {"channel": "phone", "decision": "cannot_meet"})
    assert refused.status_code == 200
    assert "There is a problem" in refused.content.decode()
    response = client.post(
        url,
        {
            "channel": "phone",
            "decision": "cannot_meet",
            "grounds": ["others"],
            "response_text": "Said on the phone: the class would be 34.",
        },
    )
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.CANNOT_MEET
    assert consultation.recorded_on_behalf
    assert consultation.responded_by == caseworker
    event = AuditEvent.objects.get(action="consultation.answered_on_behalf")
    assert event.actor == caseworker
    assert event.data["channel"] == "phone"
    assert event.data["late"] is True
    page = client.get(f"/staff/cases/{case.reference}/consultations/").content.decode()
    assert "on the school's behalf" in page


def test_withdraw_and_resend_from_the_case_page(
    client: Client, case: Case, caseworker: User
) -> None:
    contact = SettingContactFactory()
    consultation = ConsultationFactory(
        case=case, setting=contact.setting, sent_at=CONSULTATIONS_SENT
    )
    signed_in(client, caseworker)
    withdraw = f"/staff/consultations/{consultation.pk}/withdraw/"
    assert "Enter a reason" in client.post(withdraw, {"reason": ""}).content.decode()
    assert client.post(withdraw, {"reason": "Family withdrew it"}).status_code == 302
    consultation.refresh_from_db()
    assert consultation.status == ConsultationStatus.WITHDRAWN
    assert OutboundEmail.objects.filter(kind="consultation_withdrawn").count() == 1

    resend = f"/staff/consultations/{consultation.pk}/resend/"
    assert client.post(resend, {"reason": "Family changed their mind"}).status_code == 302
    new = Consultation.objects.get(replaces=consultation)
    assert new.sent_at == CONSULTATIONS_OVERDUE
    assert new.status == ConsultationStatus.PENDING


def test_consulting_another_setting_by_urn(client: Client, case: Case, caseworker: User) -> None:
    setting = SettingFactory(urn=118765, name="Chosen By The LA")
    signed_in(client, caseworker)
    url = f"/staff/cases/{case.reference}/consultations/add/"
    assert "No school or college has URN 999" in client.post(url, {"urn": "999"}).content.decode()
    assert client.post(url, {"urn": "118765"}).status_code == 302
    assert Consultation.objects.get(case=case).setting == setting
    again = client.post(url, {"urn": "118765"}).content.decode()
    assert "already been consulted" in again


def test_the_overdue_page_lists_and_chases(client: Client, case: Case, caseworker: User) -> None:
    contact = SettingContactFactory(setting__name="Late School")
    ConsultationFactory(case=case, setting=contact.setting, sent_at=CONSULTATIONS_SENT)
    signed_in(client, caseworker)
    url = f"/staff/rounds/{case.round_id}/consultations/overdue/"
    html = client.get(url).content.decode()
    assert "Late School" in html
    assert "19 January 2027" in html
    assert "None yet" in html
    response = client.post(f"/staff/rounds/{case.round_id}/consultations/chase/", follow=True)
    assert "1 chased with 1 emails" in response.content.decode()
    assert "22 January 2027" in client.get(url).content.decode()  # last reminder


def test_the_case_page_lists_settings_not_ruling_out(
    client: Client, case: Case, caseworker: User
) -> None:
    yes = ConsultationFactory(
        case=case, setting=SettingFactory(name="Yes School"), sent_at=CONSULTATIONS_SENT
    )
    no = ConsultationFactory(
        case=case, setting=SettingFactory(name="No School"), sent_at=CONSULTATIONS_SENT
    )
    consultation_respond(consultation=yes, can_meet=True, actor=caseworker)
    consultation_respond(
        consultation=no, can_meet=False, grounds=["unsuitable"], text="x", actor=caseworker
    )
    html = signed_in(client, caseworker).get(f"/staff/cases/{case.reference}/consultations/")
    text = html.content.decode()
    section = text.split("Settings that have not ruled the child out")[1].split("</ul>")[0]
    assert "Yes School" in section
    assert "No School" not in section
    case.refresh_from_db()
    assert case.state == CaseState.CONSULTING


def test_consultations_go_for_a_selection_after_a_confirmation_naming_each_case(
    client: Client,
    db: None,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    round_ = RoundFactory()
    school = SettingContactFactory(setting__name="Selected Academy").setting
    chosen = CaseFactory(round=round_)
    PreferenceFactory(case=chosen, rank=1, setting=school)
    other = CaseFactory(round=round_)
    PreferenceFactory(case=other, rank=1, setting=SettingFactory(name="Left Alone School"))
    already = CaseFactory(round=round_)
    case_start_consultation(case=already, actor=None, now=CONSULTATIONS_SENT)
    worker = UserFactory(roles=[Role.CASEWORKER])
    signed_in(client, worker)
    waiting = client.get(f"/staff/rounds/{round_.pk}/consultations/waiting/").content.decode()
    assert chosen.reference in waiting
    assert other.reference in waiting
    assert already.reference not in waiting  # consulted already: not offered again

    url = f"/staff/rounds/{round_.pk}/consultations/send-selected/"
    confirm = client.post(url, {"case": [str(chosen.pk), str(already.pk)]})
    html = confirm.content.decode()
    assert "Send consultations for 1 case?" in html  # the consulted one is dropped
    assert chosen.reference in html
    assert "Selected Academy" in html
    assert other.reference not in html
    assert Consultation.objects.count() == 0  # nothing sent before "Yes"

    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(send_round_consultations, "delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"case": [str(chosen.pk)], "confirm": "yes"}, follow=True)
        again = client.post(url, {"case": [str(chosen.pk)], "confirm": "yes"}, follow=True)
    assert "Sending consultations for 1 case." in done.content.decode()
    assert again.status_code == 200
    for args in queued:  # a double click queues twice; the second send finds nothing to do
        send_round_consultations(*args)
    assert queued[0] == (round_.pk, worker.pk, [chosen.pk])
    assert consulted_names(chosen) == ["Selected Academy"]
    assert Consultation.objects.filter(case=other).count() == 0
    assert Case.objects.get(pk=chosen.pk).state == CaseState.CONSULTING


def consulted_names(case: Case) -> list[str]:
    return list(Consultation.objects.filter(case=case).values_list("setting__name", flat=True))


def test_a_selection_with_nothing_chosen_or_before_the_window_closes_sends_nothing(
    client: Client, db: None
) -> None:
    round_ = RoundFactory()
    case = CaseFactory(round=round_)
    PreferenceFactory(case=case, rank=1, setting=SettingContactFactory().setting)
    signed_in(client, UserFactory(roles=[Role.CASEWORKER]))
    url = f"/staff/rounds/{round_.pk}/consultations/send-selected/"
    empty = client.post(url, {"confirm": "yes"}, follow=True).content.decode()
    assert "Select at least one case to consult" in empty
    with time_machine.travel(WINDOW_OPEN, tick=False):
        early = client.post(url, {"case": [str(case.pk)], "confirm": "yes"}, follow=True)
        page = client.get(f"/staff/rounds/{round_.pk}/consultations/waiting/").content.decode()
    assert "The preference window closes at 17:00 on 11 December 2026" in early.content.decode()
    assert 'id="send-selected"' not in page  # no checkboxes to tick while it cannot be sent
    assert Consultation.objects.count() == 0


def test_a_panel_chair_cannot_send_for_a_selection(client: Client, case: Case) -> None:
    signed_in(client, UserFactory(roles=[Role.PANEL_CHAIR]))
    url = f"/staff/rounds/{case.round_id}/consultations/send-selected/"
    assert client.post(url, {"case": [str(case.pk)], "confirm": "yes"}).status_code == 403
