"""What a family is told is fixed at release; every later change is an amended release that
reaches them exactly once; the moment itself is only moved safely, before it comes."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.test import Client

from offers.models import LetterToPost, OfferDayChange, Release
from offers.selectors import cases_cannot_be_told, release_published
from offers.services.letters import cases_needing_letters, letter_render, offer_day_spec
from offers.services.outcomes import ResponseRefused, family_respond
from offers.services.release import (
    RELEASE_LEASE,
    RELEASE_LEASE_TTL,
    OfferDayRefused,
    offer_day_set,
    release_complete,
    release_due,
)
from panels.models import Decision, Outcome, PanelCase
from panels.services.decisions import (
    DecisionInput,
    DecisionRefused,
    decision_change,
    decision_record,
    session_sign_off,
)
from phasetransfer.core.clock import LONDON
from phasetransfer.core.locks import lease_acquire, lease_release
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, CaseState, Contact, OutboundEmail, Round
from tests.conftest import send_outbox, signed_in
from tests.factories import ContactFactory, RoundFactory, SettingFactory, UserFactory
from tests.factories.offers import decided_case, undecided_case
from tests.factories.panels import chair, session_for
from tests.moments import JUST_AFTER_OFFER_DAY, JUST_BEFORE_OFFER_DAY, OFFER_DAY, WINDOW_OPEN

pytestmark = pytest.mark.django_db

# A week after offer day: mediation agreed a different school.
LATER = OFFER_DAY + dt.timedelta(days=7)


def _release_all(now: dt.datetime) -> int:
    summary = release_due(now=now)
    return sum(release_complete(release_id=pk, now=now) for pk in summary.dispatched)


def _signed_off(case: Case) -> Decision:
    """The case's decision, in a signed-off session it is placed in (as a panel leaves it)."""
    decision = Decision.objects.get(case=case)
    PanelCase.objects.create(session=decision.session, case=case, scheduled_at=WINDOW_OPEN)
    type(decision.session).objects.filter(pk=decision.session_id).update(
        signed_off_at=decision.decided_at, signed_off_by=chair()
    )
    decision.session.refresh_from_db()
    return decision


def _change(decision: Decision, setting_name: str, now: dt.datetime) -> Decision:
    return decision_change(
        decision=decision,
        data=DecisionInput(
            outcome=Outcome.OTHER_SETTING,
            setting=SettingFactory(name=setting_name),
            ground="resources",
            reasons="Mediation agreed this school meets the need.",
            change_reason="Mediation agreed",
        ),
        actor=chair(),
        now=now,
    )


def _offer_emails(case: Case) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind="offer_day", case=case).order_by("pk"))


def test_the_page_pdf_and_api_show_what_was_published_not_the_live_decision(
    client: Client,
) -> None:
    round_ = RoundFactory()
    case = decided_case(round_, setting=SettingFactory(name="First Named School"))
    decision = _signed_off(case)
    parent = UserFactory(roles=[Role.PARENT])
    case.contacts.update(user=parent)
    _release_all(JUST_AFTER_OFFER_DAY)

    # The decision changes after publication; until the amended release, the family is
    # shown exactly what they were told, everywhere.
    _change(decision, "Second Named School", LATER)
    with time_machine.travel(LATER, tick=False):
        signed_in(client, parent)
        page = client.get(f"/family/{case.reference}/outcome/").content.decode()
        pdf = client.get(f"/family/{case.reference}/outcome/letter.pdf").content
    assert "First Named School" in page
    assert "Second Named School" not in page
    published = Release.objects.get(case=case, number=1)
    assert hashlib.sha256(pdf).hexdigest() == published.letter_sha256
    assert published.decision_id == decision.pk


def test_a_changed_decision_is_an_amended_release_with_one_email_and_a_new_dated_letter(
    client: Client, smtp: object
) -> None:
    round_ = RoundFactory()
    case = decided_case(
        round_, setting=SettingFactory(name="First Named School"), case__child__unmistakable=True
    )
    ContactFactory(case=case, is_primary=False, email="second@example.org")
    decision = _signed_off(case)
    parent = UserFactory(roles=[Role.PARENT])
    case.contacts.filter(is_primary=True).update(user=parent)
    _release_all(JUST_AFTER_OFFER_DAY)
    with time_machine.travel(JUST_AFTER_OFFER_DAY, tick=False):
        assert send_outbox() == 2  # one per contact

    changed = _change(decision, "Second Named School", LATER)
    assert Case.objects.get(pk=case.pk).state == CaseState.OFFER_APPROVED
    assert _release_all(LATER) == 1
    # The next minutes' runs find nothing more to tell.
    assert _release_all(LATER + dt.timedelta(minutes=1)) == 0
    assert _release_all(LATER + dt.timedelta(minutes=5)) == 0

    amended = Release.objects.get(case=case, number=2)
    assert amended.decision_id == changed.pk
    assert amended.reason == "The decision has changed."
    assert Case.objects.get(pk=case.pk).state == CaseState.RELEASED
    letter = amended.letter
    assert letter is not None
    assert letter.amended
    assert letter.dated == LATER.astimezone(LONDON).date()
    assert "outcome has changed" in letter.html
    assert "Second Named School" in letter.html
    # The appeal clock runs from the new letter's date.
    assert "19 April 2027" in letter.html  # two months from 19 February 2027
    with time_machine.travel(LATER, tick=False):
        assert send_outbox() == 2  # one more per contact, exactly once
        assert send_outbox() == 0
    changed_emails = [r for r in smtp.received if "has changed" in r.message["Subject"]]
    assert sorted(r.envelope_to[0] for r in changed_emails) == sorted(
        c.email for c in case.contacts.all()
    )
    for received in changed_emails:
        assert case.child.last_name not in received.body
        assert "Second Named School" not in received.body  # no outcome in an email

    with time_machine.travel(LATER, tick=False):
        signed_in(client, parent)
        page = client.get(f"/family/{case.reference}/outcome/").content.decode()
        first = client.get(f"/family/{case.reference}/outcome/letters/1.pdf").content
        latest = client.get(f"/family/{case.reference}/outcome/letter.pdf").content
    assert "Second Named School" in page
    assert "outcome changed on 19 February 2027" in page
    assert "What we told you before" in page
    assert "First Named School" in page
    assert (
        hashlib.sha256(first).hexdigest() == Release.objects.get(case=case, number=1).letter_sha256
    )
    assert hashlib.sha256(latest).hexdigest() == amended.letter_sha256


def test_a_case_told_no_decision_yet_and_decided_after_offer_day_is_told_once_more() -> None:
    round_ = RoundFactory()
    session = session_for(round_)
    type(session).objects.filter(pk=session.pk).update(starts_at=LATER - dt.timedelta(hours=2))
    case = undecided_case(round_, CaseState.AT_PANEL)
    panel_case = PanelCase.objects.create(session=session, case=case, scheduled_at=WINDOW_OPEN)
    _release_all(JUST_AFTER_OFFER_DAY)
    case.refresh_from_db()
    assert case.state == CaseState.NO_DECISION_YET
    assert Release.objects.get(case=case).kind == "no_decision"

    # The panel sits after offer day, decides and signs off: the family is told again.
    decision_record(
        panel_case=panel_case,
        data=DecisionInput(outcome=Outcome.OTHER_SETTING, setting=SettingFactory(), reasons="x"),
        actor=chair(),
        now=LATER,
    )
    session.refresh_from_db()
    assert session_sign_off(session=session, actor=chair(), now=LATER) == 1
    assert _release_all(LATER) == 1
    amended = Release.objects.get(case=case, number=2)
    assert amended.kind == "offer"
    assert amended.reason.startswith("A decision has been made")
    assert Case.objects.get(pk=case.pk).state == CaseState.RELEASED
    assert len(_offer_emails(case)) == 2


def test_between_the_moment_and_publication_no_decision_of_the_round_changes() -> None:
    round_ = RoundFactory()
    case = decided_case(round_)
    decision = _signed_off(case)
    waiting = undecided_case(round_, CaseState.AT_PANEL)
    later_session = type(decision.session).objects.create(
        round=round_,
        send_area="West",
        starts_at=OFFER_DAY - dt.timedelta(hours=2),
        place="Sessions House, Maidstone",
        chair=chair(),
    )
    panel_case = PanelCase.objects.create(
        session=later_session, case=waiting, scheduled_at=WINDOW_OPEN
    )
    summary = release_due(now=JUST_AFTER_OFFER_DAY)  # created, not yet published
    with pytest.raises(DecisionRefused, match="families are being told"):
        _change(decision, "Too Late School", JUST_AFTER_OFFER_DAY)
    with pytest.raises(DecisionRefused, match="families are being told"):
        decision_record(
            panel_case=panel_case,
            data=DecisionInput(
                outcome=Outcome.OTHER_SETTING, setting=SettingFactory(), reasons="x"
            ),
            actor=chair(),
            now=JUST_AFTER_OFFER_DAY,
        )
    with pytest.raises(DecisionRefused, match="families are being told"):
        session_sign_off(session=later_session, actor=chair(), now=JUST_AFTER_OFFER_DAY)
    for pk in summary.dispatched:
        release_complete(release_id=pk, now=JUST_AFTER_OFFER_DAY)
    round_.refresh_from_db()
    assert round_.offer_day_published_at == JUST_AFTER_OFFER_DAY
    _change(decision, "Now Allowed School", LATER)  # every family told: changes go ahead


def test_a_late_letter_render_publishes_the_decision_as_it_is_at_release() -> None:
    """A decision changed just before the moment: the letter rendered ahead is out of date,
    and the release renders the right one, so the page and the PDF cannot disagree."""
    round_ = RoundFactory()
    case = decided_case(round_, setting=SettingFactory(name="Before"))
    decision = _signed_off(case)
    ahead = letter_render(case=case, spec=offer_day_spec(case), now=OFFER_DAY - dt.timedelta(1))
    changed = _change(decision, "After", JUST_BEFORE_OFFER_DAY)
    _release_all(JUST_AFTER_OFFER_DAY)
    release = Release.objects.get(case=case)
    assert release.decision_id == changed.pk
    assert release.letter_id != ahead.pk
    assert release.letter is not None
    assert "After" in release.letter.html


def test_letters_rendered_for_an_old_offer_day_are_made_again_when_it_moves() -> None:
    round_ = RoundFactory()
    case = decided_case(round_)
    letter_render(case=case, spec=offer_day_spec(case), now=WINDOW_OPEN)
    assert cases_needing_letters(round_.pk) == []
    new_day = OFFER_DAY - dt.timedelta(days=3)
    offer_day_set(round_=round_, at=new_day, actor=None, now=WINDOW_OPEN)
    case.refresh_from_db()
    assert cases_needing_letters(round_.pk) == [case.pk]
    again = letter_render(case=case, spec=offer_day_spec(case), now=WINDOW_OPEN)
    assert again.dated == new_day.astimezone(LONDON).date()
    assert "12 February 2027" not in again.html.split("Our reference")[0]


def test_offer_day_moves_only_before_the_moment_never_under_the_release_job_and_is_audited() -> (
    None
):
    round_ = RoundFactory()
    officer = UserFactory(roles=[Role.PANEL_CHAIR])
    earlier = OFFER_DAY - dt.timedelta(days=1)
    offer_day_set(round_=round_, at=earlier, actor=officer, now=WINDOW_OPEN)
    change = OfferDayChange.objects.get(round=round_)
    assert (change.changed_by, change.from_at, change.to_at) == (officer, OFFER_DAY, earlier)

    token = lease_acquire(name=RELEASE_LEASE, ttl=RELEASE_LEASE_TTL)
    assert token is not None
    with pytest.raises(OfferDayRefused, match="being released right now"):
        offer_day_set(round_=round_, at=OFFER_DAY, actor=officer, now=WINDOW_OPEN)
    lease_release(name=RELEASE_LEASE, token=token)

    # The moment has passed (no release made yet): it cannot move, forwards or back.
    with pytest.raises(OfferDayRefused, match="already begun"):
        offer_day_set(round_=round_, at=LATER, actor=officer, now=earlier + dt.timedelta(1))
    round_.refresh_from_db()
    assert round_.offer_day_at == earlier
    assert OfferDayChange.objects.filter(round=round_).count() == 1


def test_the_offer_day_form_saves_the_values_it_shows(client: Client) -> None:
    round_ = RoundFactory(offer_day_at=dt.datetime(2027, 2, 12, 16, 0, tzinfo=LONDON))
    officer = UserFactory(roles=[Role.CASEWORKER])
    with time_machine.travel(WINDOW_OPEN, tick=False):
        page = signed_in(client, officer).get(f"/staff/rounds/{round_.pk}/offer-day/")
        shown = dict(re.findall(r'name="(day|time)"[^>]*value="([^"]*)"', page.content.decode()))
        assert shown == {"day": "2027-02-12", "time": "16:00"}
        saved = client.post(f"/staff/rounds/{round_.pk}/offer-day/moment/", shown)
    assert saved.status_code == 302
    round_.refresh_from_db()
    assert round_.offer_day_at == dt.datetime(2027, 2, 12, 16, 0, tzinfo=LONDON)


def test_co_ordinators_read_the_offer_day_page_but_cannot_move_the_moment(client: Client) -> None:
    round_ = RoundFactory()
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    with time_machine.travel(WINDOW_OPEN, tick=False):
        signed_in(client, coordinator)
        page = client.get(f"/staff/rounds/{round_.pk}/offer-day/").content.decode()
        assert "Save offer day" not in page
        refused = client.post(
            f"/staff/rounds/{round_.pk}/offer-day/moment/", {"day": "2027-02-10", "time": "09:00"}
        )
    assert refused.status_code == 403
    round_.refresh_from_db()
    assert round_.offer_day_at == OFFER_DAY


def test_the_admin_cannot_set_offer_day(client: Client) -> None:
    round_ = RoundFactory()
    admin = UserFactory(roles=[Role.CASEWORKER], is_staff=True)
    with time_machine.travel(WINDOW_OPEN, tick=False):
        signed_in(client, admin)
        form = client.get(f"/admin/phasetransfer/round/{round_.pk}/change/").content.decode()
    assert 'name="offer_day_at' not in form  # shown read-only, not as an input


def test_the_api_gives_no_early_signal_and_then_the_published_record(client: Client) -> None:
    round_ = RoundFactory()
    approved = decided_case(round_)
    undecided_case(round_, CaseState.AT_PANEL)
    staff = UserFactory(roles=[Role.CASEWORKER])
    with time_machine.travel(JUST_BEFORE_OFFER_DAY, tick=False):
        signed_in(client, staff)
        body = client.get("/api/v1/offers/").json()
        filtered = client.get("/api/v1/offers/?state=offer_approved").json()
    assert {item["state"] for item in body["results"]} == {None}
    assert filtered["count"] == 0  # the filter cannot pick out the offers
    _release_all(JUST_AFTER_OFFER_DAY)
    with time_machine.travel(JUST_AFTER_OFFER_DAY, tick=False):
        body = client.get("/api/v1/offers/").json()
    item = next(i for i in body["results"] if i["case"] == approved.reference)
    published = Release.objects.get(case=approved)
    assert (item["state"], item["release_number"]) == ("released", 1)
    assert item["letter"]["sha256"] == published.letter_sha256


def test_every_contact_is_told_once_and_who_cannot_be_told_is_listed() -> None:
    round_ = RoundFactory()
    two = decided_case(round_)
    ContactFactory(case=two, is_primary=False, email="other@example.org")
    by_post = decided_case(round_, email="")  # an address, no email
    nobody = decided_case(round_)
    Contact.objects.filter(case=nobody).delete()  # the database refuses a contact with neither
    no_contact = undecided_case(round_)
    Contact.objects.filter(case=no_contact).delete()

    assert set(cases_cannot_be_told(round_)) == {nobody, no_contact}
    _release_all(JUST_AFTER_OFFER_DAY)
    assert len(_offer_emails(two)) == 2
    assert LetterToPost.objects.filter(release__case=by_post).count() == 1
    assert not _offer_emails(nobody)
    assert not _offer_emails(no_contact)
    assert set(cases_cannot_be_told(round_)) == {nobody, no_contact}  # still to resolve

    # A contact added after release is told by the next run, once.
    ContactFactory(case=no_contact, email="found@example.org")
    summary = release_due(now=LATER)
    assert summary.contacts_added == 1
    assert release_due(now=LATER + dt.timedelta(minutes=1)).contacts_added == 0
    assert [e.to for e in _offer_emails(no_contact)] == ["found@example.org"]
    assert no_contact not in set(cases_cannot_be_told(round_))


def test_an_answer_to_an_offer_that_has_since_changed_is_refused() -> None:
    round_ = RoundFactory()
    case = decided_case(round_)
    decision = _signed_off(case)
    parent = UserFactory(roles=[Role.PARENT])
    _release_all(JUST_AFTER_OFFER_DAY)
    first = Release.objects.get(case=case)
    _change(decision, "Changed School", LATER)
    with pytest.raises(ResponseRefused, match="being updated"):
        family_respond(case=case, release=first, actor=parent, answer="accept", now=LATER)
    _release_all(LATER)
    with pytest.raises(ResponseRefused, match="has changed since you opened"):
        family_respond(case=case, release=first, actor=parent, answer="accept", now=LATER)
    latest = release_published(case)
    assert latest is not None
    assert latest.number == 2
    family_respond(case=case, release=latest, actor=parent, answer="accept", now=LATER)
    assert Case.objects.get(pk=case.pk).state == CaseState.ACCEPTED


def test_a_case_arriving_after_offer_day_gets_its_first_release_dated_that_day() -> None:
    round_: Round = RoundFactory()
    decided_case(round_)
    _release_all(JUST_AFTER_OFFER_DAY)
    late = undecided_case(round_, CaseState.CONSULTING)
    _release_all(LATER)
    release = Release.objects.get(case=late)
    assert release.number == 1
    assert release.released_at == LATER
    assert release.letter is not None
    assert release.letter.dated == LATER.astimezone(LONDON).date()
