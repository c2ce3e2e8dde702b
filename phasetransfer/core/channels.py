"""Which ways a message of a kind reaches a contact: the one place that decides.

Email when the contact has an address. A text message as well, for the kinds that are
only a nudge to sign in (no name, no outcome: the same content rules as email), when the
contact has a mobile number and GOV.UK Notify is switched on. A posted letter through
Notify for offer day, for a family with no email address (or every family, where the
council sets ``NOTIFY_LETTERS=all``); without Notify, letters are printed in batches.
"""

from __future__ import annotations

from django.conf import settings

from phasetransfer.core.notify import notify_enabled
from phasetransfer.models import Channel

# Kinds whose text message says only "sign in": reminders to name schools, and "your
# outcome is ready" (or "has changed") on offer day.
TEXT_KINDS = frozenset({"reminder", "offer_day"})


def channels_for(kind: str, *, email: str, mobile: str) -> list[str]:
    """The electronic channels (email, text) for a message of ``kind`` to this contact."""
    channels: list[str] = []
    if email:
        channels.append(Channel.EMAIL)
    if mobile and kind in TEXT_KINDS and notify_enabled():
        channels.append(Channel.SMS)
    return channels


def letter_by_notify(*, has_email: bool) -> bool:
    """Whether offer day's letter goes to Notify to print and post (else: a print batch)."""
    if not notify_enabled():
        return False
    return settings.NOTIFY_LETTERS == "all" or not has_email


def is_uk_mobile(number: str) -> bool:
    """A UK mobile number as Notify takes one: 07 and 9 digits, or +44 7 and 9 digits."""
    digits = "".join(c for c in number if c.isdigit())
    if number.strip().startswith("+"):
        return digits.startswith("447") and len(digits) == 12
    return digits.startswith("07") and len(digits) == 11
