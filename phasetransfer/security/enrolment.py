"""Before an account's first authenticator app is added, prove it owns its email address.

Without this step, whoever first signed in with a new staff account's password would add
their own app (trust on first use): a phished or guessed password before the owner's
first sign-in would be enough for full access to many children's records. A 6-digit code
sent to the account's address closes that gap: setting up the app needs the password
and the mailbox.

The code lives in the signed-in session only as a keyed hash (``salted_hmac`` with the
secret key), for 15 minutes and 5 tries; a new code replaces the old one. At most 5 codes
a day go to one account, so guessing is bounded at 25 tries a day (of a million codes),
and every code email tells the owner to act if they did not ask for it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.template.loader import render_to_string
from django.utils.crypto import constant_time_compare, salted_hmac

from phasetransfer.core import clock
from phasetransfer.core.outbox import email_enqueue
from phasetransfer.models import OutboundEmail

SESSION_KEY = "two_factor_enrolment"
EMAIL_KIND = "two_factor_enrolment"
CODE_LIFETIME = dt.timedelta(minutes=15)
MAX_TRIES = 5
RESEND_AFTER = dt.timedelta(seconds=60)
MAX_CODES_PER_DAY = 5


def _digest(user: Any, code: str) -> str:
    return salted_hmac("phasetransfer.two-factor-enrolment", f"{user.pk}:{code}").hexdigest()


def _state(session: SessionBase, user: Any) -> dict[str, Any] | None:
    state = session.get(SESSION_KEY)
    return state if state and state.get("user") == user.pk else None


def enrolment_email_confirmed(session: SessionBase, user: Any) -> bool:
    state = _state(session, user)
    return bool(state and state.get("confirmed"))


def enrolment_code_live(session: SessionBase, user: Any, now: dt.datetime | None = None) -> bool:
    """A code was sent, can still be used, and has tries left."""
    state = _state(session, user)
    moment = (now or clock.now()).timestamp()
    return bool(state and state["expires"] > moment and state["tries"] < MAX_TRIES)


def enrolment_code_send(session: SessionBase, user: Any, now: dt.datetime | None = None) -> str:
    """Email a new code: an empty string if it went, otherwise why not (to tell the user)."""
    moment = now or clock.now()
    state = _state(session, user)
    if state and moment.timestamp() - state["sent"] < RESEND_AFTER.total_seconds():
        return "We sent a code less than a minute ago: check your email"
    sent_today = OutboundEmail.objects.filter(
        kind=EMAIL_KIND, to=user.email, created_at__gt=moment - dt.timedelta(days=1)
    ).count()
    if sent_today >= MAX_CODES_PER_DAY:
        return (
            f"We have sent {MAX_CODES_PER_DAY} codes to this account today. Use the newest, "
            "or ask an administrator for help"
        )
    code = f"{secrets.randbelow(10**6):06d}"
    session[SESSION_KEY] = {
        "user": user.pk,
        "digest": _digest(user, code),
        "sent": moment.timestamp(),
        "expires": (moment + CODE_LIFETIME).timestamp(),
        "tries": 0,
        "confirmed": False,
    }
    body = render_to_string(
        "phasetransfer/security/emails/two_factor_enrolment.txt",
        {
            "code": code,
            "minutes": int(CODE_LIFETIME.total_seconds() // 60),
            "local_authority_name": settings.LOCAL_AUTHORITY_NAME,
        },
    )
    email_enqueue(
        key=f"{EMAIL_KIND}:{user.pk}:{moment.isoformat()}",
        kind=EMAIL_KIND,
        to=user.email,
        subject="Your code to set up two-factor sign-in",
        body=body,
        now=moment,
    )
    return ""


def enrolment_code_check(
    session: SessionBase, user: Any, code: str, now: dt.datetime | None = None
) -> str:
    """An empty string if ``code`` is the one emailed; otherwise what to tell the user."""
    state = _state(session, user)
    if state is None:
        return "Send a code to your email address first"
    if state["tries"] >= MAX_TRIES:
        return "Too many wrong codes. Send a new code to your email address"
    if state["expires"] <= (now or clock.now()).timestamp():
        return "This code has expired. Send a new code to your email address"
    state["tries"] += 1
    if not constant_time_compare(state["digest"], _digest(user, code)):
        session[SESSION_KEY] = state
        return "The code is not right. Enter the code from the newest email"
    state["confirmed"] = True
    session[SESSION_KEY] = state
    return ""


def enrolment_finished(session: SessionBase) -> None:
    """The app is set up: the emailed code has done its job."""
    session.pop(SESSION_KEY, None)
