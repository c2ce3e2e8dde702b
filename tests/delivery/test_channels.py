"""Which ways a message reaches a contact (phasetransfer/core/channels.py): texts go only for
the kinds that are a nudge to sign in, only to a mobile number, only through Notify."""

from __future__ import annotations

from typing import Any

import pytest

from offers.services.release import release_complete, release_due
from phasetransfer.cohort.reminders import reminders_send
from phasetransfer.core.channels import channels_for
from phasetransfer.models import Case, CaseState, Channel, OutboundEmail
from tests.factories import ContactFactory, RoundFactory
from tests.factories.offers import decided_case
from tests.moments import JUST_AFTER_OFFER_DAY, WINDOW_OPEN

pytestmark = pytest.mark.django_db
MOBILE = "07700 900123"


@pytest.fixture
def notify_on(settings: Any) -> None:
    settings.NOTIFY_API_KEY = "test-key"  # never used: nothing is sent in these tests
    settings.NOTIFY_TEMPLATE_EMAIL = "e"
    settings.NOTIFY_TEMPLATE_SMS = "s"


def test_texts_only_for_nudges_to_a_mobile_through_notify(notify_on: None) -> None:
    assert channels_for("offer_day", email="a@example.org", mobile=MOBILE) == ["email", "sms"]
    assert channels_for("reminder", email="", mobile=MOBILE) == ["sms"]
    assert channels_for("consultation", email="a@example.org", mobile=MOBILE) == ["email"]
    assert channels_for("offer_day", email="a@example.org", mobile="") == ["email"]


def test_without_notify_there_are_no_texts(settings: Any) -> None:
    settings.NOTIFY_API_KEY = ""
    assert channels_for("offer_day", email="a@example.org", mobile=MOBILE) == ["email"]


def _release_all() -> None:
    summary = release_due(now=JUST_AFTER_OFFER_DAY)
    for pk in summary.dispatched:
        release_complete(release_id=pk, now=JUST_AFTER_OFFER_DAY)


def test_offer_day_texts_a_family_with_a_mobile_as_well_as_emailing_it(notify_on: None) -> None:
    round_ = RoundFactory()
    texted = decided_case(round_, mobile=MOBILE)
    emailed = decided_case(round_)
    _release_all()
    _release_all()  # a second run queues nothing new
    texts = OutboundEmail.objects.filter(channel=Channel.SMS)
    (text,) = texts
    assert (text.case_id, text.to, text.kind) == (texted.pk, MOBILE, "offer_day")
    assert "Sign in" in text.body
    # No name and no outcome in a text.
    child = Case.objects.get(pk=texted.pk).child
    assert child.first_name not in text.body
    assert "offer" not in text.body.lower()
    assert OutboundEmail.objects.filter(channel=Channel.EMAIL).count() == 2
    assert not texts.filter(case=emailed).exists()


def test_a_reminder_goes_by_text_too(notify_on: None) -> None:
    round_ = RoundFactory()
    contact = ContactFactory(case__round=round_, mobile=MOBILE)
    Case.objects.filter(pk=contact.case_id).update(state=CaseState.INVITED)
    sent = reminders_send(round_=round_, actor=None, now=WINDOW_OPEN)
    assert sent == 1
    (text,) = OutboundEmail.objects.filter(channel=Channel.SMS)
    assert text.kind == "reminder"
    assert text.to == MOBILE
