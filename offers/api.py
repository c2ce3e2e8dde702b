"""Offers' API endpoints (mounted under /api/v1/ by the root URLs): what families were told.

Everything here is the published record (``Release``): the decision and the letter each
release fixed, never the live decision, so the API, the family's page and the PDF agree.
Nothing about a case's outcome leaves before the round's SEN offer day: ``outcome_visible``
(the one rule, against the server clock) guards every field that could tell it, the case's
state included, and the ``state`` filter only looks at rounds whose moment has come.
Decisions before offer day are the panels' endpoint's, behind its own scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from offers.models import FamilyResponse, Release
from phasetransfer.api.base import ApiListView
from phasetransfer.api.filters import CaseFilters, filter_cases
from phasetransfer.api.scopes import Scope
from phasetransfer.core import clock
from phasetransfer.core.visibility import outcome_visible
from phasetransfer.models import Case


def offers_visible(*, scopes: frozenset[Scope]) -> QuerySet[Case]:
    """Cases with what offer day needs to show; none without ``offers:read``."""
    if Scope.OFFERS_READ not in scopes:
        return Case.objects.none()
    releases = (
        Release.objects.filter(completed_at__isnull=False)
        .select_related("decision__setting", "letter")
        .defer("letter__html", "letter__pdf")  # the content never leaves here; do not load it
        .order_by("number")
    )
    responses = FamilyResponse.objects.order_by("-responded_at", "-id").defer("comments")
    return (
        Case.objects.select_related("round")
        .prefetch_related(
            Prefetch("releases", queryset=releases, to_attr="published"),
            Prefetch("family_responses", queryset=responses, to_attr="responses"),
        )
        .order_by("pk")
    )


def offers_changed_since(since: dt.datetime) -> Q:
    """Released (or amended), or the family answered, at or after ``since`` (letters rendered
    ahead of offer day do not count: that would tell an offers-only client when a case was
    decided)."""
    released = Release.objects.filter(case=OuterRef("pk"), completed_at__gte=since)
    answered = FamilyResponse.objects.filter(case=OuterRef("pk"), responded_at__gte=since)
    return Q(Exists(released)) | Q(Exists(answered))


class OfferSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["offer", "no_decision"])
    setting_urn = serializers.IntegerField(allow_null=True)
    setting_name = serializers.CharField(allow_null=True)
    setting_type = serializers.CharField(allow_blank=True)


class LetterMetaSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["offer", "no_decision"])
    template_version = serializers.IntegerField()
    rendered_at = serializers.DateTimeField()
    sha256 = serializers.CharField(help_text="Of the PDF the family can download.")


class FamilyAnswerSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=FamilyResponse.Answer.choices)
    wants_independent = serializers.BooleanField()
    responded_at = serializers.DateTimeField()


class CaseOfferSerializer(serializers.Serializer):
    case = serializers.CharField()
    round = serializers.IntegerField()
    offer_day_at = serializers.DateTimeField(allow_null=True)
    outcome_visible = serializers.BooleanField(
        help_text="False before SEN offer day: then every field below is null."
    )
    state = serializers.CharField(
        allow_null=True, help_text="The case's state; null before SEN offer day."
    )
    released_at = serializers.DateTimeField(
        allow_null=True, help_text="When the family was first told (offer day)."
    )
    release_number = serializers.IntegerField(
        allow_null=True,
        help_text="The latest published release: 1 is offer day; more means the outcome "
        "changed and the family was told again.",
    )
    amended_at = serializers.DateTimeField(
        allow_null=True, help_text="When the latest amended release was published, if any."
    )
    offer = OfferSerializer(allow_null=True)
    letter = LetterMetaSerializer(allow_null=True)
    family_response = FamilyAnswerSerializer(allow_null=True)


def _offer(release: Release) -> dict[str, Any]:
    decision = release.decision
    if release.kind != "offer" or decision is None:
        return {
            "kind": "no_decision",
            "setting_urn": None,
            "setting_name": None,
            "setting_type": "",
        }
    setting = decision.setting
    return {
        "kind": "offer",
        "setting_urn": setting.urn if setting else None,
        "setting_name": setting.name if setting else None,
        "setting_type": decision.setting_type,
    }


def case_offer(case: Case, now: dt.datetime) -> dict[str, Any]:
    """One case as the offers endpoint shows it; outcome fields only from offer day on, and
    only as published."""
    visible = outcome_visible(case, now)
    published: list[Release] = getattr(case, "published", []) if visible else []
    latest = published[-1] if published else None
    responses: list[FamilyResponse] = getattr(case, "responses", [])
    answer = responses[0] if responses and visible else None
    letter = latest.letter if latest is not None else None
    return {
        "case": case.reference,
        "round": case.round_id,
        "offer_day_at": case.round.offer_day_at,
        "outcome_visible": visible,
        "state": case.state if visible else None,
        "released_at": published[0].completed_at if published else None,
        "release_number": latest.number if latest else None,
        "amended_at": latest.completed_at if latest and latest.is_amended else None,
        "offer": _offer(latest) if latest else None,
        "letter": (
            {
                "kind": letter.kind,
                "template_version": letter.template_version,
                "rendered_at": letter.rendered_at,
                "sha256": latest.letter_sha256,
            }
            if latest is not None and letter is not None
            else None
        ),
        "family_response": (
            {
                "answer": answer.answer,
                "wants_independent": answer.wants_independent,
                "responded_at": answer.responded_at,
            }
            if answer is not None
            else None
        ),
    }


@extend_schema(parameters=[CaseFilters], responses=CaseOfferSerializer(many=True))
class OfferList(ApiListView):
    """Each case's offer-day outcome: released when, what was offered, the letter, the answer."""

    required_scopes = (Scope.OFFERS_READ,)
    serializer_class = CaseOfferSerializer
    filter_class = CaseFilters
    audit_kind = "cases"

    def get_queryset(self) -> QuerySet[Case]:
        filters = self.filters()
        cases = filter_cases(offers_visible(scopes=self.scopes()), filters)
        if filters.get("state"):
            # A state filter must not tell an offer from "no decision" before the moment.
            cases = cases.filter(round__offer_day_at__lte=clock.now())
        if "updated_since" in filters:
            cases = cases.filter(offers_changed_since(filters["updated_since"]))
        return cases

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        now = clock.now()
        page = self.paginate_queryset(self.get_queryset()) or []
        data = CaseOfferSerializer([case_offer(c, now) for c in page], many=True).data
        return self.get_paginated_response(data)


urlpatterns: list[URLPattern] = [
    path("offers/", OfferList.as_view(), name="api-offers"),
]
