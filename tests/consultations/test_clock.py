"""The consultation clock: due by the end of the 15th calendar day after sending, in London."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from phasetransfer.consultations.selectors import (
    consultations_overdue,
    due_day,
    is_overdue,
    school_list,
)
from phasetransfer.consultations.services import (
    consultation_due_at,
    consultation_respond,
    consultations_send_round,
)
from phasetransfer.core import clock
from phasetransfer.core.clock import LONDON
from phasetransfer.models import AuditEvent, Consultation
from tests.factories import CaseFactory, RoundFactory, SettingFactory
from tests.factories.consultations import ConsultationFactory, SettingContactFactory

TICK = dt.timedelta(microseconds=1)


def london(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("sent", "last_day"),
    [
        (london(2027, 1, 4, 0, 0), dt.date(2027, 1, 19)),  # first instant of the day
        (london(2027, 1, 4, 23, 59, 59, 999999), dt.date(2027, 1, 19)),  # last instant
        (london(2027, 1, 5, 0, 0), dt.date(2027, 1, 20)),  # a tick later: a day later
        (london(2026, 12, 31, 12, 0), dt.date(2027, 1, 15)),  # across the new year
        (london(2027, 2, 14, 9, 0), dt.date(2027, 3, 1)),  # across the end of February
    ],
)
def test_a_consultation_is_due_at_the_end_of_the_15th_day_after_the_day_it_was_sent(
    sent: dt.datetime, last_day: dt.date
) -> None:
    due_at = consultation_due_at(sent_at=sent, days=15)
    assert due_at == clock.end_of_day_in_london(last_day)
    assert due_at.astimezone(LONDON).time() == dt.time(0, 0)


def test_the_day_of_sending_is_read_in_london_not_utc() -> None:
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST): day 1 is 2 July.
    sent = dt.datetime(2027, 6, 30, 23, 30, tzinfo=dt.UTC)
    assert consultation_due_at(sent_at=sent, days=15) == london(2027, 7, 17, 0, 0)


def test_calendar_days_hold_across_the_clocks_changing() -> None:
    # Sent in GMT, due in BST: still the end of the 15th London day, 23:00 UTC.
    due_at = consultation_due_at(sent_at=london(2027, 3, 20, 10, 0), days=15)
    assert due_at == london(2027, 4, 5, 0, 0)
    assert due_at.astimezone(dt.UTC) == dt.datetime(2027, 4, 4, 23, 0, tzinfo=dt.UTC)
    # Sent in BST, due in GMT.
    due_at = consultation_due_at(sent_at=london(2027, 10, 25, 10, 0), days=15)
    assert due_at.astimezone(dt.UTC) == dt.datetime(2027, 11, 10, 0, 0, tzinfo=dt.UTC)


def test_the_round_sets_how_many_days() -> None:
    assert consultation_due_at(sent_at=london(2027, 1, 4, 9), days=1) == london(2027, 1, 6)


@pytest.mark.django_db
def test_sending_reads_the_frozen_clock_and_the_due_day_is_shown_as_the_15th_day() -> None:
    round_ = RoundFactory(consultation_days=15)
    case = CaseFactory(round=round_)
    SettingFactory(latitude=51.26, longitude=0.53)  # the nearest mainstream
    with time_machine.travel(london(2027, 1, 4, 23, 59, 59), tick=False):
        consultations_send_round(round_=round_, actor=None)
    consultation = Consultation.objects.get(case=case)
    assert consultation.sent_at == london(2027, 1, 4, 23, 59, 59)
    assert consultation.due_at == london(2027, 1, 20, 0, 0)
    assert due_day(consultation) == dt.date(2027, 1, 19)


@pytest.mark.django_db
def test_a_consultation_is_overdue_from_the_first_instant_after_its_last_day() -> None:
    contact = SettingContactFactory()
    consultation = ConsultationFactory(setting=contact.setting, sent_at=london(2027, 1, 4, 10))
    last_instant = london(2027, 1, 19, 23, 59, 59, 999999)

    with time_machine.travel(last_instant, tick=False):
        now = clock.now()
        assert not is_overdue(consultation, now)
        assert list(consultations_overdue(now=now)) == []
        assert [r.consultation for r in school_list(user=contact.user, now=now).pending] == [
            consultation
        ]

    with time_machine.travel(last_instant + TICK, tick=False):
        now = clock.now()
        assert is_overdue(consultation, now)
        assert list(consultations_overdue(now=now)) == [consultation]
        assert [r.consultation for r in school_list(user=contact.user, now=now).overdue] == [
            consultation
        ]


@pytest.mark.django_db
def test_a_response_on_the_last_day_is_on_time_and_one_a_moment_later_is_late() -> None:
    contact = SettingContactFactory()
    on_time = ConsultationFactory(setting=contact.setting, sent_at=london(2027, 1, 4, 10))
    late = ConsultationFactory(setting=contact.setting, sent_at=london(2027, 1, 4, 10))
    last_instant = london(2027, 1, 19, 23, 59, 59, 999999)
    for consultation, moment in [(on_time, last_instant), (late, last_instant + TICK)]:
        with time_machine.travel(moment, tick=False):
            consultation_respond(consultation=consultation, can_meet=True, actor=contact.user)
    flags = {
        e.data["consultation"]: e.data["late"]
        for e in AuditEvent.objects.filter(action="consultation.answered")
    }
    assert flags == {on_time.pk: False, late.pk: True}
