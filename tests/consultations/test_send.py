"""Sending a round's consultations: who is consulted, idempotence, and one email per batch."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from phasetransfer.cases.state import case_withdraw
from phasetransfer.consultations.services import ConsultationRefused, consultations_send_round
from phasetransfer.models import (
    AuditEvent,
    Case,
    CaseState,
    Consultation,
    OutboundEmail,
    Round,
    Setting,
    SettingKind,
)
from tests.conftest import send_outbox
from tests.factories import CaseFactory, RoundFactory, SettingFactory
from tests.factories.consultations import PreferenceFactory, SettingContactFactory
from tests.moments import FIRST_WORKING_DAY_AFTER_CLOSE, WINDOW_OPEN


class World:
    """Four cases of one round, three settings, and their contacts.

    The children have names no email contains by chance (ChildFactory's ``unmistakable``).
    """

    def __init__(self) -> None:
        self.round: Round = RoundFactory()
        # At the children's homes (51.26, 0.53): the nearest mainstream for every case.
        self.nearest: Setting = SettingFactory(
            name="Nearest Academy", latitude=51.26, longitude=0.53
        )
        self.special: Setting = SettingFactory(name="Oak Special", kind=SettingKind.SPECIAL)
        self.uncontactable: Setting = SettingFactory(name="Ash Special", kind=SettingKind.SPECIAL)
        self.special_contacts = [SettingContactFactory(setting=self.special) for _ in range(2)]
        self.nearest_contact = SettingContactFactory(setting=self.nearest)

        self.named_three = CaseFactory(round=self.round, child__unmistakable=True)
        PreferenceFactory(case=self.named_three, rank=1, setting=self.special)
        PreferenceFactory(case=self.named_three, rank=2, setting=self.uncontactable)
        PreferenceFactory(
            case=self.named_three, rank=3, setting=None, other_name="Hilltop Independent"
        )
        self.named_nearest = CaseFactory(round=self.round, child__unmistakable=True)
        PreferenceFactory(case=self.named_nearest, rank=1, setting=self.special)
        PreferenceFactory(case=self.named_nearest, rank=2, setting=self.nearest)
        self.no_preferences = CaseFactory(round=self.round, child__unmistakable=True)
        self.withdrawn = CaseFactory(round=self.round, child__unmistakable=True)
        PreferenceFactory(case=self.withdrawn, rank=1, setting=self.special)
        case_withdraw(case=self.withdrawn, actor=None, reason="Moved to Scotland")


@pytest.fixture
def world(db: None) -> World:
    return World()


def consulted(case: Case) -> set[str]:
    return set(Consultation.objects.filter(case=case).values_list("setting__name", flat=True))


def test_each_named_setting_and_the_nearest_mainstream_are_consulted(world: World) -> None:
    with time_machine.travel(FIRST_WORKING_DAY_AFTER_CLOSE, tick=False):
        report = consultations_send_round(round_=world.round, actor=None)

    assert consulted(world.named_three) == {"Oak Special", "Ash Special", "Nearest Academy"}
    # The nearest is also a preference: consulted once.
    assert consulted(world.named_nearest) == {"Oak Special", "Nearest Academy"}
    assert consulted(world.no_preferences) == {"Nearest Academy"}
    assert consulted(world.withdrawn) == set()
    assert report.consultations_created == 6
    assert report.cases_consulted == 3
    assert report.skipped_withdrawn == 1
    assert report.other_named == 1  # "Hilltop Independent" is for the caseworker
    assert report.settings_without_contact == ["Ash Special"]
    for case in (world.named_three, world.named_nearest, world.no_preferences):
        case.refresh_from_db()
        assert case.state == CaseState.CONSULTING
    world.withdrawn.refresh_from_db()
    assert world.withdrawn.state == CaseState.WITHDRAWN
    sent = AuditEvent.objects.filter(action="consultation.sent", case=world.named_nearest)
    why = {e.data["setting"]: e.data["why"] for e in sent}
    assert why[world.nearest.urn] == ["preference", "nearest_mainstream"]


def test_each_contact_gets_one_email_for_the_batch_not_one_per_child(world: World) -> None:
    with time_machine.travel(FIRST_WORKING_DAY_AFTER_CLOSE, tick=False):
        report = consultations_send_round(round_=world.round, actor=None)
        assert send_outbox() == 3
    assert report.emails_queued == 3
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert len(mail.outbox) == 3
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mail.outbox)
    special = by_recipient[world.special_contacts[0].user.email]
    assert special.subject == "2 new EHCP consultations from Kent County Council"
    assert "end of Tuesday 29 December 2026" in special.body
    assert "/school/" in special.body
    nearest = by_recipient[world.nearest_contact.user.email]
    assert nearest.subject.startswith("3 new EHCP consultations")
    names = [c.child.first_name for c in Case.objects.all()] + [
        c.child.last_name for c in Case.objects.all()
    ]
    for message in mail.outbox:
        assert not any(name in message.body or name in message.subject for name in names)
        assert world.named_three.child.ehcp_reference not in message.body


def test_sending_again_creates_and_emails_nothing_new(world: World) -> None:
    with time_machine.travel(FIRST_WORKING_DAY_AFTER_CLOSE, tick=False):
        consultations_send_round(round_=world.round, actor=None)
    counts = (
        Consultation.objects.count(),
        OutboundEmail.objects.count(),
        AuditEvent.objects.count(),
    )
    with time_machine.travel(FIRST_WORKING_DAY_AFTER_CLOSE + dt.timedelta(hours=1), tick=False):
        again = consultations_send_round(round_=world.round, actor=None)
    assert again.consultations_created == again.cases_consulted == again.emails_queued == 0
    assert (
        Consultation.objects.count(),
        OutboundEmail.objects.count(),
        AuditEvent.objects.count(),
    ) == counts


def test_a_late_case_is_consulted_on_the_next_send_and_only_its_settings_hear(
    world: World,
) -> None:
    with time_machine.travel(FIRST_WORKING_DAY_AFTER_CLOSE, tick=False):
        consultations_send_round(round_=world.round, actor=None)
    late = CaseFactory(round=world.round)
    PreferenceFactory(case=late, rank=1, setting=world.special)
    next_day = FIRST_WORKING_DAY_AFTER_CLOSE + dt.timedelta(days=1)
    with time_machine.travel(next_day, tick=False):
        report = consultations_send_round(round_=world.round, actor=None)
    assert report.consultations_created == 2  # Oak Special and the nearest
    assert consulted(late) == {"Oak Special", "Nearest Academy"}
    new_keys = OutboundEmail.objects.filter(key__contains=":2026-12-15:").values_list(
        "key", flat=True
    )
    assert len(new_keys) == 3  # two Oak Special contacts and one at the nearest


def test_consultations_are_not_sent_before_the_preference_window_closes(world: World) -> None:
    with (
        time_machine.travel(world.round.preference_closes_at - dt.timedelta(seconds=1), tick=False),
        pytest.raises(ConsultationRefused, match="closes at 17:00 on 11 December 2026"),
    ):
        consultations_send_round(round_=world.round, actor=None)
    assert not Consultation.objects.exists()


def test_a_withdrawn_consultation_is_not_sent_again_by_the_round_send(world: World) -> None:
    from phasetransfer.consultations.services import consultation_withdraw

    with time_machine.travel(FIRST_WORKING_DAY_AFTER_CLOSE, tick=False):
        consultations_send_round(round_=world.round, actor=None)
        first = Consultation.objects.get(case=world.no_preferences)
        consultation_withdraw(consultation=first, reason="Family moved", actor=None)
        consultations_send_round(round_=world.round, actor=None)
    assert Consultation.objects.filter(case=world.no_preferences).count() == 1


def test_the_command_sends_by_round_key_and_is_idempotent(world: World) -> None:
    out = StringIO()
    with time_machine.travel(FIRST_WORKING_DAY_AFTER_CLOSE, tick=False):
        call_command("send_consultations", "--round", "secondary-2027", stdout=out)
        call_command("send_consultations", "--round", str(world.round.pk), stdout=out)
    text = out.getvalue()
    assert "6 consultations sent for 3 cases" in text
    assert "0 consultations sent for 0 cases" in text
    assert "Ash Special has no school contact" in text
    assert Consultation.objects.count() == 6


def test_the_command_refuses_an_unknown_round_or_an_open_window(world: World) -> None:
    with pytest.raises(CommandError, match="No round 'primary-1999'"):
        call_command("send_consultations", "--round", "primary-1999")
    with (
        time_machine.travel(WINDOW_OPEN, tick=False),
        pytest.raises(CommandError, match="Not sent: The preference window closes"),
    ):
        call_command("send_consultations", "--round", "secondary-2027")
