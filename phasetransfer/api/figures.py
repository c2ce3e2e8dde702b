"""A round's figures for the API: the numbers of the round figures page, as JSON.

The definitions are the co-ordination team's (``phasetransfer.coordination.figures`` and
docs/coordination.md): one set of rules for the page and the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework import serializers

from phasetransfer.coordination.figures import (
    KENT_APPEAL_RATE,
    KENT_INDEPENDENT_SHARE,
    RoundFigures,
)


def _share() -> serializers.FloatField:
    return serializers.FloatField(
        allow_null=True,
        min_value=0.0,
        max_value=1.0,
        help_text="0 to 1; null when there is nothing to share.",
    )


class AnsweredSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        help_text="Decisions released before the deadline ended; a conditional offer counts "
        "(after)."
    )
    share = _share()
    deadline = serializers.DateField(help_text="The statutory deadline (reg 18).")
    kent_share = _share()
    answered_conditionally = serializers.IntegerField(
        help_text="Of those, answers that were post-16 conditional offers (released before "
        "the deadline, whenever they were settled)."
    )
    count_without_conditional = serializers.IntegerField(
        help_text="Before: the count less the answers still conditional at the deadline, as "
        "the old process would have reported it."
    )
    share_without_conditional = _share()
    decided = serializers.IntegerField(
        help_text="Cohort cases with a current final panel decision (a conditional offer "
        "too, released or not)."
    )
    decided_answered = serializers.IntegerField(
        help_text="Of the decided cases, those answered by the deadline."
    )
    share_of_decided = _share()


class ConditionalOffersSerializer(serializers.Serializer):
    """Post-16 conditional offers (docs/coordination.md); all 0 for a round without any."""

    made = serializers.IntegerField(
        help_text="Cohort cases with a conditional offer in a published release."
    )
    awaiting_release = serializers.IntegerField(
        help_text="Cohort cases whose current decision is conditional, not yet released."
    )
    results_day = serializers.DateField(allow_null=True)
    settled = serializers.IntegerField(help_text="Made, and settled: met or not met.")
    met = serializers.IntegerField()
    not_met = serializers.IntegerField()
    settled_on_results_day = serializers.IntegerField(
        help_text="Settled by a decision taken on results day (London date)."
    )
    settled_on_results_day_share = _share()
    settled_since_results_day = serializers.IntegerField()
    replaced = serializers.IntegerField(
        help_text="Changed by another decision without being settled (mediation, tribunal)."
    )
    still_open = serializers.IntegerField(
        help_text="Made before the start of term and neither settled nor replaced by then "
        "(by now, before it: still open so far)."
    )
    still_open_share = _share()
    by = serializers.DateField(help_text="1 September of the entry year: the start of term.")
    final = serializers.BooleanField(help_text="False before the start of term: open so far.")


class PlacedSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        help_text="Cohort cases whose latest release, published on or before 1 September of "
        "the entry year, is an offer naming a setting."
    )
    share = _share()
    remaining = serializers.IntegerField(help_text="Cohort cases still being found a place.")
    by = serializers.DateField(help_text="1 September of the entry year.")
    final = serializers.BooleanField(help_text="False before that day: placed so far.")
    kent_share = _share()


class PreferencesMetSerializer(serializers.Serializer):
    decided_with_preferences = serializers.IntegerField()
    first = serializers.IntegerField()
    first_share = _share()
    any = serializers.IntegerField()
    any_share = _share()


class AppealOutcomesSerializer(serializers.Serializer):
    """Appeals lodged, by outcome."""

    dismissed = serializers.IntegerField()
    conceded = serializers.IntegerField()
    upheld = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    pending = serializers.IntegerField()


class MediationOutcomesSerializer(serializers.Serializer):
    """Mediations, by outcome (``awaiting``: agreed, the change awaits an officer's approval)."""

    agreed = serializers.IntegerField()
    awaiting = serializers.IntegerField()
    not_agreed = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    pending = serializers.IntegerField()


class AppealsSerializer(serializers.Serializer):
    lodged = serializers.IntegerField(help_text="SEND Tribunal appeals of cohort cases.")
    rate = serializers.FloatField(
        allow_null=True, min_value=0.0, help_text="Appeals lodged per cohort case."
    )
    kent_rate = _share()
    independent_requested = serializers.IntegerField()
    independent_share = _share()
    kent_independent_share = _share()
    outcomes = AppealOutcomesSerializer()


class MediationsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    concluded = serializers.IntegerField(help_text="Agreed, not agreed or withdrawn.")
    open = serializers.IntegerField()
    changed_decision = serializers.IntegerField()
    changed_share = _share()
    outcomes = MediationOutcomesSerializer()


class AppealedStateSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        help_text="Cases in the appealed state: mediation asked for, an appeal intended or lodged."
    )
    released = serializers.IntegerField()
    share = _share()


class RoundFiguresSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    as_at = serializers.DateTimeField()
    cohort = serializers.IntegerField(help_text="The round's cases, less withdrawn ones.")
    withdrawn = serializers.IntegerField()
    preferences_by_close = serializers.IntegerField()
    preferences_by_close_share = _share()
    answered_by_deadline = AnsweredSerializer()
    placed = PlacedSerializer()
    preferences_met = PreferencesMetSerializer()
    consultations_overdue = serializers.IntegerField()
    appeals = AppealsSerializer()
    mediations = MediationsSerializer()
    appealed_state = AppealedStateSerializer()
    conditional_offers = ConditionalOffersSerializer()


def figures_data(figures: RoundFigures, *, now: dt.datetime) -> dict[str, Any]:
    after = figures.after
    conditional = figures.conditional
    return {
        "round": figures.round.pk,
        "as_at": now,
        "cohort": figures.cohort,
        "withdrawn": figures.withdrawn,
        "preferences_by_close": figures.engaged_by_close,
        "preferences_by_close_share": figures.engaged_by_close_share,
        "answered_by_deadline": {
            "count": figures.answered_by_deadline,
            "share": figures.answered_share,
            "deadline": figures.round.statutory_deadline,
            "kent_share": figures.kent_answered,
            "answered_conditionally": conditional.answered_conditionally,
            "count_without_conditional": figures.answered_without_conditional,
            "share_without_conditional": figures.answered_without_conditional_share,
            "decided": figures.decided,
            "decided_answered": figures.answered_decided,
            "share_of_decided": figures.answered_decided_share,
        },
        "placed": {
            "count": after.placed,
            "share": figures.placed_share,
            "remaining": figures.remaining,
            "by": after.school_year_starts_on,
            "final": after.placed_final,
            "kent_share": figures.kent_placed,
        },
        "preferences_met": {
            "decided_with_preferences": figures.decided_with_preferences,
            "first": figures.first_preference,
            "first_share": figures.first_preference_share,
            "any": figures.any_preference,
            "any_share": figures.any_preference_share,
        },
        "consultations_overdue": figures.consultations_overdue,
        "appeals": {
            "lodged": after.appeals_lodged,
            "rate": figures.appeal_rate,
            "kent_rate": KENT_APPEAL_RATE,
            "independent_requested": after.appeals_independent,
            "independent_share": after.independent_share,
            "kent_independent_share": KENT_INDEPENDENT_SHARE,
            "outcomes": {result.value: n for result, n in after.appeal_outcomes},
        },
        "mediations": {
            "total": after.mediations,
            "concluded": after.mediations_concluded,
            "open": after.mediations_open,
            "changed_decision": after.mediations_changed,
            "changed_share": after.mediation_changed_share,
            "outcomes": {result.value: n for result, n in after.mediation_outcomes},
        },
        "appealed_state": {
            "count": figures.appeals,
            "released": figures.released,
            "share": figures.appeal_share,
        },
        "conditional_offers": {
            "made": conditional.made,
            "awaiting_release": conditional.awaiting_release,
            "results_day": conditional.results_day,
            "settled": conditional.settled,
            "met": conditional.met,
            "not_met": conditional.not_met,
            "settled_on_results_day": conditional.settled_on_results_day,
            "settled_on_results_day_share": conditional.settled_on_results_day_share,
            "settled_since_results_day": conditional.settled_since_results_day,
            "replaced": conditional.replaced,
            "still_open": conditional.still_open,
            "still_open_share": conditional.still_open_share,
            "by": after.school_year_starts_on,
            "final": conditional.open_final,
        },
    }
