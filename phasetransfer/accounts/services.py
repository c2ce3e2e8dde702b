"""Family accounts: created only through a link sent to the email address.

Whether an email address has an account is never shown on screen: the
registration page always says "check your email", and the email itself says
either "finish creating your account" or "you already have one".
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from phasetransfer.core import clock
from phasetransfer.core.outbox import email_enqueue, site_url
from phasetransfer.models import OutboundEmail, User

TOKEN_SALT = "phasetransfer.account-registration"
TOKEN_MAX_AGE = dt.timedelta(hours=24)
MAX_EMAILS_PER_ADDRESS_PER_DAY = 5


class RegistrationRefused(Exception):
    pass


def _address_key(email: str) -> str:
    # Outbox keys are visible to staff; an address hash keeps them free of personal data.
    return hashlib.sha256(email.encode()).hexdigest()[:24]


def registration_start(*, email: str, now: dt.datetime | None = None) -> None:
    """Send the right email for ``email``; the caller shows the same page either way."""
    moment = now or clock.now()
    address = email.strip().lower()
    day = moment.date().isoformat()
    sent_today = OutboundEmail.objects.filter(
        kind__in=["account_create", "account_exists"], to=address, created_at__date=day
    ).count()
    if sent_today >= MAX_EMAILS_PER_ADDRESS_PER_DAY:
        return  # silently: the page must look the same, and the inbox must not be flooded
    exists = User.objects.filter(email=address).exists()
    context = {
        "local_authority_name": settings.LOCAL_AUTHORITY_NAME,
        "sign_in_url": site_url("login"),
        "reset_url": site_url("password_reset"),
    }
    if exists:
        kind, subject = "account_exists", "You already have an account"
    else:
        token = signing.dumps({"email": address}, salt=TOKEN_SALT)
        context["confirm_url"] = site_url("account-confirm", token)
        kind, subject = "account_create", "Finish creating your account"
    email_enqueue(
        key=f"{kind}:{_address_key(address)}:{moment.isoformat()}",
        kind=kind,
        to=address,
        subject=subject,
        body=render_to_string(f"phasetransfer/accounts/emails/{kind}.txt", context),
        now=moment,
    )


def registration_email(token: str) -> str:
    """The email address a confirmation link was sent to. Raises RegistrationRefused."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        raise RegistrationRefused("This link has expired. Start again to get a new one.") from None
    except signing.BadSignature:
        raise RegistrationRefused("This link is not valid. Start again to get a new one.") from None
    return str(data["email"])


def registration_complete(*, token: str, password: str) -> User:
    email = registration_email(token)
    user = User(email=email)
    validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise RegistrationRefused(
            "An account already exists for this email address. Sign in instead."
        ) from None
    return user
