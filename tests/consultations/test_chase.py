"""Chasing overdue consultations: at most one email per consultation, contact and day."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from phasetransfer.cases.state import case_withdraw
from phasetransfer.consultations.emails import consultations_chase
from phasetransfer.consultations.services import consultation_respond, consultation_withdraw
from phasetransfer.consultations.tasks import chase_consultations
from phasetransfer.core.clock import LONDON
from phasetransfer.models import AuditEvent, Consultation, OutboundEmail
from tests.conftest import send_outbox
from tests.factories.consultations import ConsultationFactory, SettingContactFactory
from tests.moments import CONSULTATIONS_FIRST_LATE_DAY, CONSULTATIONS_SENT


@pytest.fixture
def overdue(db: None) -> Consultation:
    """An overdue consultation of a setting with two contacts."""
    contact = SettingContactFactory()
    SettingContactFactory(setting=contact.setting)
    return ConsultationFactory(
        setting=contact.setting,
        sent_at=CONSULTATIONS_SENT,
        case__child__unmistakable=True,  # a name no email contains by chance
    )


def chase_and_deliver(moment: dt.datetime) -> int:
    with time_machine.travel(moment, tick=False):
        consultations_chase()
        return send_outbox()


def test_chasers_go_once_a_day_to_each_contact(overdue: Consultation) -> None:
    assert chase_and_deliver(CONSULTATIONS_FIRST_LATE_DAY) == 2
    same_day, next_day = dt.timedelta(hours=6), dt.timedelta(days=1)
    assert chase_and_deliver(CONSULTATIONS_FIRST_LATE_DAY + same_day) == 0  # nothing
    assert len(mail.outbox) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        c.user.email for c in overdue.setting.contacts.all()
    )
    assert chase_and_deliver(CONSULTATIONS_FIRST_LATE_DAY + next_day) == 2  # again
    assert len(mail.outbox) == 4
    assert AuditEvent.objects.filter(action="consultation.chased", case=overdue.case).count() == 2
    keys = set(OutboundEmail.objects.values_list("key", flat=True))
    assert {k.rsplit(":", 1)[0] for k in keys} == {
        f"consultation-chaser:{overdue.pk}:2027-01-20",
        f"consultation-chaser:{overdue.pk}:2027-01-21",
    }


def test_the_london_day_decides_what_once_a_day_means(overdue: Consultation) -> None:
    # 23:30 and 00:30 London are different days, even though both are within an hour.
    assert chase_and_deliver(dt.datetime(2027, 1, 20, 23, 30, tzinfo=LONDON)) == 2
    assert chase_and_deliver(dt.datetime(2027, 1, 21, 0, 30, tzinfo=LONDON)) == 2


def test_the_chaser_links_to_the_consultation_and_names_no_child(overdue: Consultation) -> None:
    chase_and_deliver(CONSULTATIONS_FIRST_LATE_DAY)
    message = mail.outbox[0]
    assert message.subject == "Reminder: an EHCP consultation response is overdue"
    assert f"{settings.SITE_URL}/school/consultations/{overdue.pk}/" in message.body
    assert "due by the end of 19 January 2027" in message.body
    child = overdue.case.child
    for secret in (child.first_name, child.last_name, child.ehcp_reference):
        assert secret not in message.body
        assert secret not in message.subject
    assert len(message.to) == 1
    assert not message.cc
    assert not message.bcc


def test_nothing_is_chased_before_it_is_due_or_once_answered_or_withdrawn(
    overdue: Consultation,
) -> None:
    assert chase_and_deliver(dt.datetime(2027, 1, 19, 23, 59, 59, tzinfo=LONDON)) == 0
    answered = ConsultationFactory(setting=overdue.setting, sent_at=CONSULTATIONS_SENT)
    school = overdue.setting.contacts.first().user
    consultation_respond(consultation=answered, can_meet=True, actor=school)
    withdrawn = ConsultationFactory(setting=overdue.setting, sent_at=CONSULTATIONS_SENT)
    consultation_withdraw(consultation=withdrawn, reason="Not needed", actor=None)
    case_gone = ConsultationFactory(setting=overdue.setting, sent_at=CONSULTATIONS_SENT)
    case_withdraw(case=case_gone.case, actor=None, reason="Left the area")
    mail.outbox.clear()
    with time_machine.travel(CONSULTATIONS_FIRST_LATE_DAY, tick=False):
        report = consultations_chase()
    assert report.overdue == report.chased == 1
    assert report.emails_queued == 2


def test_a_setting_with_no_contact_is_counted_not_emailed(db: None) -> None:
    ConsultationFactory(sent_at=CONSULTATIONS_SENT)
    with time_machine.travel(CONSULTATIONS_FIRST_LATE_DAY, tick=False):
        report = consultations_chase()
    assert (report.overdue, report.without_contact, report.emails_queued) == (1, 1, 0)
    assert not OutboundEmail.objects.exists()


def test_the_beat_task_waits_until_8am_london(overdue: Consultation) -> None:
    with time_machine.travel(dt.datetime(2027, 1, 20, 7, 59, tzinfo=LONDON), tick=False):
        assert chase_consultations() == 0
    with time_machine.travel(dt.datetime(2027, 1, 20, 8, 0, tzinfo=LONDON), tick=False):
        assert chase_consultations() == 2
        assert chase_consultations() == 0
    assert "chase-consultations" in settings.CELERY_BEAT_SCHEDULE


def test_the_command_chases_and_reports(overdue: Consultation) -> None:
    out = StringIO()
    with time_machine.travel(CONSULTATIONS_FIRST_LATE_DAY, tick=False):
        call_command("chase_consultations", stdout=out)
        call_command("chase_consultations", "--round", "secondary-2027", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("1 overdue consultations; 1 chased with 2 emails")
    assert lines[1].startswith("1 overdue consultations; 0 chased with 0 emails")


def test_a_caseworker_chases_a_selection_after_a_confirmation_that_says_which(
    overdue: Consultation,
) -> None:
    from django.test import Client

    from phasetransfer.core.roles import Role
    from tests.conftest import signed_in
    from tests.factories import UserFactory

    other = SettingContactFactory()
    skipped = ConsultationFactory(
        setting=other.setting, sent_at=CONSULTATIONS_SENT, case__round=overdue.case.round
    )
    url = f"/staff/rounds/{overdue.case.round_id}/consultations/chase/"
    with time_machine.travel(CONSULTATIONS_FIRST_LATE_DAY, tick=False):
        client = signed_in(Client(), UserFactory(roles=[Role.CASEWORKER]))
        listing = client.get(f"/staff/rounds/{overdue.case.round_id}/consultations/overdue/")
        assert f'value="{overdue.pk}"' in listing.content.decode()
        none = client.post(url, {"selection": "1"}, follow=True).content.decode()
        assert "Select at least one overdue consultation to chase." in none
        confirm = client.post(url, {"selection": "1", "consultation": [str(overdue.pk)]})
        page = confirm.content.decode()
        assert "Chase 1 school for an answer?" in page
        assert overdue.case.reference in page
        assert skipped.case.reference not in page
        assert not AuditEvent.objects.filter(action="consultation.chased").exists()  # not yet
        done = client.post(
            url, {"selection": "1", "confirm": "yes", "consultation": [str(overdue.pk)]}
        )
        assert done.status_code == 302
    chased = AuditEvent.objects.filter(action="consultation.chased")
    assert [event.data["consultation"] for event in chased] == [overdue.pk]
