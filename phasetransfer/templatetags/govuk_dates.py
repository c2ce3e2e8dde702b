"""Dates and times as GOV.UK writes them: "12 December 2026, 5pm", "9:30am", "midday".

Django's "a" format gives "p.m.", which reads oddly and doubles the full stop at the end of
a sentence ("5:00p.m..").
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from phasetransfer.core import geo

register = template.Library()


def govuk_time_text(moment: dt.datetime) -> str:
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    if (local.hour, local.minute) == (12, 0):
        return "midday"
    if (local.hour, local.minute) == (0, 0):
        return "midnight"
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d}{suffix}"


@register.filter
def govuk_datetime(value: dt.datetime | None) -> str:
    """'12 December 2026, 5pm'; blank for no value."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{local.day} {local:%B %Y}, {govuk_time_text(value)}"


@register.filter
def miles(km: float | None) -> float | None:
    """Kilometres as the miles families read."""
    return None if km is None else geo.km_to_miles(km)
