"""After offer day: mediation and SEND Tribunal appeals, with their statutory timescales.

Mediation (SEND Regulations 2014, regs 32-42): the council arranges it within 30 days of
being told the family wants it; the mediator issues a certificate within 3 working days of
its end. The family may appeal to the First-tier Tribunal (SEND) within two months of the
decision letter or one month after a mediation certificate, whichever is later. An order
naming a school must be carried out within 5 weeks of the order.
"""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q


class MediationOutcome(models.TextChoices):
    PENDING = "pending", "Not concluded yet"
    AWAITING_APPROVAL = "awaiting", "Agreed: the change awaits an officer's approval"
    AGREED = "agreed", "Agreed: the decision changed"
    NOT_AGREED = "not_agreed", "Not agreed: certificate issued"
    WITHDRAWN = "withdrawn", "Withdrawn by the family"


class Mediation(models.Model):
    case = models.ForeignKey(
        "phasetransfer.Case", on_delete=models.PROTECT, related_name="mediations"
    )
    requested_on = models.DateField(help_text="When the council was told the family wants it.")
    meeting_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True, help_text="When the mediation ended.")
    outcome = models.CharField(
        max_length=10, choices=MediationOutcome.choices, default=MediationOutcome.PENDING
    )
    certificate_issued_on = models.DateField(null=True, blank=True)
    # What the family and the council agreed, until an officer with authority approves it.
    agreed_setting = models.ForeignKey(
        "phasetransfer.Setting", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agreed_reasons = models.TextField(blank=True)
    approved_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_decision = models.ForeignKey(
        "panels.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["case", "-requested_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=MediationOutcome.values), name="mediation_outcome_valid"
            ),
            models.CheckConstraint(
                condition=~Q(outcome="agreed") | Q(changed_decision__isnull=False),
                name="mediation_agreed_changes_the_decision",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="not_agreed") | Q(certificate_issued_on__isnull=False),
                name="mediation_not_agreed_has_certificate",
            ),
            models.CheckConstraint(
                condition=Q(outcome="pending") | Q(ended_on__isnull=False),
                name="mediation_concluded_has_end",
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=["awaiting", "agreed"]) | Q(agreed_setting__isnull=False),
                name="mediation_agreement_names_a_setting",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(outcome__in=["pending", "awaiting"]),
                name="mediation_one_open_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"Mediation for {self.case_id} ({self.outcome})"

    @property
    def is_open(self) -> bool:
        return self.outcome in (MediationOutcome.PENDING, MediationOutcome.AWAITING_APPROVAL)


class AppealOutcome(models.TextChoices):
    PENDING = "pending", "Not decided yet"
    DISMISSED = "dismissed", "Dismissed: the decision stands"
    CONCEDED = "conceded", "Conceded by the council"
    UPHELD = "upheld", "Upheld: the Tribunal ordered a setting"
    WITHDRAWN = "withdrawn", "Withdrawn by the family"


class Appeal(models.Model):
    case = models.ForeignKey("phasetransfer.Case", on_delete=models.PROTECT, related_name="appeals")
    tribunal_reference = models.CharField(max_length=40, unique=True)
    lodged_on = models.DateField()
    placement_only = models.BooleanField(
        default=True, help_text="About the school or college named only (section I)."
    )
    independent_requested = models.BooleanField(default=False)
    response_due_on = models.DateField(help_text="The council's response to the Tribunal by.")
    hearing_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(
        max_length=10, choices=AppealOutcome.choices, default=AppealOutcome.PENDING
    )
    decided_on = models.DateField(null=True, blank=True)
    ordered_setting = models.ForeignKey(
        "phasetransfer.Setting", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order_due_on = models.DateField(
        null=True, blank=True, help_text="The order must be carried out by (5 weeks)."
    )
    over_capacity = models.BooleanField(
        default=False, help_text="The setting named had no place left: the order is the reason."
    )
    changed_decision = models.ForeignKey(
        "panels.Decision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    implemented_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["case", "-lodged_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=AppealOutcome.values), name="appeal_outcome_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome="pending") | Q(decided_on__isnull=False),
                name="appeal_decided_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=["conceded", "upheld"])
                | Q(ordered_setting__isnull=False, order_due_on__isnull=False),
                name="appeal_conceded_or_upheld_names_a_setting",
            ),
        ]

    def __str__(self) -> str:
        return f"Appeal {self.tribunal_reference} ({self.outcome})"

    @property
    def is_open(self) -> bool:
        return self.outcome == AppealOutcome.PENDING

    @property
    def order_open(self) -> bool:
        """An order (or a concession) not yet carried out."""
        return self.ordered_setting_id is not None and self.implemented_on is None
