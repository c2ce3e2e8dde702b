from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | str | None, places: int = 1) -> str:
    """0.437 -> '43.7%'; blank for no value."""
    if value is None or value == "":
        return ""
    return f"{float(value) * 100:.{int(places)}f}%"
