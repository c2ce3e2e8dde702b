"""A fake of the GOV.UK Notify REST API (v2), served over real HTTP on loopback.

The project talks to Notify through the official ``notifications-python-client``; pointing that
client's ``base_url`` at this server tests the whole path (JWT signing, JSON, HTTP errors,
connection failures) with no internet::

    with FakeNotify() as notify:
        template_id = notify.register_template(None, "email", "Hello ((name))", "Dear ((name))")
        client = NotificationsAPIClient(notify.api_key(), base_url=notify.base_url)
        client.send_email_notification("a@example.org", template_id, {"name": "Amala"})
        assert notify.notifications[0]["body"] == "Dear Amala"

What it follows, and from where: the error messages and status codes are Notify's own (the
notifications-api source: ``app/authentication/auth.py``, ``app/v2/...``, ``app/schema_validation``;
and the error tables at docs.notifications.service.gov.uk). Tokens are checked with the very
functions the real API imports from this client package (``decode_jwt_token``,
``get_token_issuer``), so what passes here passes there.

Where it is simpler than Notify, deliberately:

- one service, no trial mode, no team-member guest list, no daily limits (``fail_next(429,
  error="TooManyRequestsError", ...)`` stands in), no billing (cost fields are placeholders);
- phone numbers: UK mobiles by shape (no ``phonenumbers`` database); other countries are taken
  only when ``allow_international_sms`` is on;
- precompiled letters are not sanitised: they stay ``pending-virus-check`` until a test moves
  them on with ``set_status`` (as a real letter waits on Notify's virus scan);
- messages move from ``created`` only when a test calls ``set_status`` (except with a ``test``
  key, whose emails and texts come back ``delivered``, as Notify documents);
- the per-minute rate limit is a rolling 60-second window per key type, as Notify documents it,
  rather than Notify's token bucket.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import string
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qs, urlencode, urlsplit

from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import (
    TokenAlgorithmError,
    TokenDecodeError,
    TokenError,
    TokenExpiredError,
    TokenIssuerError,
)

EMAIL = "email"
SMS = "sms"
LETTER = "letter"
# In the order Notify lists them in its error message.
TEMPLATE_TYPES = (SMS, EMAIL, LETTER)

# Notify's key types; "normal" is what the documentation calls a live key.
KEY_TYPES = ("normal", "team", "test")

SMS_CHAR_COUNT_LIMIT = 918
EMAIL_MAX_BYTES = 2_000_000
REFERENCE_MAX_LENGTH = 1_000
DEFAULT_RATE_LIMIT_PER_MINUTE = 3_000
DEFAULT_PAGE_SIZE = 250
NOTIFY_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

CLOCK_MESSAGE = "Error: Your system clock must be accurate to within 30 seconds"
GENERAL_TOKEN_ERROR_MESSAGE = (
    "Invalid token: make sure your API token matches the example at "
    "https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header"
)
# Werkzeug's wording: unknown URLs and methods never reach Notify's v2 error handlers, so they
# come back in the app-wide {"result": "error"} shape.
NOT_FOUND_MESSAGE = (
    "The requested URL was not found on the server. "
    "If you entered the URL manually please check your spelling and try again."
)
METHOD_NOT_ALLOWED_MESSAGE = "The method is not allowed for the requested URL."

FAILED_STATUSES = (
    "technical-failure",
    "temporary-failure",
    "permanent-failure",
    "validation-failed",
    "virus-scan-failed",
    "returned-letter",
)
# What GET /v2/notifications accepts as ?status=, in Notify's order (for its error message).
STATUS_FILTERS = (
    "cancelled",
    "created",
    "sending",
    "sent",
    "delivered",
    "pending",
    "failed",
    "technical-failure",
    "temporary-failure",
    "permanent-failure",
    "pending-virus-check",
    "validation-failed",
    "virus-scan-failed",
    "returned-letter",
    "accepted",
    "received",
)
_COMPLETED_STATUSES = frozenset(
    {
        "sent",
        "delivered",
        "failed",
        "technical-failure",
        "temporary-failure",
        "permanent-failure",
        "returned-letter",
        "cancelled",
        "validation-failed",
    }
)
# Statuses a message only reaches once it has gone to the provider, so it has a sent_at.
_SENT_STATUSES = frozenset(
    {
        "sending",
        "pending",
        "sent",
        "delivered",
        "temporary-failure",
        "permanent-failure",
        "returned-letter",
    }
)
_SETTABLE_STATUSES: dict[str, frozenset[str]] = {
    EMAIL: frozenset(
        {
            "created",
            "sending",
            "delivered",
            "permanent-failure",
            "temporary-failure",
            "technical-failure",
        }
    ),
    SMS: frozenset(
        {
            "created",
            "sending",
            "pending",
            "sent",
            "delivered",
            "permanent-failure",
            "temporary-failure",
            "technical-failure",
        }
    ),
    LETTER: frozenset(
        {
            "created",
            "sending",
            "delivered",
            "cancelled",
            "pending-virus-check",
            "virus-scan-failed",
            "validation-failed",
            "technical-failure",
            "permanent-failure",
            "returned-letter",
        }
    ),
}
# Letters are stored with the same statuses as other messages; the API shows two of them under
# letter-only names (Notification.get_letter_status in notifications-api).
_LETTER_PUBLIC_STATUS = {
    "created": "accepted",
    "sending": "accepted",
    "delivered": "received",
    "returned-letter": "received",
}
_LETTER_STATUS_FROM_PUBLIC = {"accepted": "sending", "received": "delivered"}
_STATUS_FILTER_EXPANSIONS: dict[str, tuple[str, ...]] = {
    "failed": FAILED_STATUSES,
    "accepted": ("created", "sending"),
    "received": ("delivered",),
}

_ADDRESS_KEYS = tuple(f"address_line_{n}" for n in range(1, 7)) + ("postcode",)
_PRECOMPILED_ADDRESS = "Provided as PDF"
_POSTAGES = ("first", "second", "economy")


def _now() -> datetime:
    # From time.time() so that a test moving the clock (time-machine) moves the fake with it.
    return datetime.fromtimestamp(time.time(), tz=UTC)


def _format_time(moment: datetime | None) -> str | None:
    return moment.strftime(NOTIFY_DATETIME_FORMAT) if moment else None


# ---------------------------------------------------------------------------------------------
# Errors, in the shapes Notify answers with


class _ApiError(Exception):
    """An answer other than success; raised anywhere in handling, turned into the response."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: Sequence[tuple[str, str]] = ()
    ) -> None:
        super().__init__(body)
        self.status = status
        self.body = body
        self.headers = tuple(headers)


def _v2_error(status: int, error: str, message: str) -> _ApiError:
    return _ApiError(
        status, {"status_code": status, "errors": [{"error": error, "message": message}]}
    )


def _bad_request(message: str, status: int = 400) -> _ApiError:
    return _v2_error(status, "BadRequestError", message)


def _auth_error(message: str, status: int = 403) -> _ApiError:
    return _v2_error(status, "AuthError", message)


def _validation_error(messages: Sequence[str]) -> _ApiError:
    unique = list(dict.fromkeys(messages))
    return _ApiError(
        400,
        {
            "status_code": 400,
            "errors": [{"error": "ValidationError", "message": message} for message in unique],
        },
    )


def _app_error(status: int, message: str, headers: Sequence[tuple[str, str]] = ()) -> _ApiError:
    return _ApiError(status, {"result": "error", "message": message}, headers)


# ---------------------------------------------------------------------------------------------
# Schema checks: each returns the message Notify gives (without the field name), or None


_Check = Callable[[Any], str | None]


def _plain(value: Any) -> str:
    # jsonschema quotes the value with repr(); Notify then strips every apostrophe.
    return repr(value).replace("'", "")


def _is_string(max_length: int | None = None) -> _Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"{_plain(value)} is not of type string"
        if max_length is not None and len(value) > max_length:
            return f"{_plain(value)} is too long"
        return None

    return check


def _is_uuid(value: Any) -> str | None:
    # Notify's uuid definition has its own message, which replaces the type error too.
    if not isinstance(value, str):
        return "is not a valid UUID"
    try:
        uuid.UUID(value)
    except ValueError:
        return "is not a valid UUID"
    return None


def _is_object(value: Any) -> str | None:
    return None if isinstance(value, dict) else f"{_plain(value)} is not of type object"


def _is_array_or_null(value: Any) -> str | None:
    if value is None or isinstance(value, list):
        return None
    return f"{_plain(value)} is not of type array, null"


def _is_string_or_null(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return None
    return f"{_plain(value)} is not of type string, null"


def _is_https_url(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith("https") and urlsplit(value).netloc:
        return None
    return "is not a valid https url"


def _is_postage(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{_plain(value)} is not of type string"
    if value not in _POSTAGES:
        return "invalid. It must be either first, second or economy."
    return None


# notifications-utils' validate_email_address, which Notify runs as a schema format check.
_EMAIL_PATTERN = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\-]+@([^.@][^@\s]+)$")
_HOSTNAME_PART = re.compile(r"^(xn|[a-z0-9]+)(-?-[a-z0-9]+)*$", re.IGNORECASE)
_TLD_PART = re.compile(r"^([a-z]{2,63}|xn--([a-z0-9]+-)*[a-z0-9]+)$", re.IGNORECASE)


def _is_valid_email(address: str) -> bool:
    address = address.strip()
    match = _EMAIL_PATTERN.match(address)
    if not match or len(address) > 320 or ".." in address:
        return False
    try:
        hostname = match.group(1).encode("idna").decode("ascii")
    except UnicodeError:
        return False
    parts = hostname.split(".")
    if len(hostname) > 253 or len(parts) < 2:
        return False
    if any(not part or len(part) > 63 or not _HOSTNAME_PART.match(part) for part in parts):
        return False
    return bool(_TLD_PART.match(parts[-1]))


def _is_email_address(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{_plain(value)} is not of type string"
    return None if _is_valid_email(value) else "Not a valid email address"


@dataclass(frozen=True)
class _PhoneNumber:
    normalised: str  # international format without the "+", as Notify stores it: 447700900123
    uk: bool


class _PhoneProblem(Exception):
    pass


_PHONE_CHARACTERS = frozenset(string.digits + string.whitespace + "()+-")


def _parse_phone_number(raw: str) -> _PhoneNumber:
    """UK mobiles by shape; messages are the ones Notify documents for phone_number."""
    if set(raw) - _PHONE_CHARACTERS:
        raise _PhoneProblem("Must not contain letters or symbols")
    digits = re.sub(r"[\s()\-]", "", raw)
    international = digits.startswith("+")
    digits = digits.replace("+", "")
    if digits.startswith("00"):
        digits, international = digits[2:], True
    elif digits.startswith("44") and len(digits) >= 12:
        # A UK number that lost its "+" (spreadsheets drop it): Notify reads it as one.
        international = True
    if international and not digits.startswith("44"):
        if len(digits) < 8:
            raise _PhoneProblem("Not enough digits")
        if len(digits) > 15:
            raise _PhoneProblem("Too many digits")
        return _PhoneNumber(normalised=digits, uk=False)
    national = digits[2:] if international else digits
    # "+44 (0)7700..." and "07700...": the trunk 0 is not part of the number.
    national = national.removeprefix("0")
    if len(national) < 10:
        raise _PhoneProblem("Not enough digits")
    if len(national) > 10:
        raise _PhoneProblem("Too many digits")
    if not national.startswith("7"):
        raise _PhoneProblem("Not a UK mobile number")
    return _PhoneNumber(normalised="44" + national, uk=True)


def _is_phone_number(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"{_plain(value)} is not of type string"
    try:
        _parse_phone_number(value)
    except _PhoneProblem as problem:
        return str(problem)
    return None


def _validate(
    body: Any, properties: Mapping[str, _Check], required: Sequence[str]
) -> dict[str, Any]:
    """Notify's JSON-schema step: every problem at once, in jsonschema's order."""
    if not isinstance(body, dict):
        raise _validation_error([f"{_plain(body)} is not of type object"])
    messages = [
        f"{name} {problem}"
        for name, check in properties.items()
        if name in body and (problem := check(body[name])) is not None
    ]
    messages += [f"{name} is a required property" for name in required if name not in body]
    unexpected = [name for name in body if name not in properties]
    if unexpected:
        verb = "was" if len(unexpected) == 1 else "were"
        messages.append(
            f"Additional properties are not allowed ({', '.join(unexpected)} {verb} unexpected)"
        )
    if messages:
        raise _validation_error(messages)
    return body


_EMAIL_REQUEST: dict[str, _Check] = {
    "reference": _is_string(REFERENCE_MAX_LENGTH),
    "email_address": _is_email_address,
    "template_id": _is_uuid,
    "personalisation": _is_object,
    "scheduled_for": _is_string_or_null,
    "email_reply_to_id": _is_uuid,
    "one_click_unsubscribe_url": _is_https_url,
    "sanitise_content_for": _is_array_or_null,
}
_SMS_REQUEST: dict[str, _Check] = {
    "reference": _is_string(REFERENCE_MAX_LENGTH),
    "phone_number": _is_phone_number,
    "template_id": _is_uuid,
    "personalisation": _is_object,
    "scheduled_for": _is_string_or_null,
    "sms_sender_id": _is_uuid,
}
_LETTER_REQUEST: dict[str, _Check] = {
    "reference": _is_string(REFERENCE_MAX_LENGTH),
    "template_id": _is_uuid,
    "personalisation": _is_object,
}
_PRECOMPILED_LETTER_REQUEST: dict[str, _Check] = {
    "reference": _is_string(),
    "content": _is_string(),
    "postage": _is_postage,
}


# ---------------------------------------------------------------------------------------------
# Templates and personalisation, after notifications-utils' Field


_PLACEHOLDER = re.compile(r"\({2}([^()]+)\){2}")
_KEY_NOISE = str.maketrans("", "", " _-")


def _key(name: str) -> str:
    # Notify matches personalisation to placeholders ignoring case, spaces, "_" and "-".
    return name.translate(_KEY_NOISE).lower()


def _placeholder_names(*texts: str | None) -> list[str]:
    names: dict[str, str] = {}
    for text in texts:
        for body in _PLACEHOLDER.findall(text or ""):
            name = body.split("??")[0]
            names.setdefault(_key(name), name)
    return list(names.values())


def _shows_conditional(value: Any) -> bool:
    return bool(value) and str(value).lower() in ("yes", "y", "true", "t", "1", "include", "show")


def _format_list(items: list[Any], *, markdown: bool) -> str:
    shown = [str(item).strip() for item in items if item is not None and str(item).strip()]
    if not shown:
        return ""
    if markdown:
        return "\n\n" + "\n".join(f"* {item}" for item in shown)
    if len(shown) == 1:
        return shown[0]
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


def _fill(text: str, values: Mapping[str, Any], *, markdown_lists: bool) -> str:
    def replace(match: re.Match[str]) -> str:
        name, conditional, shown_text = match.group(1).partition("??")
        value = values.get(_key(name))
        if value is None:
            return match.group(0)
        if conditional:
            return shown_text if _shows_conditional(value) else ""
        if isinstance(value, list):
            return _format_list(value, markdown=markdown_lists)
        return str(value)

    return _PLACEHOLDER.sub(replace, text)


@dataclass(frozen=True)
class FakeTemplate:
    id: str
    type: str
    subject: str | None
    body: str
    version: int = 1
    name: str = ""
    postage: str | None = None


_UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
_ADDRESS_FORBIDDEN_STARTS = tuple("@()=[]”\\/,<>")
_FIRST_LINES_MESSAGE = (
    "The first 2 lines of the address must both include at least one alphanumeric character"
)


def _address_lines(personalisation: Mapping[str, Any]) -> list[str]:
    values = {_key(name): value for name, value in personalisation.items()}
    lines = [str(values.get(_key(name)) or "").strip() for name in _ADDRESS_KEYS]
    return [line for line in lines if line]


def _check_address(lines: Sequence[str]) -> None:
    """notifications-api's validate_address, for a service without international letters."""
    if len(lines) < 3:
        raise _validation_error(["Address must be at least 3 lines"])
    if not all(re.search(r"[A-Za-z0-9]", line) for line in lines[:2]):
        raise _validation_error([_FIRST_LINES_MESSAGE])
    if not _UK_POSTCODE.match(lines[-1].replace(" ", "").upper()):
        raise _validation_error(["Must be a real UK postcode"])
    if any(line.startswith(_ADDRESS_FORBIDDEN_STARTS) for line in lines):
        raise _validation_error(
            [
                "Address lines must not start with any of the following characters: "
                "@ ( ) = [ ] ” \\ / , < >"
            ]
        )


# ---------------------------------------------------------------------------------------------
# The store


@dataclass
class _ApiKey:
    name: str
    key_type: str
    secret: str
    revoked: bool = False


@dataclass
class _Notification:
    sequence: int  # creation order: "older than" means a smaller sequence
    id: str
    type: str
    template: FakeTemplate
    to: str
    normalised_to: str
    personalisation: dict[str, Any]
    reference: str | None
    subject: str | None
    body: str
    status: str
    key_name: str
    key_type: str
    created_at: datetime
    updated_at: datetime | None = None
    sent_at: datetime | None = None
    postage: str | None = None
    precompiled: bool = False
    pdf: bytes | None = None
    reply_to: str | None = None
    email_reply_to_id: str | None = None
    sms_sender_id: str | None = None
    one_click_unsubscribe_url: str | None = None

    @property
    def api_status(self) -> str:
        if self.type == LETTER:
            return _LETTER_PUBLIC_STATUS.get(self.status, self.status)
        return self.status

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            # As stored; "api_status" is what the API shows (letters say accepted/received).
            "status": self.status,
            "api_status": self.api_status,
            "template_id": self.template.id,
            "template_version": self.template.version,
            "to": self.to,
            "normalised_to": self.normalised_to,
            "personalisation": dict(self.personalisation),
            "reference": self.reference,
            "subject": self.subject,
            "body": self.body,
            "postage": self.postage,
            "precompiled": self.precompiled,
            "pdf": self.pdf,
            "reply_to": self.reply_to,
            "email_reply_to_id": self.email_reply_to_id,
            "sms_sender_id": self.sms_sender_id,
            "one_click_unsubscribe_url": self.one_click_unsubscribe_url,
            "key_name": self.key_name,
            "key_type": self.key_type,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "sent_at": self.sent_at,
        }


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    body: Any  # parsed JSON; the text when it is not JSON; None when empty
    status: int | None  # what the fake answered; None when it closed the connection instead


@dataclass
class _Fault:
    kind: str  # "fail", "drop" or "delay"
    method: str | None
    status: int = 500
    error: str | None = None
    message: str | None = None
    after_processing: bool = True
    seconds: float = 0.0


@dataclass
class _Outcome:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    drop: bool = False
    delay: float = 0.0


def _json_outcome(
    status: int, body: Mapping[str, Any], headers: Sequence[tuple[str, str]] = ()
) -> _Outcome:
    return _Outcome(status=status, body=json.dumps(body).encode(), headers=tuple(headers))


@dataclass
class _Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw_body: bytes
    key: _ApiKey | None = None

    def parsed_body(self) -> Any:
        if not self.raw_body:
            return None
        text = self.raw_body.decode("utf-8", errors="replace")
        try:
            return json.loads(text)
        except ValueError:
            return text

    def json(self) -> Any:
        # Notify reads the body as JSON whatever the Content-Type (get_json(force=True)).
        try:
            data = json.loads(self.raw_body)
        except ValueError:
            raise _bad_request("Invalid JSON supplied in POST data") from None
        return data or {}

    @property
    def api_key(self) -> _ApiKey:
        if self.key is None:  # routes run only after _authenticate has set it
            raise RuntimeError("request not authenticated")
        return self.key


_Handler = Callable[[_Call, str | None], _Outcome]

_FAULT_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("BadRequestError", "An error occurred"),
    403: ("AuthError", "Invalid token: API key not found"),
    404: ("NoResultFound", "No result found"),
    500: ("Exception", "Internal server error"),
}


# ---------------------------------------------------------------------------------------------
# The server


class FakeNotify:
    """GOV.UK Notify's v2 API for one service, on 127.0.0.1 with a port the OS picks.

    Safe to use from several threads: the store, the log and the fault queue share one lock.
    """

    def __init__(
        self,
        *,
        service_id: str | uuid.UUID | None = None,
        email_from: str = "phase.transfer@notifications.service.gov.uk",
        sms_sender: str = "GOVUK",
        rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE,
        page_size: int = DEFAULT_PAGE_SIZE,
        allow_international_sms: bool = False,
        port: int = 0,
    ) -> None:
        self.port = port  # 0: the OS picks one
        self.service_id = str(uuid.UUID(str(service_id))) if service_id else str(uuid.uuid4())
        self.email_from = email_from
        self.sms_sender = sms_sender
        # May be changed while the server runs.
        self.rate_limit_per_minute = rate_limit_per_minute
        self.page_size = page_size
        self.allow_international_sms = allow_international_sms

        self._lock = threading.RLock()
        self._keys: dict[str, _ApiKey] = {}
        self._templates: dict[str, FakeTemplate] = {}
        self._email_reply_to: dict[str, str] = {}
        self._sms_senders: dict[str, str] = {}
        self._notifications: list[_Notification] = []
        self._by_id: dict[str, _Notification] = {}
        self._requests: list[RecordedRequest] = []
        self._faults: deque[_Fault] = deque()
        self._recent_posts: dict[str, deque[float]] = {key_type: deque() for key_type in KEY_TYPES}
        self._unexpected: list[BaseException] = []
        # Notify makes one hidden template per service for every precompiled letter.
        self._precompiled_template = FakeTemplate(
            id=str(uuid.uuid4()),
            type=LETTER,
            subject="Pre-compiled PDF",
            body="",
            name="Pre-compiled PDF",
            postage="second",
        )
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._routes: list[tuple[re.Pattern[str], dict[str, _Handler]]] = [
            (re.compile(r"^/v2/notifications$"), {"GET": self._list_notifications}),
            (
                re.compile(r"^/v2/notifications/(?P<arg>[^/]+)$"),
                {"GET": self._get_notification, "POST": self._post_notification},
            ),
            (re.compile(r"^/v2/notifications/(?P<arg>[^/]+)/pdf$"), {"GET": self._get_pdf}),
        ]

    # -- running ------------------------------------------------------------------------------

    def start(self) -> FakeNotify:
        if self._server is not None:
            raise RuntimeError("FakeNotify is already running")
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-notify",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeNotify:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeNotify is not running: call start() first")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- set-up -------------------------------------------------------------------------------

    def api_key(self, name: str = "test", key_type: str = "normal") -> str:
        """A key for this service, as Notify shows it: ``{name}-{service id}-{secret}``.

        The same name gives the same key. ``key_type`` is Notify's: "normal" (live), "team" or
        "test"; it shows in rate-limit messages, keeps lists apart (a key lists only messages
        sent with keys of its type) and makes a test key's emails and texts come back delivered.
        """
        if key_type not in KEY_TYPES:
            raise ValueError(f"key_type must be one of {KEY_TYPES}")
        with self._lock:
            key = self._keys.get(name)
            if key is None:
                key = self._keys[name] = _ApiKey(name, key_type, str(uuid.uuid4()))
            elif key.key_type != key_type:
                raise ValueError(f"key {name!r} already exists with type {key.key_type!r}")
            return f"{key.name}-{self.service_id}-{key.secret}"

    def revoke_api_key(self, name: str) -> None:
        with self._lock:
            self._keys[name].revoked = True

    def register_template(
        self,
        template_id: str | uuid.UUID | None,
        template_type: str,
        subject: str | None,
        body: str,
        *,
        version: int = 1,
        name: str = "",
        postage: str = "second",
    ) -> str:
        """Add (or replace) a template of this service; returns its id (made up when None)."""
        if template_type not in TEMPLATE_TYPES:
            raise ValueError(f"template_type must be one of {TEMPLATE_TYPES}")
        if template_type == SMS and subject is not None:
            raise ValueError("text message templates have no subject")
        if template_type != SMS and not subject:
            raise ValueError(f"{template_type} templates need a subject")
        canonical = str(uuid.UUID(str(template_id))) if template_id else str(uuid.uuid4())
        template = FakeTemplate(
            id=canonical,
            type=template_type,
            subject=subject,
            body=body,
            version=version,
            name=name,
            postage=postage if template_type == LETTER else None,
        )
        with self._lock:
            self._templates[canonical] = template
        return canonical

    def add_email_reply_to(self, email_address: str, reply_to_id: str | None = None) -> str:
        """A reply-to address the service has set up, for ``email_reply_to_id``; returns its id."""
        canonical = str(uuid.UUID(reply_to_id)) if reply_to_id else str(uuid.uuid4())
        with self._lock:
            self._email_reply_to[canonical] = email_address
        return canonical

    def add_sms_sender(self, sms_sender: str, sms_sender_id: str | None = None) -> str:
        """A text message sender the service has set up, for ``sms_sender_id``; returns its id."""
        canonical = str(uuid.UUID(sms_sender_id)) if sms_sender_id else str(uuid.uuid4())
        with self._lock:
            self._sms_senders[canonical] = sms_sender
        return canonical

    # -- faults -------------------------------------------------------------------------------

    def fail_next(
        self,
        status: int = 500,
        *,
        error: str | None = None,
        message: str | None = None,
        method: str | None = "POST",
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests (of ``method``; None: any) with this error.

        Nothing is stored. The request must still authenticate: a fault stands for something
        going wrong inside Notify. 429 says "RateLimitError" with Notify's message for the
        caller's key type; 500 says "Exception"/"Internal server error".
        """
        for _ in range(times):
            self._add_fault(
                _Fault("fail", method.upper() if method else None, status, error, message)
            )

    def drop_next_response(
        self, *, method: str | None = "POST", after_processing: bool = True, times: int = 1
    ) -> None:
        """Close the connection without answering the next request(s).

        With ``after_processing`` (the default) the request is carried out first (a message is
        created and stored) and only the answer is lost: the caller cannot know the outcome,
        and the client raises a connection error (as HTTPError with status 503). Without it,
        the request is dropped unread, as if it never reached Notify.
        """
        for _ in range(times):
            self._add_fault(
                _Fault(
                    "drop", method.upper() if method else None, after_processing=after_processing
                )
            )

    def delay_next_response(
        self, seconds: float, *, method: str | None = "POST", times: int = 1
    ) -> None:
        """Carry out the next request(s), then wait this long before answering (client timeouts)."""
        for _ in range(times):
            self._add_fault(_Fault("delay", method.upper() if method else None, seconds=seconds))

    def _add_fault(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method is None or fault.method == method:
                    self._faults.remove(fault)
                    return fault
        return None

    # -- looking and changing -----------------------------------------------------------------

    @property
    def notifications(self) -> list[dict[str, Any]]:
        """Every message created, oldest first, as dicts (copies: changing them changes nothing)."""
        with self._lock:
            return [notification.as_dict() for notification in self._notifications]

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in the order they were answered."""
        with self._lock:
            return list(self._requests)

    @property
    def unexpected_errors(self) -> list[BaseException]:
        """Exceptions inside the fake itself (answered as 500s): a test may assert none."""
        with self._lock:
            return list(self._unexpected)

    def notification(self, notification_id: str | uuid.UUID) -> dict[str, Any]:
        with self._lock:
            return self._find(notification_id).as_dict()

    def set_status(self, notification_id: str | uuid.UUID, status: str) -> dict[str, Any]:
        """Move a message on, as Notify does when the provider reports back.

        Letters also take the API's names: "accepted" and "received".
        """
        with self._lock:
            notification = self._find(notification_id)
            stored = status
            if notification.type == LETTER:
                stored = _LETTER_STATUS_FROM_PUBLIC.get(status, status)
            if stored not in _SETTABLE_STATUSES[notification.type]:
                raise ValueError(f"{status!r} is not a status of {notification.type} notifications")
            now = _now()
            notification.status = stored
            notification.updated_at = now
            if stored in _SENT_STATUSES and notification.sent_at is None:
                notification.sent_at = now
            return notification.as_dict()

    def callback_payload(self, notification_id: str | uuid.UUID) -> dict[str, Any]:
        """The JSON body Notify POSTs to the service's delivery-status callback URL.

        Notify sends these for emails and text messages only.
        """
        with self._lock:
            notification = self._find(notification_id)
            if notification.type not in (EMAIL, SMS):
                raise ValueError("Notify sends delivery receipts for emails and text messages only")
            return {
                "id": notification.id,
                "reference": notification.reference,
                "to": notification.to,
                "status": notification.status,
                "created_at": _format_time(notification.created_at),
                "completed_at": _format_time(notification.updated_at),
                "sent_at": _format_time(notification.sent_at),
                "notification_type": notification.type,
                "template_id": notification.template.id,
                "template_version": notification.template.version,
            }

    @staticmethod
    def callback_headers(bearer_token: str) -> dict[str, str]:
        """The headers Notify sends with a callback: the token the service gave Notify."""
        return {"Content-Type": "application/json", "Authorization": f"Bearer {bearer_token}"}

    def reset(self) -> None:
        """Forget messages, requests, faults and the rate-limit window; keep keys and templates."""
        with self._lock:
            self._notifications.clear()
            self._by_id.clear()
            self._requests.clear()
            self._faults.clear()
            self._unexpected.clear()
            for window in self._recent_posts.values():
                window.clear()

    def _find(self, notification_id: str | uuid.UUID) -> _Notification:
        try:
            return self._by_id[str(uuid.UUID(str(notification_id)))]
        except (KeyError, ValueError):
            raise KeyError(f"no notification {notification_id}") from None

    # -- handling -----------------------------------------------------------------------------

    def _respond(
        self, method: str, target: str, headers: dict[str, str], raw_body: bytes
    ) -> _Outcome:
        split = urlsplit(target)
        call = _Call(
            method=method,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=headers,
            raw_body=raw_body,
        )
        outcome = self._run(lambda: self._route(call))
        with self._lock:
            self._requests.append(
                RecordedRequest(
                    method=call.method,
                    path=call.path,
                    query=call.query,
                    headers=dict(call.headers),
                    body=call.parsed_body(),
                    status=None if outcome.drop else outcome.status,
                )
            )
        return outcome

    def _run(self, handle: Callable[[], _Outcome]) -> _Outcome:
        try:
            return handle()
        except _ApiError as error:
            return _json_outcome(error.status, error.body, error.headers)
        except Exception as error:
            # A bug in the fake: answer as Notify does to the unexpected, and keep it to look at.
            with self._lock:
                self._unexpected.append(error)
            return _json_outcome(
                500,
                {
                    "status_code": 500,
                    "errors": [{"error": "Exception", "message": "Internal server error"}],
                },
            )

    def _match_route(self, path: str) -> tuple[dict[str, _Handler], str | None]:
        for pattern, handlers in self._routes:
            if match := pattern.match(path):
                return handlers, match.groupdict().get("arg")
        raise _app_error(404, NOT_FOUND_MESSAGE)

    def _route(self, call: _Call) -> _Outcome:
        handlers, arg = self._match_route(call.path)
        handler = handlers.get(call.method)
        if handler is None:
            raise _app_error(
                405, METHOD_NOT_ALLOWED_MESSAGE, [("Allow", ", ".join(sorted(handlers)))]
            )
        call.key = self._authenticate(call.headers)

        fault = self._take_fault(call.method)
        if fault is not None and fault.kind == "fail":
            raise self._fault_error(fault, call.api_key)
        if fault is not None and fault.kind == "drop" and not fault.after_processing:
            return _Outcome(drop=True)
        outcome = self._run(lambda: handler(call, arg))
        if fault is not None and fault.kind == "drop":
            outcome.drop = True
        if fault is not None and fault.kind == "delay":
            outcome.delay = fault.seconds
        return outcome

    def _fault_error(self, fault: _Fault, key: _ApiKey) -> _ApiError:
        if fault.status == 429:
            error, message = "RateLimitError", self._rate_limit_message(key)
        else:
            error, message = _FAULT_DEFAULTS.get(
                fault.status, ("Exception", HTTPStatus(fault.status).phrase)
            )
        return _v2_error(fault.status, fault.error or error, fault.message or message)

    def _authenticate(self, headers: Mapping[str, str]) -> _ApiKey:
        """notifications-api's requires_auth, step for step, with its messages and codes."""
        token = self._bearer_token(headers)
        self._check_issuer(token)
        with self._lock:
            keys = list(self._keys.values())
        if not keys:
            raise _auth_error("Invalid token: service has no API keys")
        for key in keys:
            try:
                decode_jwt_token(token, key.secret)
            except TokenExpiredError:
                raise _auth_error(CLOCK_MESSAGE) from None
            except TokenAlgorithmError:
                raise _auth_error("Invalid token: algorithm used is not HS256") from None
            except TokenDecodeError:
                # Not signed with this key's secret: Notify tries the service's next key.
                continue
            except TokenError:
                raise _auth_error(GENERAL_TOKEN_ERROR_MESSAGE) from None
            if key.revoked:
                raise _auth_error("Invalid token: API key revoked")
            return key
        raise _auth_error("Invalid token: API key not found")

    @staticmethod
    def _bearer_token(headers: Mapping[str, str]) -> str:
        header = headers.get("authorization")
        if not header:
            raise _auth_error("Unauthorized: authentication token must be provided", 401)
        if header[:7].title() != "Bearer ":
            raise _auth_error("Unauthorized: authentication bearer scheme must be used", 401)
        return header[7:]

    def _check_issuer(self, token: str) -> None:
        # The issuer is read before the signature is checked: it says whose keys to try.
        try:
            issuer = get_token_issuer(token)
        except TokenIssuerError:
            raise _auth_error("Invalid token: iss field not provided") from None
        except TokenDecodeError:
            raise _auth_error(GENERAL_TOKEN_ERROR_MESSAGE) from None
        try:
            service_id = uuid.UUID(issuer)
        except (AttributeError, TypeError, ValueError):
            raise _auth_error("Invalid token: service id is not the right data type") from None
        if str(service_id) != self.service_id:
            raise _auth_error("Invalid token: service not found")

    def _rate_limit_message(self, key: _ApiKey) -> str:
        key_type = "live" if key.key_type == "normal" else key.key_type
        return (
            f"Exceeded rate limit for key type {key_type.upper()} of "
            f"{self.rate_limit_per_minute} requests per 60 seconds"
        )

    def _check_rate_limit(self, key: _ApiKey) -> None:
        # Monotonic: the window is about real elapsed time, even when a test freezes the clock.
        now = time.monotonic()
        with self._lock:
            window = self._recent_posts[key.key_type]
            while window and now - window[0] >= 60:
                window.popleft()
            if len(window) >= self.rate_limit_per_minute:
                raise _v2_error(429, "RateLimitError", self._rate_limit_message(key))
            window.append(now)

    # -- POST /v2/notifications/{type} --------------------------------------------------------

    def _post_notification(self, call: _Call, notification_type: str | None) -> _Outcome:
        key = call.api_key
        self._check_rate_limit(key)
        body = call.json()
        if notification_type == LETTER and isinstance(body, dict) and "content" in body:
            return self._post_precompiled_letter(key, body)
        if notification_type == EMAIL:
            form = _validate(body, _EMAIL_REQUEST, ("email_address", "template_id"))
        elif notification_type == SMS:
            form = _validate(body, _SMS_REQUEST, ("phone_number", "template_id"))
        elif notification_type == LETTER:
            form = _validate(body, _LETTER_REQUEST, ("template_id", "personalisation"))
        else:
            raise _app_error(404, NOT_FOUND_MESSAGE)

        personalisation = dict(form.get("personalisation") or {})
        template = self._template_for(form["template_id"], notification_type)
        personalisation = self._replace_files(personalisation, notification_type)
        subject, body_text = self._render(template, personalisation)
        if notification_type == LETTER:
            return self._post_templated_letter(
                key, form, template, personalisation, subject, body_text
            )
        return self._post_email_or_sms(key, form, template, personalisation, subject, body_text)

    def _template_for(self, template_id: str, notification_type: str) -> FakeTemplate:
        with self._lock:
            template = self._templates.get(str(uuid.UUID(template_id)))
        if template is None:
            raise _bad_request("Template not found")
        if template.type != notification_type:
            raise _bad_request(
                f"{template.type} template is not suitable for {notification_type} notification"
            )
        return template

    def _replace_files(
        self, personalisation: dict[str, Any], notification_type: str
    ) -> dict[str, Any]:
        # "Send a file by email": Notify swaps the uploaded file for a link to download it.
        files = [
            name
            for name, value in personalisation.items()
            if isinstance(value, dict) and "file" in value
        ]
        if files and notification_type != EMAIL:
            raise _bad_request("Can only send a file by email")
        for name in files:
            personalisation[name] = (
                f"https://documents.service.gov.uk/d/{self.service_id}/{uuid.uuid4()}?key=fake"
            )
        return personalisation

    @staticmethod
    def _render(
        template: FakeTemplate, personalisation: Mapping[str, Any]
    ) -> tuple[str | None, str]:
        values = {_key(name): value for name, value in personalisation.items()}
        missing = [
            name
            for name in _placeholder_names(template.subject, template.body)
            if values.get(_key(name)) is None
        ]
        if missing:
            raise _bad_request(f"Missing personalisation: {', '.join(missing)}")
        markdown = template.type != SMS
        body = _fill(template.body, values, markdown_lists=markdown).strip()
        subject = None
        if template.subject is not None:
            subject = " ".join(_fill(template.subject, values, markdown_lists=False).split())
        if not body and template.body:
            raise _bad_request("Your message is empty.")
        return subject, body

    def _post_email_or_sms(
        self,
        key: _ApiKey,
        form: dict[str, Any],
        template: FakeTemplate,
        personalisation: dict[str, Any],
        subject: str | None,
        body: str,
    ) -> _Outcome:
        email_reply_to_id: str | None = None
        sms_sender_id: str | None = None
        reply_to: str | None = None
        if template.type == EMAIL:
            to = form["email_address"]
            normalised_to = to.strip().lower()
            if email_reply_to_id := form.get("email_reply_to_id"):
                reply_to = self._setting(
                    self._email_reply_to, "email_reply_to_id", email_reply_to_id
                )
            size = len(body.encode("utf-8"))
            if size > EMAIL_MAX_BYTES:
                raise _bad_request(
                    f"Your message is too long. Emails cannot be longer than {EMAIL_MAX_BYTES} "
                    f"bytes. Your message is {size} bytes."
                )
        else:
            to = form["phone_number"]
            number = _parse_phone_number(to)
            if not number.uk and not self.allow_international_sms:
                raise _bad_request("Cannot send to international mobile numbers")
            normalised_to = number.normalised
            reply_to = self.sms_sender
            if sms_sender_id := form.get("sms_sender_id"):
                reply_to = self._setting(self._sms_senders, "sms_sender_id", sms_sender_id)
            # Notify counts UTF-16 code units, and not the service-name prefix.
            length = len(body.encode("utf-16-le")) // 2
            if length > SMS_CHAR_COUNT_LIMIT:
                raise _bad_request(
                    f"Your message is too long. Text messages cannot be longer than "
                    f"{SMS_CHAR_COUNT_LIMIT} characters. Your message is {length} characters long."
                )

        unsubscribe_url = form.get("one_click_unsubscribe_url")
        notification = self._store(
            key,
            type=template.type,
            template=template,
            to=to,
            normalised_to=normalised_to,
            personalisation=personalisation,
            reference=form.get("reference"),
            subject=subject,
            body=body,
            # Notify documents that a test key's messages come back delivered.
            status="delivered" if key.key_type == "test" else "created",
            reply_to=reply_to,
            email_reply_to_id=email_reply_to_id,
            sms_sender_id=sms_sender_id,
            one_click_unsubscribe_url=unsubscribe_url,
        )
        response = self._created_response(notification)
        if template.type == EMAIL:
            response["content"] = {
                "from_email": self.email_from,
                "body": body,
                "subject": subject,
                "one_click_unsubscribe_url": unsubscribe_url,
            }
        else:
            response["content"] = {"from_number": reply_to, "body": body}
        return _json_outcome(201, response)

    def _setting(self, settings: Mapping[str, str], field_name: str, setting_id: str) -> str:
        with self._lock:
            value = settings.get(str(uuid.UUID(setting_id)))
        if value is None:
            raise _bad_request(
                f"{field_name} {setting_id} does not exist in database for service id "
                f"{self.service_id}"
            )
        return value

    def _post_templated_letter(
        self,
        key: _ApiKey,
        form: dict[str, Any],
        template: FakeTemplate,
        personalisation: dict[str, Any],
        subject: str | None,
        body: str,
    ) -> _Outcome:
        if key.key_type == "team":
            raise _bad_request("Cannot send letters with a team api key", status=403)
        lines = _address_lines(personalisation)
        _check_address(lines)
        notification = self._store(
            key,
            type=LETTER,
            template=template,
            to="\n".join(lines),
            normalised_to="\n".join(lines),
            personalisation=personalisation,
            reference=form.get("reference"),
            subject=subject,
            body=body,
            status="delivered" if key.key_type == "test" else "created",
            postage=template.postage or "second",
        )
        response = self._created_response(notification)
        response["content"] = {"body": body, "subject": subject}
        return _json_outcome(201, response)

    def _post_precompiled_letter(self, key: _ApiKey, body: Any) -> _Outcome:
        form = _validate(body, _PRECOMPILED_LETTER_REQUEST, ("reference", "content"))
        if key.key_type == "team":
            raise _bad_request("Cannot send letters with a team api key", status=403)
        try:
            # Not validate=True: Notify's b64decode skips characters outside the alphabet too.
            pdf = base64.b64decode(form["content"])
        except (binascii.Error, ValueError):
            raise _bad_request("Cannot decode letter content (invalid base64 encoding)") from None
        if not pdf.startswith(b"%PDF-"):
            raise _bad_request("Letter content is not a valid PDF")
        notification = self._store(
            key,
            type=LETTER,
            template=self._precompiled_template,
            to=_PRECOMPILED_ADDRESS,
            normalised_to=_PRECOMPILED_ADDRESS,
            personalisation={"address_line_1": _PRECOMPILED_ADDRESS},
            reference=form["reference"],
            subject=self._precompiled_template.subject,
            body=self._precompiled_template.body,
            # Waits for Notify's virus scan; a test moves it on with set_status.
            status="pending-virus-check",
            postage=form.get("postage") or "second",
            precompiled=True,
            pdf=pdf,
        )
        return _json_outcome(
            201,
            {
                "id": notification.id,
                "reference": notification.reference,
                "postage": notification.postage,
            },
        )

    def _store(self, key: _ApiKey, **fields: Any) -> _Notification:
        now = _now()
        with self._lock:
            notification = _Notification(
                sequence=len(self._notifications),
                id=str(uuid.uuid4()),
                key_name=key.name,
                key_type=key.key_type,
                created_at=now,
                **fields,
            )
            if notification.status != "created" and notification.status != "pending-virus-check":
                notification.updated_at = notification.sent_at = now
            self._notifications.append(notification)
            self._by_id[notification.id] = notification
        return notification

    def _created_response(self, notification: _Notification) -> dict[str, Any]:
        template = notification.template
        return {
            "id": notification.id,
            "reference": notification.reference,
            "uri": f"{self.base_url}/v2/notifications/{notification.id}",
            "template": {
                "id": template.id,
                "version": template.version,
                "uri": f"{self.base_url}/services/{self.service_id}/templates/{template.id}",
            },
            "scheduled_for": None,
        }

    # -- GET /v2/notifications[/{id}[/pdf]] ---------------------------------------------------

    def _get_notification(self, call: _Call, notification_id: str | None) -> _Outcome:
        notification = self._lookup(notification_id)
        return _json_outcome(200, self._serialise(notification))

    def _get_pdf(self, call: _Call, notification_id: str | None) -> _Outcome:
        notification = self._lookup(notification_id)
        if notification.type != LETTER:
            raise _bad_request("Notification is not a letter")
        if notification.status == "virus-scan-failed":
            raise _bad_request("File did not pass the virus scan")
        if notification.status == "technical-failure":
            raise _bad_request(f"PDF not available for letters in status {notification.status}")
        if notification.status == "pending-virus-check" or notification.pdf is None:
            raise _v2_error(400, "PDFNotReadyError", "PDF not available yet, try again later")
        return _Outcome(status=200, body=notification.pdf, content_type="application/pdf")

    def _lookup(self, notification_id: str | None) -> _Notification:
        if _is_uuid(notification_id) is not None:
            raise _validation_error(["notification_id is not a valid UUID"])
        with self._lock:
            notification = self._by_id.get(str(uuid.UUID(cast(str, notification_id))))
        if notification is None:
            raise _v2_error(404, "NoResultFound", "No result found")
        return notification

    def _list_notifications(self, call: _Call, _arg: str | None) -> _Outcome:
        query = call.query
        statuses = query.get("status", [])
        template_types = query.get("template_type", [])
        reference = query.get("reference", [None])[0]
        older_than = query.get("older_than", [None])[0]
        include_jobs = query.get("include_jobs", [None])[0]

        messages = [
            f"status {status} is not one of [{', '.join(STATUS_FILTERS)}]"
            for status in statuses
            if status not in STATUS_FILTERS
        ]
        messages += [
            f"template_type {template_type} is not one of [{', '.join(TEMPLATE_TYPES)}]"
            for template_type in template_types
            if template_type not in TEMPLATE_TYPES
        ]
        if include_jobs is not None and include_jobs not in ("true", "True"):
            messages.append(f"include_jobs {include_jobs} is not one of [true, True]")
        if older_than is not None and _is_uuid(older_than) is not None:
            messages.append("older_than is not a valid UUID")
        allowed = ("reference", "status", "template_type", "include_jobs", "older_than")
        unexpected = [name for name in query if name not in allowed]
        if unexpected:
            verb = "was" if len(unexpected) == 1 else "were"
            messages.append(
                f"Additional properties are not allowed ({', '.join(unexpected)} {verb} unexpected)"
            )
        if messages:
            raise _validation_error(messages)

        wanted_statuses = {
            stored
            for status in statuses
            for stored in _STATUS_FILTER_EXPANSIONS.get(status, (status,))
        }
        key_type = call.api_key.key_type
        with self._lock:
            older_than_sequence: int | None = None
            if older_than is not None:
                anchor = self._by_id.get(str(uuid.UUID(older_than)))
                # Notify compares creation times with that message's: an unknown id gives none.
                older_than_sequence = anchor.sequence if anchor else -1
            matching = [
                notification
                for notification in reversed(self._notifications)
                # A key lists only messages sent with keys of its own type.
                if notification.key_type == key_type
                and (not wanted_statuses or notification.status in wanted_statuses)
                and (not template_types or notification.type in template_types)
                and (reference is None or notification.reference == reference)
                and (older_than_sequence is None or notification.sequence < older_than_sequence)
            ]
            page = matching[: self.page_size]
            serialised = [self._serialise(notification) for notification in page]

        data: dict[str, Any] = {}
        for name in query:
            data[name] = query[name] if name in ("status", "template_type") else query[name][0]
        links = {"current": self._list_url(data)}
        if page:
            links["next"] = self._list_url({**data, "older_than": page[-1].id})
        return _json_outcome(200, {"notifications": serialised, "links": links})

    def _list_url(self, data: Mapping[str, Any]) -> str:
        query = urlencode(data, doseq=True)
        return f"{self.base_url}/v2/notifications" + (f"?{query}" if query else "")

    def _serialise(self, notification: _Notification) -> dict[str, Any]:
        """Notification.serialize_with_cost_data in notifications-api (billing left out)."""
        template = notification.template
        completed_at = None
        if notification.status in _COMPLETED_STATUSES:
            completed_at = _format_time(notification.updated_at)
        data: dict[str, Any] = {
            "id": notification.id,
            "reference": notification.reference,
            "email_address": notification.to if notification.type == EMAIL else None,
            "phone_number": notification.to if notification.type == SMS else None,
            "line_1": None,
            "line_2": None,
            "line_3": None,
            "line_4": None,
            "line_5": None,
            "line_6": None,
            "postcode": None,
            "type": notification.type,
            "status": notification.api_status,
            "template": {
                "version": template.version,
                "id": template.id,
                "uri": f"{self.base_url}/v2/template/{template.id}/version/{template.version}",
            },
            "body": notification.body,
            "subject": notification.subject,
            "created_at": _format_time(notification.created_at),
            "created_by_name": None,
            "sent_at": _format_time(notification.sent_at),
            "completed_at": completed_at,
            "scheduled_for": None,
            "postage": notification.postage,
            "one_click_unsubscribe_url": notification.one_click_unsubscribe_url,
            # The fake does no billing: emails are free, as in Notify; the rest is "not ready".
            "cost_details": {},
            "cost_in_pounds": 0.0 if notification.type == EMAIL else None,
            "is_cost_data_ready": notification.type == EMAIL,
        }
        if notification.type == LETTER:
            values = {_key(name): value for name, value in notification.personalisation.items()}
            for field_name, address_key in zip(
                ("line_1", "line_2", "line_3", "line_4", "line_5", "line_6", "postcode"),
                _ADDRESS_KEYS,
                strict=True,
            ):
                data[field_name] = values.get(_key(address_key))
        return data


# ---------------------------------------------------------------------------------------------
# HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeNotify) -> None:
        super().__init__(("127.0.0.1", fake.port), _RequestHandler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (a timeout test) is not a failure of the fake.
        pass


class _RequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so stopping the server leaves no idle keep-alive
    # connection behind, and a dropped response can only be the one in flight.
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        fake = cast(_Server, self.server).fake
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        outcome = fake._respond(self.command, self.path, headers, raw_body)
        if outcome.delay:
            time.sleep(outcome.delay)
        if outcome.drop:
            # Nothing written: the socket closes and the client sees the connection go.
            self.close_connection = True
            return
        self.send_response(outcome.status)
        self.send_header("Content-Type", outcome.content_type)
        self.send_header("Content-Length", str(len(outcome.body)))
        for name, value in outcome.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(outcome.body)

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet: the requests are in FakeNotify.requests.
        pass


__all__ = ["FakeNotify", "FakeTemplate", "RecordedRequest"]


def main() -> None:
    """Run the fake on its own, to try the service with Notify switched on (README "GOV.UK
    Notify"): prints the settings to export before ``make run``."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=6011)
    args = parser.parse_args()
    fake = FakeNotify(port=args.port).start()
    settings = {
        "NOTIFY_API_KEY": fake.api_key("phase-transfer-demo"),
        "NOTIFY_BASE_URL": fake.base_url,
        "NOTIFY_TEMPLATE_EMAIL": fake.register_template(None, EMAIL, "((subject))", "((body))"),
        "NOTIFY_TEMPLATE_SMS": fake.register_template(None, SMS, None, "((body))"),
    }
    for name, value in settings.items():
        print(f"export {name}={value}")
    print(f"# fake GOV.UK Notify listening on {fake.base_url}; Ctrl-C stops it", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
