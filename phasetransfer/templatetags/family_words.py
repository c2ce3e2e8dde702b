"""Words for the family's own pages: a young person reads about themselves."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def whose(first_name: str, is_young_person: bool) -> SafeString:
    """'your' to the young person themselves; "Zara's" to a parent or carer (the name
    escaped, the apostrophe left as it is)."""
    return mark_safe("your") if is_young_person else format_html("{}'s", first_name)


@register.filter
def whose_title(first_name: str, is_young_person: bool) -> SafeString:
    """The same at the start of a sentence or a heading."""
    return mark_safe("Your") if is_young_person else format_html("{}'s", first_name)
