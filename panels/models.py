"""School-led decision panels: sessions, members, the cases scheduled into them, decisions."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q

from phasetransfer.models.choices import ConsultationGround


class PanelSession(models.Model):
    """One sitting of a panel for one SEND area and one round (phase)."""

    round = models.ForeignKey(
        "phasetransfer.Round", on_delete=models.PROTECT, related_name="panel_sessions"
    )
    send_area = models.CharField("SEND area", max_length=40)
    starts_at = models.DateTimeField()
    place = models.CharField(max_length=200, blank=True)
    online_link = models.URLField(blank=True)
    chair = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chaired_sessions"
    )
    case_limit = models.PositiveSmallIntegerField(default=40)
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["starts_at", "send_area", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(case_limit__gte=1, case_limit__lte=200), name="panel_case_limit_range"
            ),
            models.CheckConstraint(
                condition=~Q(place="") | ~Q(online_link=""), name="panel_has_place_or_link"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.send_area} panel, {self.starts_at:%d %b %Y %H:%M}"

    @property
    def is_signed_off(self) -> bool:
        return self.signed_off_at is not None


class PanelMember(models.Model):
    session = models.ForeignKey(PanelSession, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panel_seats"
    )
    school = models.ForeignKey(
        "phasetransfer.Setting",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The member's own school, if any: they may not decide cases involving it.",
    )
    role_title = models.CharField(max_length=100, blank=True, help_text="Head teacher, SENCO, EP")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="panel_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role_title or 'member'})"


class PanelCase(models.Model):
    """A case placed in a session by the scheduler (or by hand). One live placement per case."""

    session = models.ForeignKey(PanelSession, on_delete=models.PROTECT, related_name="panel_cases")
    case = models.ForeignKey("phasetransfer.Case", on_delete=models.PROTECT, related_name="+")
    proposal = models.ForeignKey(
        "phasetransfer.Proposal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scheduled_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["session", "case__reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(removed_at__isnull=True),
                name="panel_case_one_live_placement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} in {self.session_id}"


class Recusal(models.Model):
    """A member who must not decide a case (their school is involved), shown in the pack."""

    panel_case = models.ForeignKey(PanelCase, on_delete=models.CASCADE, related_name="recusals")
    member = models.ForeignKey(PanelMember, on_delete=models.CASCADE, related_name="recusals")
    reason = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["panel_case", "member"], name="recusal_once"),
        ]

    def __str__(self) -> str:
        return f"{self.member} recused from {self.panel_case_id}"


class Outcome(models.TextChoices):
    AGREE = "agree", "Agree the proposal"
    OTHER_SETTING = "other_setting", "Name another setting"
    TYPE_ONLY = "type_only", "Name a type of setting only (school to follow)"
    DEFER = "defer", "Defer to a later session"
    FURTHER_CONSULTATION = "further_consultation", "Request a further consultation"


class SettingType(models.TextChoices):
    MAINSTREAM = "mainstream", "Mainstream school"
    RESOURCED = "resourced", "Mainstream school with a specialist resourced provision"
    SPECIAL = "special", "Special school"
    COLLEGE = "college", "Further education or sixth-form college"
    INDEPENDENT = "independent", "Independent or non-maintained special school"


# Why a preference was not named: the statutory grounds of s39(4) Children and Families
# Act 2014, the same list schools give when they answer a consultation.
Ground = ConsultationGround


class Decision(models.Model):
    """What the panel decided for a case. A change is a new row that supersedes the old."""

    case = models.ForeignKey(
        "phasetransfer.Case", on_delete=models.PROTECT, related_name="decisions"
    )
    session = models.ForeignKey(PanelSession, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    setting = models.ForeignKey(
        "phasetransfer.Setting", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    setting_type = models.CharField(max_length=12, choices=SettingType.choices, blank=True)
    ground = models.CharField(max_length=12, choices=Ground.choices, blank=True)
    reasons = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    change_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["case", "decided_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="decision_outcome_valid"
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=["agree", "other_setting"]) | Q(setting__isnull=False),
                name="decision_names_setting",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="type_only") | ~Q(setting_type=""),
                name="decision_type_only_names_type",
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(change_reason=""),
                name="decision_change_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.outcome}"

    @property
    def is_final_placement(self) -> bool:
        return self.outcome in (Outcome.AGREE, Outcome.OTHER_SETTING, Outcome.TYPE_ONLY)


class PanelSettings(models.Model):
    """Round-level panel settings (the core's Round is not ours to change)."""

    round = models.OneToOneField(
        "phasetransfer.Round", on_delete=models.CASCADE, related_name="panel_settings"
    )
    approval_days = models.PositiveSmallIntegerField(
        default=5,
        help_text="Calendar days a decision needs between its panel and SEN offer day "
        "(sign-off and approval). No case is scheduled into a later panel.",
    )

    class Meta:
        verbose_name_plural = "panel settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(approval_days__lte=60), name="panel_settings_approval_days_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Panel settings for {self.round}"


class SchedulingRun(models.Model):
    """One run of the panel scheduler for a round, with its report (shown on the round's page)."""

    round = models.ForeignKey(
        "phasetransfer.Round", on_delete=models.CASCADE, related_name="panel_scheduling_runs"
    )
    requested_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ran_at = models.DateTimeField()
    rebuild = models.BooleanField(default=False)
    scheduled = models.PositiveIntegerField(default=0)
    unplaced = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-ran_at", "-id"]

    def __str__(self) -> str:
        return f"Panel scheduling for {self.round_id} at {self.ran_at:%Y-%m-%d %H:%M}"
