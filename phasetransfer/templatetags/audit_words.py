from __future__ import annotations

from django import template

from phasetransfer.core.audit_words import action_text

register = template.Library()


@register.filter
def audit_action(action: str) -> str:
    """An audit event's action in words ("Preference removed", not preference.removed)."""
    return action_text(action)
