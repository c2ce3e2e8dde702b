"""Children, their cases in a round, the people to contact, and the audit trail."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from phasetransfer.models.choices import ContactRelationship, Need, Sex


class CaseState(models.TextChoices):
    IDENTIFIED = "identified", "Identified"
    INVITED = "invited", "Invited"
    PREFERENCES_RECEIVED = "preferences_received", "Preferences received"
    CONSULTING = "consulting", "Consulting"
    PROPOSED = "proposed", "Proposed"
    AT_PANEL = "at_panel", "At panel"
    DECIDED = "decided", "Decided"
    OFFER_APPROVED = "offer_approved", "Offer approved"
    RELEASED = "released", "Offer released"
    NO_DECISION_YET = "no_decision_yet", "No decision yet (told)"
    ACCEPTED = "accepted", "Accepted"
    APPEALED = "appealed", "Mediation or appeal"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Child(models.Model):
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    ehcp_reference = models.CharField("EHCP reference", max_length=30, unique=True)
    primary_need = models.CharField(max_length=5, choices=Need.choices)
    needs_summary = models.TextField(
        blank=True, help_text="Summary of needs and provision (EHCP sections B and F)."
    )
    current_setting = models.ForeignKey(
        "phasetransfer.Setting",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="current_pupils",
    )
    current_setting_name = models.CharField(
        max_length=200, blank=True, help_text="When the current setting is not in the list."
    )
    home_postcode = models.CharField(max_length=10)
    sex = models.CharField(
        max_length=6,
        choices=Sex.choices,
        blank=True,
        help_text="For single-sex schools in the nearest-school advice; blank: not recorded.",
    )
    looked_after = models.BooleanField(
        "Looked after or previously looked after",
        default=False,
        help_text="Comes before other children under the oversubscription rule.",
    )
    home_latitude = models.FloatField(null=True, blank=True)
    home_longitude = models.FloatField(null=True, blank=True)
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "children"
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(primary_need__in=Need.values), name="child_primary_need_valid"
            ),
            models.CheckConstraint(
                condition=Q(home_latitude__isnull=True, home_longitude__isnull=True)
                | Q(home_latitude__isnull=False, home_longitude__isnull=False),
                name="child_coordinates_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Case(models.Model):
    """One child in one transfer round. Its state changes only in services.case_state."""

    reference = models.CharField(max_length=20, unique=True)
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="cases")
    round = models.ForeignKey("phasetransfer.Round", on_delete=models.PROTECT, related_name="cases")
    state = models.CharField(
        max_length=24, choices=CaseState.choices, default=CaseState.IDENTIFIED, editable=False
    )
    state_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    caseworker = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="caseload",
    )
    district = models.CharField(
        max_length=40, blank=True, help_text="From the home postcode when the case opened."
    )
    send_area = models.CharField(
        "SEND area",
        max_length=40,
        blank=True,
        help_text="Which area's panels decide the case; from the home postcode, can be changed.",
    )
    details_confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the family confirmed the child's and their details."
    )
    details_correction = models.TextField(
        blank=True, help_text="What the family says is wrong in the child's details."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(fields=["child", "round"], name="case_one_per_child_round"),
            models.CheckConstraint(
                condition=Q(state__in=CaseState.values), name="case_state_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["round", "state"]),
            models.Index(fields=["round", "send_area"]),
        ]

    def __str__(self) -> str:
        return self.reference


class Contact(models.Model):
    """Who the LA writes to about a case: a parent or carer, or (post-16) the young person."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=16, choices=ContactRelationship.choices)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    mobile = models.CharField(
        max_length=16,
        blank=True,
        help_text="A UK mobile number for text messages (reminders, 'your outcome is ready').",
    )
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    is_primary = models.BooleanField(default=True)
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="family_contacts",
        help_text="The account that linked itself to this case with the invitation code.",
    )

    class Meta:
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(is_primary=True), name="contact_one_primary_per_case"
            ),
            models.UniqueConstraint(
                fields=["case", "user"],
                condition=Q(user__isnull=False),
                name="contact_user_once_per_case",
            ),
            models.CheckConstraint(
                condition=Q(relationship__in=ContactRelationship.values),
                name="contact_relationship_valid",
            ),
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(address=""), name="contact_reachable"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relationship_display()})"


class AuditEvent(models.Model):
    """Who did what to a case, when and why. Written by services, never edited."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="audit_events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(
        max_length=100, help_text="The actor as shown in the trail (kept if the user goes)."
    )
    action = models.CharField(max_length=60)
    from_state = models.CharField(max_length=24, blank=True)
    to_state = models.CharField(max_length=24, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} at {self.at:%Y-%m-%d %H:%M}"
