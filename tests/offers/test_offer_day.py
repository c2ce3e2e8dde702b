"""Offer day: nothing before the moment, everything once at it, letters that say what the law
needs."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.test import Client

from offers.models import FamilyResponse, Letter, LetterKind, Release
from offers.selectors import release_status
from offers.services.letters import cases_needing_letters, letter_render, offer_day_spec
from offers.services.rehearsal import offer_day_rehearse
from offers.services.release import (
    OfferDayRefused,
    offer_day_set,
    release_complete,
    release_due,
)
from panels.models import Decision
from phasetransfer.core.clock import LONDON
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, CaseState, EmailStatus, OutboundEmail
from tests.conftest import send_outbox, signed_in
from tests.factories import RoundFactory, SettingFactory, UserFactory
from tests.factories.offers import decided_case, undecided_case
from tests.moments import JUST_AFTER_OFFER_DAY, JUST_BEFORE_OFFER_DAY, OFFER_DAY, WINDOW_OPEN


def _render(case: Case, now: dt.datetime | None = None) -> Letter:
    """The letter the case's offer-day release would publish, rendered ahead as the job does."""
    return letter_render(case=case, spec=offer_day_spec(case), now=now)


def _release_all(now: dt.datetime) -> int:
    summary = release_due(now=now)
    return sum(release_complete(release_id=pk, now=now) for pk in summary.dispatched)


@pytest.mark.django_db
def test_nothing_is_released_or_queued_before_the_moment() -> None:
    round_ = RoundFactory()
    decided_case(round_)
    undecided_case(round_)
    summary = release_due(now=JUST_BEFORE_OFFER_DAY)
    assert summary.dispatched == []
    assert not Release.objects.exists()
    assert not OutboundEmail.objects.filter(kind="offer_day").exists()


@pytest.mark.django_db
def test_at_the_moment_every_case_is_released_once_and_each_contact_emailed_once(
    smtp: object,
) -> None:
    round_ = RoundFactory()
    # Names nothing in an email contains: the checks below cannot match by chance.
    decided = decided_case(round_, case__child__unmistakable=True)
    waiting = undecided_case(round_, case__child__unmistakable=True)

    assert _release_all(JUST_AFTER_OFFER_DAY) == 2
    # The next minute's run, and a later one.
    assert _release_all(JUST_AFTER_OFFER_DAY + dt.timedelta(minutes=1)) == 0
    assert _release_all(JUST_AFTER_OFFER_DAY + dt.timedelta(minutes=5)) == 0

    decided.refresh_from_db()
    waiting.refresh_from_db()
    assert decided.state == CaseState.RELEASED
    assert waiting.state == CaseState.NO_DECISION_YET
    assert {r.kind for r in Release.objects.all()} == {LetterKind.OFFER, LetterKind.NO_DECISION}
    with time_machine.travel(JUST_AFTER_OFFER_DAY, tick=False):
        assert send_outbox() == 2
    assert len(smtp.received) == 2
    for received in smtp.received:
        assert len(received.envelope_to) == 1
        assert received.message["Cc"] is None
        assert received.message["Bcc"] is None
        for case in (decided, waiting):
            assert case.child.first_name not in received.body
            assert case.child.last_name not in received.body
            assert case.reference not in received.body
        assert "Sign in" in received.body


@pytest.mark.django_db
def test_a_release_task_refuses_to_run_before_the_moment() -> None:
    round_ = RoundFactory()
    decided_case(round_)
    summary = release_due(now=JUST_AFTER_OFFER_DAY)
    with pytest.raises(OfferDayRefused):
        release_complete(release_id=summary.dispatched[0], now=JUST_BEFORE_OFFER_DAY)


@pytest.mark.django_db
def test_the_family_sees_nothing_before_the_moment_and_everything_after(client: Client) -> None:
    round_ = RoundFactory()
    named = SettingFactory(name="Oakwood Park Grammar")
    case = decided_case(round_, setting=named)
    _render(case, now=OFFER_DAY - dt.timedelta(days=2))  # rendered ahead
    parent = UserFactory(roles=[Role.PARENT])
    case.contacts.update(user=parent)

    with time_machine.travel(JUST_BEFORE_OFFER_DAY, tick=False):
        signed_in(client, parent)
        assert client.get(f"/family/{case.reference}/outcome/").status_code == 404
        assert client.get(f"/family/{case.reference}/outcome/letter.pdf").status_code == 404
        overview = client.get(f"/family/{case.reference}/").content.decode()
        assert "Oakwood Park Grammar" not in overview
        assert "Your outcome is ready" not in overview
    with time_machine.travel(OFFER_DAY, tick=False):  # the very moment, before any job has run
        page = client.get(f"/family/{case.reference}/outcome/")
        assert page.status_code == 200
        assert "Your outcome is on its way" in page.content.decode()
        assert "Oakwood Park Grammar" not in page.content.decode()  # nothing is published yet
        assert client.get(f"/family/{case.reference}/outcome/letter.pdf").status_code == 404
        assert (
            "telling every family now" in client.get(f"/family/{case.reference}/").content.decode()
        )
    _release_all(OFFER_DAY)  # the job publishes the case: what the family reads from now on
    with time_machine.travel(OFFER_DAY + dt.timedelta(minutes=1), tick=False):
        page = client.get(f"/family/{case.reference}/outcome/")
        assert "Oakwood Park Grammar" in page.content.decode()
        pdf = client.get(f"/family/{case.reference}/outcome/letter.pdf")
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")
        published = Release.objects.get(case=case)
        assert hashlib.sha256(pdf.content).hexdigest() == published.letter_sha256
        assert "Your outcome is ready" in client.get(f"/family/{case.reference}/").content.decode()


@pytest.mark.django_db
def test_another_family_cannot_see_the_outcome(client: Client) -> None:
    round_ = RoundFactory()
    case = decided_case(round_)
    other = decided_case(round_)
    parent = UserFactory(roles=[Role.PARENT])
    other.contacts.update(user=parent)
    with time_machine.travel(JUST_AFTER_OFFER_DAY, tick=False):
        signed_in(client, parent)
        assert client.get(f"/family/{case.reference}/outcome/").status_code == 404
        assert client.get(f"/family/{case.reference}/outcome/letter.pdf").status_code == 404


@pytest.mark.django_db
def test_the_offer_letter_names_the_setting_the_ground_and_the_right_of_appeal() -> None:
    round_ = RoundFactory()
    preferred = SettingFactory(name="Preferred Academy")
    named = SettingFactory(name="Named Special School")
    case = decided_case(round_, setting=named, preferred=preferred, ground="resources")

    letter = _render(case, now=OFFER_DAY - dt.timedelta(days=1))

    assert letter.kind == LetterKind.OFFER
    assert "Named Special School" in letter.html
    assert "Preferred Academy (1st preference)" in letter.html
    assert "incompatible with the efficient use of resources" in letter.html
    assert "12 April 2027" in letter.html  # two months from the letter dated 12 February
    assert "do not need a mediation certificate" in letter.html
    assert "one month of getting a mediation certificate" in letter.html
    assert "IASK" in letter.html
    assert letter.pdf.startswith(b"%PDF")
    assert letter.sha256 == hashlib.sha256(bytes(letter.pdf)).hexdigest()


@pytest.mark.django_db
def test_the_no_decision_letter_says_why_and_by_when() -> None:
    round_ = RoundFactory()
    case = undecided_case(round_, CaseState.CONSULTING)
    letter = _render(case)
    assert letter.kind == LetterKind.NO_DECISION
    assert "waiting for schools or colleges" in letter.html
    assert "15 February 2027" in letter.html


@pytest.mark.django_db
def test_a_changed_decision_supersedes_its_letter_and_rendering_twice_is_one_letter() -> None:
    round_ = RoundFactory()
    case = decided_case(round_)
    first = _render(case)
    assert _render(case).pk == first.pk
    assert cases_needing_letters(round_.pk) == []

    old = Decision.objects.get(case=case)
    Decision.objects.create(
        case=case,
        session=old.session,
        outcome="agree",
        setting=SettingFactory(name="Changed"),
        decided_by=old.decided_by,
        decided_at=old.decided_at + dt.timedelta(days=1),
        supersedes=old,
        change_reason="Tribunal-style review",
    )
    assert cases_needing_letters(round_.pk) == [case.pk]
    second = _render(case)
    assert "Changed" in second.html
    assert Letter.objects.filter(case=case, superseded_at__isnull=True).count() == 1
    first.refresh_from_db()
    assert first.superseded_at is not None


@pytest.mark.django_db
def test_offer_day_must_be_in_the_future_and_on_or_before_the_deadline() -> None:
    round_ = RoundFactory(offer_day_at=None)
    now = WINDOW_OPEN
    with pytest.raises(OfferDayRefused, match="15 February 2027"):
        offer_day_set(
            round_=round_, at=dt.datetime(2027, 2, 16, 9, tzinfo=LONDON), actor=None, now=now
        )
    with pytest.raises(OfferDayRefused, match="future"):
        offer_day_set(round_=round_, at=now - dt.timedelta(hours=1), actor=None, now=now)
    offer_day_set(round_=round_, at=OFFER_DAY, actor=None, now=now)
    round_.refresh_from_db()
    assert round_.offer_day_at == OFFER_DAY


@pytest.mark.django_db
def test_offer_day_cannot_move_once_release_has_begun() -> None:
    round_ = RoundFactory()
    decided_case(round_)
    release_due(now=JUST_AFTER_OFFER_DAY)
    with pytest.raises(OfferDayRefused, match="already begun"):
        offer_day_set(
            round_=round_,
            at=JUST_AFTER_OFFER_DAY + dt.timedelta(days=1),
            actor=None,
            now=JUST_AFTER_OFFER_DAY,
        )


@pytest.mark.django_db
def test_a_rehearsal_renders_and_counts_but_releases_and_sends_nothing() -> None:
    round_ = RoundFactory()
    decided_case(round_)
    decided_case(round_, email="")
    undecided_case(round_)
    result = offer_day_rehearse(round_=round_).result
    counts = result["counts"]
    assert (counts["cases"], counts["offer_letters"], counts["no_decision_letters"]) == (3, 2, 1)
    assert (counts["emails"], counts["letters_to_post"]) == (2, 1)
    assert result["cannot_be_told"] == result["failures"] == []
    assert not Release.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert not Letter.objects.exists()


@pytest.mark.django_db
def test_outside_production_real_addresses_are_never_emailed(settings: object) -> None:
    round_ = RoundFactory()
    decided_case(round_, email="parent@gmail.com")
    _release_all(JUST_AFTER_OFFER_DAY)
    with time_machine.travel(JUST_AFTER_OFFER_DAY, tick=False):
        assert send_outbox() == 0
    email = OutboundEmail.objects.get(kind="offer_day")
    assert email.status == EmailStatus.SUPPRESSED


@pytest.mark.django_db
def test_the_officer_page_shows_readiness_and_progress(client: Client) -> None:
    round_ = RoundFactory()
    decided_case(round_)
    undecided_case(round_, CaseState.PROPOSED)
    officer = UserFactory(roles=[Role.CASEWORKER])
    with time_machine.travel(JUST_BEFORE_OFFER_DAY, tick=False):
        page = signed_in(client, officer).get(f"/staff/rounds/{round_.pk}/offer-day/")
        page = page.content.decode()
    assert 'id="decided">1 of 2' in page
    assert 'id="at-risk">1' in page
    with time_machine.travel(JUST_AFTER_OFFER_DAY, tick=False):
        _release_all(JUST_AFTER_OFFER_DAY)
        status = release_status(round_)
        assert (status.released, status.emails_total, status.emails_pending) == (2, 2, 2)
        page = signed_in(client, officer).get(f"/staff/rounds/{round_.pk}/offer-day/")
        page = page.content.decode()
    assert "2 of 2" in page


@pytest.mark.django_db
def test_families_and_schools_cannot_open_the_officer_page(client: Client) -> None:
    round_ = RoundFactory()
    for role in (Role.PARENT, Role.SCHOOL_CONTACT, Role.PANEL_MEMBER):
        signed_in(client, UserFactory(roles=[role]))
        assert client.get(f"/staff/rounds/{round_.pk}/offer-day/").status_code == 403
        assert client.post(f"/staff/rounds/{round_.pk}/offer-day/rehearse/").status_code == 403


@pytest.mark.django_db
def test_after_release_families_accept_or_appeal_and_the_round_counts_it(client: Client) -> None:
    round_ = RoundFactory()
    accepting = decided_case(round_)
    appealing = decided_case(round_)
    _release_all(JUST_AFTER_OFFER_DAY)
    parent_a, parent_b = UserFactory(roles=[Role.PARENT]), UserFactory(roles=[Role.PARENT])
    accepting.contacts.update(user=parent_a)
    appealing.contacts.update(user=parent_b)
    with time_machine.travel(JUST_AFTER_OFFER_DAY + dt.timedelta(days=1), tick=False):
        signed_in(client, parent_a).post(
            f"/family/{accepting.reference}/outcome/",
            {"answer": "accept", "release": Release.objects.get(case=accepting).pk},
        )
        signed_in(client, parent_b).post(
            f"/family/{appealing.reference}/outcome/",
            {
                "answer": "appeal",
                "wants_independent": "on",
                "release": Release.objects.get(case=appealing).pk,
            },
        )
        signed_in(client, UserFactory(roles=[Role.CASEWORKER]))
        page = client.get(f"/staff/rounds/{round_.pk}/offer-day/").content.decode()
    accepting.refresh_from_db()
    appealing.refresh_from_db()
    assert accepting.state == CaseState.ACCEPTED
    assert appealing.state == CaseState.APPEALED
    assert FamilyResponse.objects.filter(wants_independent=True).count() == 1
    assert 'id="appeals">1 (50.0% of 2 released)' in page
