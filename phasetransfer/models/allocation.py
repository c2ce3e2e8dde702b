"""The allocation policy officers set per round, each run of the model, and its proposals."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q


def default_rank_weights() -> list[int]:
    return [0, 60, 120, 180, 240, 300, 360, 420, 480, 540]


def default_annual_costs() -> dict[str, int]:
    """Typical annual costs to a council (pounds): top-up funding for maintained places,
    fees for independent and non-maintained ones. Councils set their own."""
    return {
        "mainstream": 6000,
        "resourced": 12000,
        "special": 24000,
        "college": 9000,
        "independent": 60000,
    }


class Objective(models.TextChoices):
    RANKS = "ranks", "Families' order first (rank-maximal)"
    COST = "cost", "Least total cost (preference weights, distance and cost bands in one sum)"


class OversubscriptionRule(models.TextChoices):
    """Who comes first when a setting has more claims at the same preference than places.

    Published to families (the allocation page and the family's outcome page), so the
    wording is what they read.
    """

    NEEDS_LOOKED_AFTER_DISTANCE = (
        "needs_lac_distance",
        "Children whose needs can only be met at that setting, as the setting said when "
        "consulted; then looked-after and previously looked-after children; then the "
        "children who live nearest",
    )
    LOOKED_AFTER_DISTANCE = (
        "lac_distance",
        "Looked-after and previously looked-after children; then the children who live nearest",
    )
    DISTANCE = "distance", "The children who live nearest"


class ConditionalPlaces(models.TextChoices):
    """How a post-16 conditional offer holds places (issue 19)."""

    EACH_BRANCH = "each_branch", "Hold a place in each branch's setting"
    LIKELY_BRANCH = "likely_branch", "Hold a place in the likely branch's setting, plus a margin"


class AllocationPolicy(models.Model):
    """How the model weighs a family's order, distance and cost. Officers can see and change it.

    The cost of an option is: the weight of its rank + cost per km x straight-line distance +
    the setting's cost band. Lower is better. Leaving a child unplaced costs far more than
    any option, so the model only does it when there is truly no room.
    """

    round = models.OneToOneField(
        "phasetransfer.Round", on_delete=models.CASCADE, related_name="allocation_policy"
    )
    rank_weights = models.JSONField(
        default=default_rank_weights,
        help_text="Cost added for the 1st, 2nd, 3rd... preference (first usually 0).",
    )
    fallback_weight = models.PositiveIntegerField(
        default=600,
        help_text="Cost added for the nearest suitable setting the family did not name.",
    )
    cost_per_km = models.PositiveIntegerField(default=4)
    band_mainstream = models.PositiveIntegerField(default=0)
    band_resourced = models.PositiveIntegerField(default=20)
    band_special = models.PositiveIntegerField(default=40)
    band_college = models.PositiveIntegerField(default=0)
    band_independent = models.PositiveIntegerField(
        default=250, help_text="Independent and non-maintained places: fees and transport."
    )
    unplaced_cost = models.PositiveIntegerField(default=100000)
    objective = models.CharField(
        max_length=5,
        choices=Objective.choices,
        default=Objective.RANKS,
        help_text="Families' order first is what the law asks (s39(4)); least total cost "
        "is kept for comparison.",
    )
    oversubscription_rule = models.CharField(
        max_length=20,
        choices=OversubscriptionRule.choices,
        default=OversubscriptionRule.NEEDS_LOOKED_AFTER_DISTANCE,
    )
    independent_threshold = models.PositiveIntegerField(
        "Cost difference that refuses an independent preference (pounds a year)",
        default=15000,
        help_text="An independent or non-maintained preference is refused on cost only when "
        "its annual cost to the council (fees and transport) exceeds the council's "
        "alternative for that child by more than this.",
    )
    transport_per_km = models.PositiveIntegerField(
        "Home-to-school transport (pounds a year per km from home)",
        default=450,
        help_text="Used for the annual cost comparison of an independent preference.",
    )
    annual_costs = models.JSONField(
        default=default_annual_costs,
        help_text="The council's annual cost of a place by kind of setting, in pounds "
        "(top-up or fees), where the round's places do not give a fee for the setting.",
    )
    conditional_places = models.CharField(
        "Places for conditional offers",
        max_length=14,
        choices=ConditionalPlaces.choices,
        default=ConditionalPlaces.EACH_BRANCH,
        help_text="A conditional offer names two settings (if the entry requirements are met, "
        "otherwise). Holding a place in each is safe but ties places up until results day; "
        "holding one in the likely branch's setting frees them, with a margin for young people "
        "who land in the other branch.",
    )
    conditional_margin = models.PositiveSmallIntegerField(
        "Margin for the other branch (per cent)",
        default=20,
        help_text="With 'likely branch': the share of conditional offers whose other branch is "
        "a setting for which it also holds a place there (rounded up).",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name_plural = "allocation policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(conditional_margin__lte=100), name="policy_conditional_margin_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Allocation policy for {self.round}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class AllocationRun(models.Model):
    round = models.ForeignKey(
        "phasetransfer.Round", on_delete=models.CASCADE, related_name="allocation_runs"
    )
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=100, blank=True)
    requested_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    policy = models.JSONField(default=dict, help_text="The policy as it was for this run.")
    objective = models.BigIntegerField(null=True, blank=True)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="allocation_run_progress_range"
            ),
            # One run at a time per round: two would race to write proposals.
            models.UniqueConstraint(
                fields=["round"],
                condition=Q(status__in=["queued", "running"]),
                name="allocation_run_one_active_per_round",
            ),
        ]

    def __str__(self) -> str:
        return f"Allocation run {self.pk} ({self.status})"


class Proposal(models.Model):
    """The model's proposed placement for one case in one run, with its reasons."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="proposals")
    case = models.ForeignKey(
        "phasetransfer.Case", on_delete=models.CASCADE, related_name="proposals"
    )
    setting = models.ForeignKey(
        "phasetransfer.Setting", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    preference_rank = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The family's rank of the proposed setting; blank if none."
    )
    is_fallback = models.BooleanField(default=False)
    cost = models.PositiveIntegerField(null=True, blank=True)
    distance_km = models.FloatField(null=True, blank=True)
    rule_group = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The child's group at the proposed setting under the oversubscription "
        "rule (0 comes first); with the distance, the order of claims there.",
    )
    reasons = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["run", "case"]
        constraints = [
            models.UniqueConstraint(fields=["run", "case"], name="proposal_one_per_case_per_run"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} -> {self.setting_id}"


class ConditionalHold(models.Model):
    """The two settings a post-16 case's current conditional offer names, for the places the
    allocation holds (``phasetransfer.allocation.reservation``).

    Panels owns the decision; this is its projection into the allocation stage, which must
    not depend on panels (import-linter), kept by the panel's decision service: written when
    a conditional offer is the case's current decision, removed when it is superseded
    (settled on results day, or changed).
    """

    case = models.OneToOneField(
        "phasetransfer.Case", on_delete=models.CASCADE, related_name="conditional_hold"
    )
    met_setting = models.ForeignKey(
        "phasetransfer.Setting", on_delete=models.PROTECT, related_name="+"
    )
    otherwise_setting = models.ForeignKey(
        "phasetransfer.Setting", on_delete=models.PROTECT, related_name="+"
    )
    likely_met = models.BooleanField(
        default=True, help_text="The panel's judgement: the entry requirements are likely met."
    )

    def __str__(self) -> str:
        return f"conditional hold for {self.case_id}"
