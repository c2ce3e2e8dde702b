"""Form helpers every stage shares."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from phasetransfer.models import Setting


def set_choices(form: forms.BaseForm, name: str, choices: Iterable[tuple[Any, Any]]) -> None:
    """Give a choice field of ``form`` its choices, known only when the form is made."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField), name
    field.choices = list(choices)


def setting_for_urn(urn: int) -> Setting:
    """The school or college with this URN; a form error naming the URN otherwise."""
    setting = Setting.objects.filter(urn=urn).first()
    if setting is None:
        raise forms.ValidationError(f"No school or college has URN {urn}")
    return setting
