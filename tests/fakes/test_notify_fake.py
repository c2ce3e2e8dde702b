"""The Notify fake, driven as the project drives Notify: through the official Python client.

Where a case needs a request the client cannot make (a hand-made token, no header), it goes
through ``requests`` directly.
"""

from __future__ import annotations

import base64
import io
import re
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import pytest
import requests
from notifications_python_client.errors import HTTP503Error, HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from tests.fakes.notify import FakeNotify

EMAIL_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"
SMS_TEMPLATE = "0c2b9a8e-4c1f-4e5a-9d7e-6a2a7f0c3b11"
LETTER_TEMPLATE = "7d3c1f0e-8a55-4e0b-a2b6-0f4f3f5a9c22"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
NOTIFY_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture
def fake() -> Iterator[FakeNotify]:
    with FakeNotify() as notify:
        notify.register_template(
            EMAIL_TEMPLATE, "email", "Your offer, ((name))", "Dear ((name)),\n\nSee ((link))."
        )
        notify.register_template(SMS_TEMPLATE, "sms", None, "Hi ((name)), your code is ((code))")
        notify.register_template(
            LETTER_TEMPLATE, "letter", "Offer for ((name))", "Dear ((name)), here it is."
        )
        yield notify
        assert notify.unexpected_errors == []


@pytest.fixture
def notify_client(fake: FakeNotify) -> NotificationsAPIClient:
    return NotificationsAPIClient(fake.api_key(), base_url=fake.base_url, timeout=5)


def _send_email(client: NotificationsAPIClient, reference: str = "ref-1") -> dict[str, Any]:
    return client.send_email_notification(
        email_address="parent@example.org",
        template_id=EMAIL_TEMPLATE,
        personalisation={"name": "Amala", "link": "https://example.org/offer"},
        reference=reference,
    )


def _token(
    secret: str, iss: Any, *, iat: float | None = None, algorithm: str = "HS256", **claims: Any
) -> str:
    payload = {"iss": iss, "iat": int(time.time() if iat is None else iat), **claims}
    return jwt.encode(payload, secret, algorithm=algorithm, headers={"typ": "JWT"})


def _secret(api_key: str) -> str:
    return api_key[-36:]


def _get(fake: FakeNotify, token: str | None, path: str = "/v2/notifications") -> requests.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return requests.get(fake.base_url + path, headers=headers, timeout=5)


def _errors(error: HTTPError) -> list[dict[str, str]]:
    assert error.response is not None
    body = error.response.json()
    assert body["status_code"] == error.status_code
    return body["errors"]


# -- sending -----------------------------------------------------------------------------------


def test_an_email_comes_back_as_notify_documents_it(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    response = _send_email(notify_client)

    notification_id = response["id"]
    assert uuid.UUID(notification_id)
    assert response["reference"] == "ref-1"
    assert response["content"] == {
        "from_email": fake.email_from,
        "subject": "Your offer, Amala",
        "body": "Dear Amala,\n\nSee https://example.org/offer.",
        "one_click_unsubscribe_url": None,
    }
    assert response["uri"] == f"{fake.base_url}/v2/notifications/{notification_id}"
    assert response["template"]["id"] == EMAIL_TEMPLATE
    assert response["template"]["version"] == 1
    assert response["template"]["uri"].endswith(f"/templates/{EMAIL_TEMPLATE}")

    [stored] = fake.notifications
    assert stored["id"] == notification_id
    assert stored["to"] == "parent@example.org"
    assert stored["status"] == "created"
    assert stored["personalisation"] == {"name": "Amala", "link": "https://example.org/offer"}

    got = notify_client.get_notification_by_id(notification_id)
    assert got["email_address"] == "parent@example.org"
    assert got["phone_number"] is None
    assert got["type"] == "email"
    assert got["status"] == "created"
    assert got["subject"] == "Your offer, Amala"
    assert got["body"] == response["content"]["body"]
    assert NOTIFY_TIME.match(got["created_at"])
    assert got["sent_at"] is None
    assert got["completed_at"] is None
    assert got["template"] == {
        "id": EMAIL_TEMPLATE,
        "version": 1,
        "uri": f"{fake.base_url}/v2/template/{EMAIL_TEMPLATE}/version/1",
    }


def test_a_text_message_comes_back_as_notify_documents_it(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    response = notify_client.send_sms_notification(
        phone_number="07700 900123",
        template_id=SMS_TEMPLATE,
        personalisation={"name": "Amala", "code": 1234},
        reference="sms-1",
    )

    assert response["content"] == {"from_number": "GOVUK", "body": "Hi Amala, your code is 1234"}
    assert response["reference"] == "sms-1"
    [stored] = fake.notifications
    assert stored["normalised_to"] == "447700900123"
    got = notify_client.get_notification_by_id(response["id"])
    assert got["phone_number"] == "07700 900123"
    assert got["type"] == "sms"
    assert got["subject"] is None


@pytest.mark.parametrize(
    "number",
    [
        "07700900123",
        "+447700900123",
        "+44 7700 900 123",
        "+44 (0)7700 900123",
        "0044 7700 900123",
        "447700900123",
        "(07700) 900-123",
    ],
)
def test_uk_mobile_numbers_in_their_usual_shapes_are_taken(
    notify_client: NotificationsAPIClient, number: str
) -> None:
    notify_client.send_sms_notification(number, SMS_TEMPLATE, {"name": "A", "code": "1"})


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("020 7946 0000", "phone_number Not a UK mobile number"),
        ("07700 9001", "phone_number Not enough digits"),
        ("07700 900123 4", "phone_number Too many digits"),
        ("07700 9OO123", "phone_number Must not contain letters or symbols"),
    ],
)
def test_numbers_that_are_not_uk_mobiles_are_refused(
    fake: FakeNotify, notify_client: NotificationsAPIClient, number: str, message: str
) -> None:
    with pytest.raises(HTTPError) as raised:
        notify_client.send_sms_notification(number, SMS_TEMPLATE, {"name": "A", "code": "1"})

    assert raised.value.status_code == 400
    assert _errors(raised.value) == [{"error": "ValidationError", "message": message}]
    assert fake.notifications == []


def test_international_numbers_need_the_service_to_allow_them(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    with pytest.raises(HTTPError) as raised:
        notify_client.send_sms_notification(
            "+1 202 555 0143", SMS_TEMPLATE, {"name": "A", "code": 1}
        )
    assert _errors(raised.value) == [
        {"error": "BadRequestError", "message": "Cannot send to international mobile numbers"}
    ]

    fake.allow_international_sms = True
    notify_client.send_sms_notification("+1 202 555 0143", SMS_TEMPLATE, {"name": "A", "code": 1})
    assert fake.notifications[0]["normalised_to"] == "12025550143"


def test_a_text_message_over_918_characters_is_refused(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    # "Hi " + 900 + ", your code is " + "1": 919 characters, one over.
    with pytest.raises(HTTPError) as raised:
        notify_client.send_sms_notification(
            "07700900123", SMS_TEMPLATE, {"name": "A" * 900, "code": "1"}
        )

    assert raised.value.status_code == 400
    assert _errors(raised.value) == [
        {
            "error": "BadRequestError",
            "message": "Your message is too long. Text messages cannot be longer than 918 "
            "characters. Your message is 919 characters long.",
        }
    ]
    notify_client.send_sms_notification("07700900123", SMS_TEMPLATE, {"name": "A", "code": "1"})


def test_a_precompiled_letter_keeps_its_pdf(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    response = notify_client.send_precompiled_letter_notification(
        reference="letter-1", pdf_file=io.BytesIO(PDF), postage="first"
    )

    assert set(response) == {"id", "reference", "postage"}
    assert response["reference"] == "letter-1"
    assert response["postage"] == "first"
    [stored] = fake.notifications
    assert stored["pdf"] == PDF
    assert stored["precompiled"] is True

    got = notify_client.get_notification_by_id(response["id"])
    assert got["type"] == "letter"
    assert got["status"] == "pending-virus-check"
    assert got["line_1"] == "Provided as PDF"
    assert got["subject"] == "Pre-compiled PDF"
    assert got["postage"] == "first"

    # Notify serves the PDF only once its virus scan has passed.
    with pytest.raises(HTTPError) as raised:
        notify_client.get_pdf_for_letter(response["id"])
    assert _errors(raised.value) == [
        {"error": "PDFNotReadyError", "message": "PDF not available yet, try again later"}
    ]
    fake.set_status(response["id"], "accepted")
    assert notify_client.get_pdf_for_letter(response["id"]).read() == PDF


def test_a_precompiled_letter_goes_second_class_unless_told(
    notify_client: NotificationsAPIClient,
) -> None:
    response = notify_client.send_precompiled_letter_notification("letter-2", io.BytesIO(PDF))
    assert response["postage"] == "second"


def test_a_precompiled_letter_must_be_a_pdf(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    with pytest.raises(HTTPError) as raised:
        notify_client.send_precompiled_letter_notification("l", io.BytesIO(b"Hello, not a PDF"))

    assert raised.value.status_code == 400
    assert _errors(raised.value) == [
        {"error": "BadRequestError", "message": "Letter content is not a valid PDF"}
    ]
    assert fake.notifications == []


def test_a_precompiled_letter_needs_a_reference_and_known_postage(fake: FakeNotify) -> None:
    token = _token(_secret(fake.api_key()), fake.service_id)
    content = base64.b64encode(PDF).decode()
    response = requests.post(
        f"{fake.base_url}/v2/notifications/letter",
        json={"content": content, "postage": "express"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "error": "ValidationError",
            "message": "postage invalid. It must be either first, second or economy.",
        },
        {"error": "ValidationError", "message": "reference is a required property"},
    ]


def test_a_team_key_cannot_send_letters(fake: FakeNotify) -> None:
    client = NotificationsAPIClient(fake.api_key("team", "team"), base_url=fake.base_url)

    with pytest.raises(HTTPError) as raised:
        client.send_precompiled_letter_notification("l", io.BytesIO(PDF))

    assert raised.value.status_code == 403
    assert _errors(raised.value) == [
        {"error": "BadRequestError", "message": "Cannot send letters with a team api key"}
    ]


def test_a_letter_from_a_template_needs_a_postal_address(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    with pytest.raises(HTTPError) as raised:
        notify_client.send_letter_notification(
            LETTER_TEMPLATE,
            {"name": "Amala", "address_line_1": "A Parent", "address_line_2": "1 High St"},
        )
    assert _errors(raised.value) == [
        {"error": "ValidationError", "message": "Address must be at least 3 lines"}
    ]

    response = notify_client.send_letter_notification(
        LETTER_TEMPLATE,
        {
            "name": "Amala",
            "address_line_1": "A Parent",
            "address_line_2": "1 High St",
            "postcode": "SW1A 1AA",
        },
        reference="templated-1",
    )
    assert response["content"] == {"subject": "Offer for Amala", "body": "Dear Amala, here it is."}
    got = notify_client.get_notification_by_id(response["id"])
    assert (got["line_1"], got["line_2"], got["postcode"]) == ("A Parent", "1 High St", "SW1A 1AA")
    assert got["status"] == "accepted"


def test_personalisation_matches_placeholders_as_notify_does(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    template = fake.register_template(
        None, "email", "Hello ((First name))", "((show extra??Extra text. ))((List))"
    )

    response = notify_client.send_email_notification(
        "a@example.org",
        template,
        {"first_name": "Amala", "SHOW_EXTRA": "yes", "list": ["one", "two"]},
    )

    assert response["content"]["subject"] == "Hello Amala"
    assert response["content"]["body"] == "Extra text. \n\n* one\n* two"


# -- refusals ----------------------------------------------------------------------------------


def test_missing_personalisation_is_refused(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    with pytest.raises(HTTPError) as raised:
        notify_client.send_email_notification("a@example.org", EMAIL_TEMPLATE, {"name": "Amala"})

    assert raised.value.status_code == 400
    assert _errors(raised.value) == [
        {"error": "BadRequestError", "message": "Missing personalisation: link"}
    ]
    assert fake.notifications == []


def test_an_unknown_template_is_refused(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    with pytest.raises(HTTPError) as raised:
        notify_client.send_email_notification("a@example.org", str(uuid.uuid4()))

    assert raised.value.status_code == 400
    assert _errors(raised.value) == [{"error": "BadRequestError", "message": "Template not found"}]


def test_a_template_of_another_type_is_refused(notify_client: NotificationsAPIClient) -> None:
    with pytest.raises(HTTPError) as raised:
        notify_client.send_email_notification("a@example.org", SMS_TEMPLATE)

    assert _errors(raised.value) == [
        {
            "error": "BadRequestError",
            "message": "sms template is not suitable for email notification",
        }
    ]


def test_schema_problems_are_all_reported_at_once(notify_client: NotificationsAPIClient) -> None:
    with pytest.raises(HTTPError) as raised:
        notify_client.post(
            "/v2/notifications/email",
            {"email_address": "not-an-email", "template_id": "nope", "colour": "blue"},
        )

    assert raised.value.status_code == 400
    assert [error["message"] for error in _errors(raised.value)] == [
        "email_address Not a valid email address",
        "template_id is not a valid UUID",
        "Additional properties are not allowed (colour was unexpected)",
    ]


def test_a_body_that_is_not_json_is_refused(fake: FakeNotify) -> None:
    token = _token(_secret(fake.api_key()), fake.service_id)
    response = requests.post(
        f"{fake.base_url}/v2/notifications/email",
        data=b"{not json",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"error": "BadRequestError", "message": "Invalid JSON supplied in POST data"}
    ]


def test_a_reply_to_address_must_have_been_set_up(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    unknown = str(uuid.uuid4())
    with pytest.raises(HTTPError) as raised:
        notify_client.send_email_notification(
            "a@example.org",
            EMAIL_TEMPLATE,
            {"name": "A", "link": "L"},
            email_reply_to_id=unknown,
        )
    assert _errors(raised.value)[0]["message"] == (
        f"email_reply_to_id {unknown} does not exist in database for service id {fake.service_id}"
    )

    known = fake.add_email_reply_to("admissions@example.gov.uk")
    notify_client.send_email_notification(
        "a@example.org", EMAIL_TEMPLATE, {"name": "A", "link": "L"}, email_reply_to_id=known
    )
    assert fake.notifications[0]["reply_to"] == "admissions@example.gov.uk"


# -- authentication ----------------------------------------------------------------------------


def test_a_token_made_by_hand_as_notify_documents_it_is_accepted(fake: FakeNotify) -> None:
    response = _get(fake, _token(_secret(fake.api_key()), fake.service_id))
    assert response.status_code == 200
    assert response.json()["notifications"] == []


def test_a_token_signed_with_the_wrong_secret_is_refused(fake: FakeNotify) -> None:
    fake.api_key()
    response = _get(fake, _token(str(uuid.uuid4()), fake.service_id))

    assert response.status_code == 403
    assert response.json() == {
        "status_code": 403,
        "errors": [{"error": "AuthError", "message": "Invalid token: API key not found"}],
    }


def test_an_api_key_for_another_service_is_refused_through_the_client(fake: FakeNotify) -> None:
    client = NotificationsAPIClient(
        f"other-{uuid.uuid4()}-{uuid.uuid4()}", base_url=fake.base_url, timeout=5
    )

    with pytest.raises(HTTPError) as raised:
        _send_email(client)

    assert raised.value.status_code == 403
    assert _errors(raised.value) == [
        {"error": "AuthError", "message": "Invalid token: service not found"}
    ]


@pytest.mark.parametrize(
    ("iss", "message"),
    [
        (str(uuid.uuid4()), "Invalid token: service not found"),
        ("not-a-service-id", "Invalid token: service id is not the right data type"),
    ],
)
def test_a_token_with_the_wrong_issuer_is_refused(fake: FakeNotify, iss: str, message: str) -> None:
    response = _get(fake, _token(_secret(fake.api_key()), iss))

    assert response.status_code == 403
    assert response.json()["errors"] == [{"error": "AuthError", "message": message}]


@pytest.mark.parametrize("drift", [-31, -300, 31, 300])
def test_a_token_issued_more_than_30_seconds_away_is_refused(fake: FakeNotify, drift: int) -> None:
    token = _token(_secret(fake.api_key()), fake.service_id, iat=time.time() + drift)

    response = _get(fake, token)

    assert response.status_code == 403
    assert response.json()["errors"] == [
        {
            "error": "AuthError",
            "message": "Error: Your system clock must be accurate to within 30 seconds",
        }
    ]


@pytest.mark.parametrize("drift", [-25, 25])
def test_a_token_issued_within_30_seconds_is_accepted(fake: FakeNotify, drift: int) -> None:
    token = _token(_secret(fake.api_key()), fake.service_id, iat=time.time() + drift)
    assert _get(fake, token).status_code == 200


def test_a_token_without_an_issuer_is_refused(fake: FakeNotify) -> None:
    token = jwt.encode({"iat": int(time.time())}, _secret(fake.api_key()), algorithm="HS256")

    response = _get(fake, token)

    assert response.status_code == 403
    assert response.json()["errors"][0]["message"] == "Invalid token: iss field not provided"


# PyJWT warns that a Notify secret (a 36-character UUID) is short for SHA-512: so it is.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_a_token_not_signed_with_hs256_is_refused(fake: FakeNotify) -> None:
    token = _token(_secret(fake.api_key()), fake.service_id, algorithm="HS512")

    response = _get(fake, token)

    assert response.status_code == 403
    assert response.json()["errors"][0]["message"] == "Invalid token: algorithm used is not HS256"


def test_a_request_without_a_token_is_refused(fake: FakeNotify) -> None:
    # Notify answers 401 here, not 403: the request never said who it was.
    response = _get(fake, None)

    assert response.status_code == 401
    assert response.json() == {
        "status_code": 401,
        "errors": [
            {"error": "AuthError", "message": "Unauthorized: authentication token must be provided"}
        ],
    }


def test_a_token_not_sent_as_bearer_is_refused(fake: FakeNotify) -> None:
    token = _token(_secret(fake.api_key()), fake.service_id)
    response = requests.get(
        f"{fake.base_url}/v2/notifications", headers={"Authorization": f"JWT {token}"}, timeout=5
    )

    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == (
        "Unauthorized: authentication bearer scheme must be used"
    )


def test_a_revoked_key_is_refused(fake: FakeNotify, notify_client: NotificationsAPIClient) -> None:
    fake.revoke_api_key("test")

    with pytest.raises(HTTPError) as raised:
        _send_email(notify_client)

    assert raised.value.status_code == 403
    assert _errors(raised.value)[0]["message"] == "Invalid token: API key revoked"


# -- faults ------------------------------------------------------------------------------------


def test_a_rate_limit_error_surfaces_from_the_client(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    fake.fail_next(status=429)

    with pytest.raises(HTTPError) as raised:
        _send_email(notify_client)

    assert raised.value.status_code == 429
    assert raised.value.message == [
        {
            "error": "RateLimitError",
            "message": "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
        }
    ]
    assert fake.notifications == []
    _send_email(notify_client)
    assert len(fake.notifications) == 1


def test_a_server_error_surfaces_from_the_client(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    fake.fail_next(status=500)

    with pytest.raises(HTTPError) as raised:
        _send_email(notify_client)

    assert raised.value.status_code == 500
    assert raised.value.message == [{"error": "Exception", "message": "Internal server error"}]
    assert fake.notifications == []


def test_a_fault_waits_for_a_request_of_its_method(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    fake.fail_next(status=500, times=2)

    notify_client.get_all_notifications()
    for _ in range(2):
        with pytest.raises(HTTPError):
            _send_email(notify_client)
    _send_email(notify_client)


def test_a_dropped_response_leaves_the_message_sent_and_the_sender_unsure(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    fake.drop_next_response()

    with pytest.raises(HTTPError) as raised:
        _send_email(notify_client, reference="outcome-unknown")

    # The client turns a connection failure into an HTTPError with no response: status 503.
    assert isinstance(raised.value, HTTP503Error)
    assert raised.value.status_code == 503
    assert raised.value.response is None
    assert isinstance(raised.value.__cause__, requests.ConnectionError)
    assert [n["reference"] for n in fake.notifications] == ["outcome-unknown"]
    assert fake.requests[-1].status is None

    found = notify_client.get_all_notifications(reference="outcome-unknown")["notifications"]
    assert [n["id"] for n in found] == [fake.notifications[0]["id"]]


def test_a_request_dropped_before_notify_reads_it_sends_nothing(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    fake.drop_next_response(after_processing=False)

    with pytest.raises(HTTP503Error):
        _send_email(notify_client)

    assert fake.notifications == []


def test_a_slow_answer_times_the_client_out_after_the_message_is_made(fake: FakeNotify) -> None:
    client = NotificationsAPIClient(fake.api_key(), base_url=fake.base_url, timeout=0.2)
    fake.delay_next_response(1)

    with pytest.raises(HTTP503Error) as raised:
        _send_email(client)

    assert isinstance(raised.value.__cause__, requests.Timeout)
    assert len(fake.notifications) == 1


def test_the_per_minute_rate_limit_counts_per_key_type(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    fake.rate_limit_per_minute = 2
    test_client = NotificationsAPIClient(fake.api_key("tests", "test"), base_url=fake.base_url)
    _send_email(notify_client)
    _send_email(notify_client)

    with pytest.raises(HTTPError) as raised:
        _send_email(notify_client)

    assert raised.value.status_code == 429
    assert _errors(raised.value) == [
        {
            "error": "RateLimitError",
            "message": "Exceeded rate limit for key type LIVE of 2 requests per 60 seconds",
        }
    ]
    _send_email(test_client)
    assert len(fake.notifications) == 3


# -- looking messages up -----------------------------------------------------------------------


def test_status_changes_show_in_get(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    notification_id = _send_email(notify_client)["id"]

    fake.set_status(notification_id, "delivered")

    got = notify_client.get_notification_by_id(notification_id)
    assert got["status"] == "delivered"
    assert NOTIFY_TIME.match(got["sent_at"])
    assert NOTIFY_TIME.match(got["completed_at"])
    delivered = notify_client.get_all_notifications(status="delivered")["notifications"]
    assert [n["id"] for n in delivered] == [notification_id]
    assert notify_client.get_all_notifications(status="sending")["notifications"] == []


def test_failed_finds_every_kind_of_failure(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    ids = [_send_email(notify_client, reference=f"r{n}")["id"] for n in range(4)]
    fake.set_status(ids[0], "permanent-failure")
    fake.set_status(ids[1], "temporary-failure")
    fake.set_status(ids[2], "technical-failure")
    fake.set_status(ids[3], "delivered")

    failed = notify_client.get_all_notifications(status="failed")["notifications"]

    assert {n["id"] for n in failed} == set(ids[:3])


def test_letters_show_notifys_letter_statuses(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    letter_id = notify_client.send_precompiled_letter_notification("l-1", io.BytesIO(PDF))["id"]

    fake.set_status(letter_id, "accepted")
    assert notify_client.get_notification_by_id(letter_id)["status"] == "accepted"
    fake.set_status(letter_id, "received")
    assert notify_client.get_notification_by_id(letter_id)["status"] == "received"
    received = notify_client.get_all_notifications(status="received", template_type="letter")
    assert [n["id"] for n in received["notifications"]] == [letter_id]
    fake.set_status(letter_id, "cancelled")
    assert notify_client.get_notification_by_id(letter_id)["status"] == "cancelled"

    with pytest.raises(ValueError, match="not a status of letter"):
        fake.set_status(letter_id, "pending")


def test_an_unknown_notification_is_not_found(notify_client: NotificationsAPIClient) -> None:
    with pytest.raises(HTTPError) as raised:
        notify_client.get_notification_by_id(str(uuid.uuid4()))

    assert raised.value.status_code == 404
    assert _errors(raised.value) == [{"error": "NoResultFound", "message": "No result found"}]

    with pytest.raises(HTTPError) as raised:
        notify_client.get_notification_by_id("not-an-id")
    assert raised.value.status_code == 400
    assert _errors(raised.value)[0]["message"] == "notification_id is not a valid UUID"


def test_the_list_is_newest_first_and_filters(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    first = _send_email(notify_client, reference="a")["id"]
    text = notify_client.send_sms_notification(
        "07700900123", SMS_TEMPLATE, {"name": "A", "code": 1}, reference="a"
    )["id"]
    last = _send_email(notify_client, reference="b")["id"]

    everything = notify_client.get_all_notifications()
    assert [n["id"] for n in everything["notifications"]] == [last, text, first]
    assert everything["links"]["next"].endswith(f"older_than={first}")
    by_reference = notify_client.get_all_notifications(reference="a")["notifications"]
    assert [n["id"] for n in by_reference] == [text, first]
    emails_a = notify_client.get_all_notifications(template_type="email", reference="a")
    assert [n["id"] for n in emails_a["notifications"]] == [first]
    older = notify_client.get_all_notifications(older_than=text)["notifications"]
    assert [n["id"] for n in older] == [first]
    assert "next" not in notify_client.get_all_notifications(reference="z")["links"]


def test_the_clients_iterator_pages_through_everything(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    fake.page_size = 2
    ids = [_send_email(notify_client, reference=f"r{n}")["id"] for n in range(5)]

    listed = [n["id"] for n in notify_client.get_all_notifications_iterator()]

    assert listed == list(reversed(ids))


def test_a_key_lists_only_messages_sent_with_keys_of_its_type(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    test_client = NotificationsAPIClient(fake.api_key("tests", "test"), base_url=fake.base_url)
    live_id = _send_email(notify_client)["id"]
    test_id = _send_email(test_client)["id"]

    assert [n["id"] for n in notify_client.get_all_notifications()["notifications"]] == [live_id]
    assert [n["id"] for n in test_client.get_all_notifications()["notifications"]] == [test_id]
    # Notify documents that a test key's messages come back delivered.
    assert notify_client.get_notification_by_id(test_id)["status"] == "delivered"


def test_a_filter_notify_does_not_know_is_refused(notify_client: NotificationsAPIClient) -> None:
    with pytest.raises(HTTPError) as raised:
        notify_client.get_all_notifications(status="elephant", template_type="apple")

    assert [error["message"] for error in _errors(raised.value)] == [
        "status elephant is not one of [cancelled, created, sending, sent, delivered, pending, "
        "failed, technical-failure, temporary-failure, permanent-failure, pending-virus-check, "
        "validation-failed, virus-scan-failed, returned-letter, accepted, received]",
        "template_type apple is not one of [sms, email, letter]",
    ]


# -- callbacks ---------------------------------------------------------------------------------


def test_the_callback_payload_has_notifys_fields(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    notification_id = _send_email(notify_client, reference="cb-1")["id"]
    fake.set_status(notification_id, "permanent-failure")

    payload = fake.callback_payload(notification_id)

    assert set(payload) == {
        "id",
        "reference",
        "to",
        "status",
        "created_at",
        "completed_at",
        "sent_at",
        "notification_type",
        "template_id",
        "template_version",
    }
    assert payload["id"] == notification_id
    assert payload["reference"] == "cb-1"
    assert payload["to"] == "parent@example.org"
    assert payload["status"] == "permanent-failure"
    assert payload["notification_type"] == "email"
    assert payload["template_id"] == EMAIL_TEMPLATE
    assert payload["template_version"] == 1
    assert NOTIFY_TIME.match(payload["completed_at"])
    assert FakeNotify.callback_headers("s3cret")["Authorization"] == "Bearer s3cret"


def test_letters_get_no_delivery_callbacks(
    fake: FakeNotify, notify_client: NotificationsAPIClient
) -> None:
    letter_id = notify_client.send_precompiled_letter_notification("l", io.BytesIO(PDF))["id"]
    with pytest.raises(ValueError, match="emails and text messages only"):
        fake.callback_payload(letter_id)


# -- the server --------------------------------------------------------------------------------


def test_unknown_paths_and_methods(fake: FakeNotify) -> None:
    missing = requests.get(f"{fake.base_url}/v2/nothing-here", timeout=5)
    assert missing.status_code == 404
    assert missing.json()["result"] == "error"

    wrong_method = requests.delete(f"{fake.base_url}/v2/notifications", timeout=5)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "GET"


def test_requests_are_recorded(fake: FakeNotify, notify_client: NotificationsAPIClient) -> None:
    _send_email(notify_client)
    notify_client.get_all_notifications(reference="ref-1")

    post, get = fake.requests
    assert (post.method, post.path, post.status) == ("POST", "/v2/notifications/email", 201)
    assert post.body["email_address"] == "parent@example.org"
    assert post.headers["authorization"].startswith("Bearer ")
    assert (get.method, get.path, get.query) == (
        "GET",
        "/v2/notifications",
        {"reference": ["ref-1"]},
    )


def test_many_senders_at_once_each_get_their_own_message(fake: FakeNotify) -> None:
    api_key = fake.api_key()
    barrier = threading.Barrier(8)

    def send(n: int) -> str:
        # One client each: the official client is not thread-safe.
        client = NotificationsAPIClient(api_key, base_url=fake.base_url, timeout=5)
        barrier.wait()
        return _send_email(client, reference=f"r{n}")["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(send, range(8)))

    assert len(set(ids)) == 8
    assert sorted(n["id"] for n in fake.notifications) == sorted(ids)


def test_stop_frees_the_port() -> None:
    notify = FakeNotify().start()
    base_url = notify.base_url
    notify.stop()

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base_url}/v2/notifications", timeout=1)
    with pytest.raises(RuntimeError):
        _ = notify.base_url
