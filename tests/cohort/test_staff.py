"""Caseworkers: engagement figure, reminders, entering preferences on a family's behalf."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from phasetransfer.cohort.invitations import invitations_send
from phasetransfer.cohort.reminders import reminders_send
from phasetransfer.cohort.selectors import engagement_by_date
from phasetransfer.core.clock import LONDON
from phasetransfer.core.roles import Role
from phasetransfer.models import (
    AuditEvent,
    CaseAccess,
    CaseState,
    OutboundEmail,
    PreferenceSubmission,
)
from phasetransfer.preferences.services import preference_add, preferences_submit
from tests.conftest import signed_in
from tests.factories import CaseFactory, ContactFactory, RoundFactory, SettingFactory, UserFactory
from tests.moments import WINDOW_OPEN


@pytest.mark.django_db
def test_the_engagement_figure_moves_when_a_family_submits(client: Client) -> None:
    round_ = RoundFactory()
    contacts = [ContactFactory(case__round=round_) for _ in range(4)]
    worker = UserFactory(roles=[Role.CASEWORKER])
    signed_in(client, worker)
    with time_machine.travel(WINDOW_OPEN, tick=False):
        before = client.get(f"/staff/rounds/{round_.pk}/cohort/").content.decode()
        assert 'id="engagement-share">0%' in before
        case = contacts[0].case
        preference_add(case=case, actor=worker, setting=SettingFactory())
        preferences_submit(case=case, actor=worker)
        after = client.get(f"/staff/rounds/{round_.pk}/cohort/").content.decode()
    assert 'id="engagement-share">25%' in after
    assert "1 of 4" in after


@pytest.mark.django_db
def test_engagement_by_date_is_cumulative() -> None:
    round_ = RoundFactory()
    cases = [ContactFactory(case__round=round_).case for _ in range(4)]
    worker = UserFactory(roles=[Role.CASEWORKER])
    for day, case in zip([10, 12, 12], cases, strict=False):
        moment = dt.datetime(2026, 11, day, 10, tzinfo=LONDON)
        preference_add(case=case, actor=worker, setting=SettingFactory(), now=moment)
        preferences_submit(case=case, actor=worker, now=moment)
    days = {d.day: d for d in engagement_by_date(round_, today=dt.date(2026, 11, 13))}
    assert days[dt.date(2026, 11, 9)].submitted == 0
    assert days[dt.date(2026, 11, 10)].submitted == 1
    assert days[dt.date(2026, 11, 12)].submitted == 3
    assert days[dt.date(2026, 11, 13)].share == pytest.approx(0.75)


@pytest.mark.django_db
def test_reminders_go_once_a_day_to_those_who_have_not_submitted() -> None:
    round_ = RoundFactory()
    ContactFactory(case__round=round_)
    ContactFactory(case__round=round_)
    invitations_send(round_=round_, actor=None, now=WINDOW_OPEN)
    invited = OutboundEmail.objects.count()

    assert reminders_send(round_=round_, actor=None, now=WINDOW_OPEN) == 2
    assert reminders_send(round_=round_, actor=None, now=WINDOW_OPEN + dt.timedelta(hours=3)) == 0
    assert OutboundEmail.objects.count() == invited + 2
    assert reminders_send(round_=round_, actor=None, now=WINDOW_OPEN + dt.timedelta(days=1)) == 2


@pytest.mark.django_db
def test_a_caseworker_enters_preferences_for_a_family_and_the_trail_says_so(
    client: Client,
) -> None:
    contact = ContactFactory()
    case = contact.case
    school = SettingFactory(urn=118000)
    worker = UserFactory(roles=[Role.CASEWORKER])
    response = signed_in(client, worker).post(
        f"/staff/cases/{case.reference}/preferences/",
        {
            "channel": "phone",
            "urn_1": "118000",
            "reasons_1": "Said on the phone",
            "other_2": "Far Away Independent",
        },
    )
    assert response.status_code == 302
    submission = PreferenceSubmission.objects.get(case=case)
    assert submission.on_behalf == "phone"
    assert [p.display_name for p in case.preferences.order_by("rank")] == [
        school.name,
        "Far Away Independent",
    ]
    case.refresh_from_db()
    assert case.state == CaseState.PREFERENCES_RECEIVED
    event = AuditEvent.objects.get(case=case, action="preferences.submitted_on_behalf")
    assert event.actor == worker
    moved = AuditEvent.objects.get(case=case, action="state.receive_preferences")
    assert moved.reason == "entered by staff (phone)"


@pytest.mark.django_db
def test_on_behalf_entry_rejects_an_unknown_urn_and_changes_nothing(client: Client) -> None:
    case = ContactFactory().case
    response = signed_in(client, UserFactory(roles=[Role.CASEWORKER])).post(
        f"/staff/cases/{case.reference}/preferences/", {"channel": "paper", "urn_1": "999999"}
    )
    assert "No school or college has URN 999999" in response.content.decode()
    assert not case.preferences.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PARENT, Role.SCHOOL_CONTACT, Role.PANEL_MEMBER])
def test_non_staff_cannot_open_the_cohort_or_a_case(client: Client, role: Role) -> None:
    case = ContactFactory().case
    signed_in(client, UserFactory(roles=[role]))
    assert client.get(f"/staff/rounds/{case.round_id}/cohort/").status_code == 403
    assert client.get(f"/staff/cases/{case.reference}/").status_code == 403
    assert client.post(f"/staff/rounds/{case.round_id}/reminders/").status_code == 403


@pytest.mark.django_db
def test_the_cohort_is_shown_a_hundred_cases_a_page_keeping_the_filter(client: Client) -> None:
    """A Kent round has thousands of children: one page would be slow and log them all."""
    round_ = RoundFactory()
    cases = CaseFactory.create_batch(105, round=round_)
    worker = UserFactory(roles=[Role.CASEWORKER])
    signed_in(client, worker)

    first = client.get(f"/staff/rounds/{round_.pk}/cohort/?status=Not+invited")
    html = first.content.decode()

    assert html.count('href="/staff/cases/') == 100
    assert "cases 1 to 100 of 105" in html
    assert 'href="?status=Not+invited&amp;page=2"' in html
    second = client.get(f"/staff/rounds/{round_.pk}/cohort/?status=Not+invited&page=2")
    assert second.content.decode().count('href="/staff/cases/') == 5
    seen = CaseAccess.objects.filter(user=worker).values_list("case", flat=True)
    assert sorted(seen) == sorted(case.pk for case in cases)  # each once, on its own page
