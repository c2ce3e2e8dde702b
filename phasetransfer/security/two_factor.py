"""The second factor's devices, where an account is sent to give it, and the demo's device.

Who must give one is decided in ``phasetransfer.core.access`` (``requires_two_factor``).
"""

from __future__ import annotations

import time
from base64 import b32encode
from binascii import unhexlify
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

# The demo's TOTP secret, published in docs/security.md on purpose: it only ever applies
# to synthetic accounts of the reserved demo domain, and only when DEBUG is on outside
# production (settings.OTP_DEMO_EMAIL_DOMAIN is empty otherwise).
DEMO_TOTP_KEY_HEX = "7068617365207472616e736665722064656d6f21"  # b"phase transfer demo!"
DEMO_DEVICE_NAME = "Demo authenticator (synthetic account)"


def confirmed_devices(user: Any) -> list[TOTPDevice]:
    return list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id"))


def two_factor_url(request: HttpRequest) -> str:
    """The step this user must do next (set up an authenticator, or give a code)."""
    user = request.user
    demo_device_for(user)
    has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    name = "two-factor-verify" if has_device else "two-factor-setup"
    return f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}"


# --- The demo -------------------------------------------------------------------------


def is_demo_account(user: Any) -> bool:
    domain = settings.OTP_DEMO_EMAIL_DOMAIN
    if not (domain and settings.DEBUG and settings.DEPLOYMENT != "production"):
        return False
    return str(getattr(user, "email", "")).lower().endswith("@" + domain.lower())


def demo_device_for(user: Any) -> TOTPDevice | None:
    """The demo account's confirmed device with the published secret (made on first use)."""
    if not is_demo_account(user):
        return None
    with transaction.atomic():
        device, _created = TOTPDevice.objects.get_or_create(
            user=user,
            name=DEMO_DEVICE_NAME,
            defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True},
        )
    return device


def code_now(device: TOTPDevice) -> str:
    """A code ``device`` accepts now (shown on the code page for demo accounts only).

    A code is good once: after signing in, this step's code is spent until the next 30
    seconds. The device accepts the next step's code already (its tolerance), so that is
    the one to give, and signing in twice within 30 seconds works.
    """
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    current = totp.t()
    if device.last_t is not None and device.last_t >= current and device.tolerance >= 1:
        totp.time += (device.last_t + 1 - current) * device.step
    return f"{totp.token():0{device.digits}d}"


def demo_secret_base32() -> str:
    return b32encode(unhexlify(DEMO_TOTP_KEY_HEX)).decode("ascii")
