"""Reads of the family journey."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from phasetransfer.models import Setting


def settings_search(*, query: str, limit: int = 20) -> QuerySet[Setting]:
    """Settings whose name or town contains ``query``, or whose postcode starts with it."""
    text = " ".join(query.split())
    if len(text) < 2:
        return Setting.objects.none()
    matches = Q(name__icontains=text) | Q(town__icontains=text) | Q(postcode__istartswith=text)
    return Setting.objects.filter(matches).order_by("name")[:limit]
