"""Offer day through GOV.UK Notify (the fake on loopback): emails, texts and precompiled
letters, each once, and the officer's page counting the letters Notify prints and posts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from offers.models import LetterToPost
from offers.services.letter_spec import check_precompiled
from offers.services.release import release_complete, release_due
from phasetransfer.core.outbox import email_send
from phasetransfer.core.roles import Role
from phasetransfer.models import Channel, EmailStatus, OutboundEmail
from tests.conftest import signed_in
from tests.factories import RoundFactory, UserFactory
from tests.factories.offers import decided_case
from tests.fakes.notify import FakeNotify
from tests.moments import JUST_AFTER_OFFER_DAY

pytestmark = pytest.mark.django_db
MOBILE = "07700 900456"
TOKEN = "callback-token-for-the-test"


@pytest.fixture
def notify(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeNotify]:
    with FakeNotify() as fake:
        values: dict[str, Any] = {
            "NOTIFY_API_KEY": fake.api_key("phase-transfer"),
            "NOTIFY_BASE_URL": fake.base_url,
            "NOTIFY_TEMPLATE_EMAIL": fake.register_template(
                None, "email", "((subject))", "((body))"
            ),
            "NOTIFY_TEMPLATE_SMS": fake.register_template(None, "sms", None, "((body))"),
            "NOTIFY_CALLBACK_TOKEN": TOKEN,
        }
        for name, value in values.items():
            monkeypatch.setattr(settings, name, value)
        yield fake


def _offer_day() -> None:
    for _ in range(2):  # the every-minute job runs again: nothing new
        summary = release_due(now=JUST_AFTER_OFFER_DAY)
        for pk in summary.dispatched:
            release_complete(release_id=pk, now=JUST_AFTER_OFFER_DAY)
    for _ in range(2):  # workers send what is due, twice over
        for pk in OutboundEmail.objects.values_list("pk", flat=True):
            email_send(email_id=pk, now=JUST_AFTER_OFFER_DAY)


def test_offer_day_goes_by_email_text_and_posted_letter_each_once(
    notify: FakeNotify, client: Client
) -> None:
    round_ = RoundFactory()
    decided_case(round_)  # email only
    decided_case(round_, mobile=MOBILE)  # email and a text
    by_post = decided_case(round_, email="", postcode="ME15 6LX")  # a letter Notify posts
    _offer_day()

    kinds = sorted(n["type"] for n in notify.notifications)
    assert kinds == ["email", "email", "letter", "sms"]
    assert len({n["reference"] for n in notify.notifications}) == 4
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {EmailStatus.SENT}
    (letter,) = [n for n in notify.notifications if n["type"] == "letter"]
    assert letter["pdf"].startswith(b"%PDF")
    assert check_precompiled(letter["pdf"]) == []  # Notify's precompiled-letter rules
    row = OutboundEmail.objects.get(channel=Channel.LETTER)
    assert row.case_id == by_post.pk
    assert bytes(row.attachment or b"") == letter["pdf"]
    assert LetterToPost.objects.count() == 0  # Notify posts it: no print batch

    # Notify reports the letter posted; the officer's page counts it.
    notify.set_status(letter["id"], "received")
    receipt = {
        "id": letter["id"],
        "reference": row.key,
        "to": row.to,
        "status": "received",
        "created_at": "2027-02-12T16:00:01.000000Z",
        "completed_at": "2027-02-13T09:00:00.000000Z",
        "sent_at": "2027-02-12T16:00:02.000000Z",
        "notification_type": "letter",
    }
    response = client.post(
        "/notify/delivery-status/",
        data=json.dumps(receipt),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
    )
    assert response.status_code == 200
    officer = UserFactory(roles=[Role.CASEWORKER])
    with time_machine.travel(JUST_AFTER_OFFER_DAY, tick=False):
        page = signed_in(client, officer).get(f"/staff/rounds/{round_.pk}/offer-day/")
    html = page.content.decode()
    assert "Letters handed to GOV.UK Notify to print and post" in html
    assert 'id="notify-letters">1, of which posted: 1<' in html
