"""Form helpers every stage shares."""

from __future__ import annotations

from django import forms

from phasetransfer.models import Setting


def setting_for_urn(urn: int) -> Setting:
    """The school or college with this URN; a form error naming the URN otherwise."""
    setting = Setting.objects.filter(urn=urn).first()
    if setting is None:
        raise forms.ValidationError(f"No school or college has URN {urn}")
    return setting
