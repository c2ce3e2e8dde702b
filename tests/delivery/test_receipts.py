"""GOV.UK Notify's delivery receipts: the callback's bearer token, the statuses it records,
and the caseworker's list of messages that did not arrive."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client

from phasetransfer.core import clock
from phasetransfer.core.roles import Role
from phasetransfer.models import Channel, DeliveryStatus, EmailStatus, OutboundEmail
from tests.conftest import signed_in
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/notify/delivery-status/"
TOKEN = "a-long-random-token-the-council-set-in-notify"


@pytest.fixture(autouse=True)
def _token(settings: Any) -> None:
    settings.NOTIFY_CALLBACK_TOKEN = TOKEN


def _sent(kind: str = "reminder", channel: str = Channel.EMAIL) -> OutboundEmail:
    now = clock.now()
    return OutboundEmail.objects.create(
        key=f"{kind}:{uuid.uuid4()}",
        kind=kind,
        channel=channel,
        to="family@example.org" if channel == Channel.EMAIL else "07700900123",
        subject="s",
        body="b",
        case=CaseFactory(),
        status=EmailStatus.SENT,
        sent_at=now,
        created_at=now,
        next_attempt_at=now,
        notify_id=uuid.uuid4(),
        delivery_status=DeliveryStatus.CREATED,
    )


def _receipt(message: OutboundEmail, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(message.notify_id),
        "reference": message.key,
        "to": message.to,
        "status": status,
        "created_at": "2026-12-02T10:00:00.000000Z",
        "completed_at": "2026-12-02T10:00:05.000000Z",
        "sent_at": "2026-12-02T10:00:01.000000Z",
        "notification_type": message.channel,
        **extra,
    }


def _post(client: Client, body: object, token: str | None = TOKEN) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return client.post(URL, data=json.dumps(body), content_type="application/json", **headers)


def test_a_receipt_with_the_councils_token_is_recorded(client: Client) -> None:
    message = _sent()
    response = _post(client, _receipt(message, "permanent-failure"))
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.PERMANENT_FAILURE
    assert message.delivery_updated_at is not None


@pytest.mark.parametrize("token", [None, "wrong", ""], ids=["missing", "wrong", "empty"])
def test_a_receipt_without_the_right_token_changes_nothing(
    client: Client, token: str | None
) -> None:
    message = _sent()
    response = _post(client, _receipt(message, "permanent-failure"), token=token)
    assert response.status_code == 401
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.CREATED


def test_no_token_configured_refuses_every_receipt(client: Client, settings: Any) -> None:
    settings.NOTIFY_CALLBACK_TOKEN = ""
    message = _sent()
    assert _post(client, _receipt(message, "delivered"), token="").status_code == 401


def test_bad_receipts_are_refused_with_a_reason(client: Client) -> None:
    message = _sent()
    assert _post(client, _receipt(message, "exploded")).status_code == 400
    assert _post(client, {**_receipt(message, "delivered"), "id": "not-a-uuid"}).status_code == 400
    assert _post(client, ["not", "an", "object"]).status_code == 400
    unknown = {**_receipt(message, "delivered"), "id": str(uuid.uuid4()), "reference": "x"}
    assert _post(client, unknown).status_code == 404
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.CREATED
    assert client.get(URL).status_code == 405


def test_a_late_sending_receipt_does_not_undo_a_final_status(client: Client) -> None:
    message = _sent()
    _post(client, _receipt(message, "delivered"))
    _post(client, _receipt(message, "sending"))  # Notify retries: out of order
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.DELIVERED


def test_a_receipt_finds_its_message_by_reference_when_the_id_was_never_heard(
    client: Client,
) -> None:
    """The attempt that created it lost Notify's answer: the key (the reference) finds it."""
    message = _sent()
    OutboundEmail.objects.filter(pk=message.pk).update(notify_id=None)
    new_id = uuid.uuid4()
    body = {**_receipt(message, "temporary-failure"), "id": str(new_id)}
    assert _post(client, body).status_code == 200
    message.refresh_from_db()
    assert (message.notify_id, message.delivery_status) == (new_id, "temporary-failure")


def test_the_caseworker_sees_whose_messages_did_not_arrive(client: Client) -> None:
    bounced = _sent()
    text = _sent(channel=Channel.SMS)
    arrived = _sent()
    for message, status in ((bounced, "permanent-failure"), (text, "temporary-failure")):
        _post(client, _receipt(message, status))
    _post(client, _receipt(arrived, "delivered"))
    worker = UserFactory(roles=[Role.CASEWORKER])
    rounds = {m.case.round_id for m in (bounced, text, arrived)}
    seen: set[str] = set()
    for round_id in rounds:
        html = signed_in(client, worker).get(f"/staff/rounds/{round_id}/undelivered/")
        seen |= {
            m.case.reference
            for m in (bounced, text, arrived)
            if m.case.reference in html.content.decode()
        }
    assert seen == {bounced.case.reference, text.case.reference}


def test_families_cannot_see_the_undelivered_list(client: Client) -> None:
    message = _sent()
    parent = UserFactory(roles=[Role.PARENT])
    response = signed_in(client, parent).get(f"/staff/rounds/{message.case.round_id}/undelivered/")
    assert response.status_code == 403


def test_the_board_counts_the_messages_that_did_not_arrive(client: Client) -> None:
    message = _sent()
    _post(client, _receipt(message, "permanent-failure"))
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    html = (
        signed_in(client, coordinator)
        .get(f"/staff/rounds/{message.case.round_id}/progress/")
        .content.decode()
    )
    assert "Messages that did not arrive (1)" in html


def test_the_case_page_shows_each_messages_delivery(client: Client) -> None:
    message = _sent(channel=Channel.SMS)
    _post(client, _receipt(message, "temporary-failure"))
    worker = UserFactory(roles=[Role.CASEWORKER])
    html = signed_in(client, worker).get(f"/staff/cases/{message.case.reference}/").content
    assert "Not delivered: inbox full or phone off" in html.decode()
    assert "Text message: Reminder to name schools" in html.decode()
