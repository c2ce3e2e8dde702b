"""School-led decision panels: sessions, members, the cases scheduled into them, decisions."""

from __future__ import annotations

import datetime as dt

from django.conf import settings as django_settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from phasetransfer.core.clock import LONDON
from phasetransfer.core.conditions import Condition
from phasetransfer.models.allocation import RunStatus
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
        # London time, as every page shows it (starts_at is stored in UTC).
        local = timezone.localtime(self.starts_at, LONDON)
        return f"{self.send_area} panel, {local:%A} {local.day} {local:%B %Y, %H:%M}"

    @property
    def is_signed_off(self) -> bool:
        return self.signed_off_at is not None

    def has_met(self, now: dt.datetime) -> bool:
        """Sign-off waits for the panel to sit (the service refuses, the page says so)."""
        return now >= self.starts_at


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
    # Post-16 (issue 19): one setting and programme if the entry requirements are met,
    # otherwise another (or another programme at the same setting); settled on results day.
    CONDITIONAL = "conditional", "Make a conditional offer (post-16)"


# The one statement of which outcomes are final: the family is told of each on offer day
# (a setting, or a type of setting with the school to follow). Deferrals and further
# consultations are not final.
FINAL_OUTCOMES = frozenset(
    {Outcome.AGREE, Outcome.OTHER_SETTING, Outcome.TYPE_ONLY, Outcome.CONDITIONAL}
)
# The final outcomes that name one setting, so take one of its places. A conditional offer
# names two and holds places as the round's allocation policy says
# (phasetransfer/allocation/reservation.py).
NAMING_OUTCOMES = frozenset({Outcome.AGREE, Outcome.OTHER_SETTING})


class Settled(models.TextChoices):
    """How a conditional offer was settled (on the decision that settles it)."""

    MET = "met", "Entry requirements met"
    NOT_MET = "not_met", "Entry requirements not met"


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
    # The course or programme at ``setting`` (post-16), free text or one the provider gave
    # in its consultation answer; for a conditional offer, the branch taken if met.
    programme = models.CharField(max_length=200, blank=True)
    # A conditional offer (outcome "conditional"): ``setting``/``programme`` if ``condition``
    # (phasetransfer.core.conditions.Condition.to_json) is met, otherwise these.
    condition = models.JSONField(null=True, blank=True)
    otherwise_setting = models.ForeignKey(
        "phasetransfer.Setting", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    otherwise_programme = models.CharField(max_length=200, blank=True)
    likely_met = models.BooleanField(
        default=True,
        help_text="The panel's judgement from predicted grades: which branch is likely.",
    )
    # On the decision that settles a conditional offer (it supersedes the offer).
    settled = models.CharField(max_length=8, choices=Settled.choices, blank=True)

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
            models.CheckConstraint(
                condition=~Q(outcome="conditional")
                | Q(
                    setting__isnull=False, otherwise_setting__isnull=False, condition__isnull=False
                ),
                name="decision_conditional_names_branches",
            ),
            models.CheckConstraint(
                condition=Q(settled="") | Q(supersedes__isnull=False, setting__isnull=False),
                name="decision_settlement_supersedes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.outcome}"

    @property
    def is_final_placement(self) -> bool:
        return self.outcome in FINAL_OUTCOMES

    @property
    def is_conditional(self) -> bool:
        return self.outcome == Outcome.CONDITIONAL

    def the_condition(self) -> Condition | None:
        return Condition.from_json(self.condition) if self.condition else None

    @property
    def named(self) -> str:
        """What the decision names, in a line for staff: the setting (and programme), both
        branches of a conditional offer with its condition, or the type of setting."""
        if self.outcome == Outcome.TYPE_ONLY:
            return self.get_setting_type_display()
        if self.setting is None:
            return ""
        first = _with_programme(self.setting.name, self.programme)
        condition = self.the_condition()
        if not self.is_conditional or condition is None or self.otherwise_setting is None:
            return first
        other = _with_programme(self.otherwise_setting.name, self.otherwise_programme)
        return f"{first} {condition.describe()}; otherwise {other}"


def _with_programme(setting: str, programme: str) -> str:
    return f"{setting} ({programme})" if programme else setting


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
    """One run of the panel scheduler for a round: requested, claimed, solved, written.

    A run is requested (``queued``), claimed by a Celery worker or by the
    ``schedule_panels`` command (``running``, with its progress: the areas solved of
    the areas to solve), and ends ``done`` with its report or ``failed`` with the error.
    At most one run per round is queued or running, enforced by the database: two
    requests at once (a double click, a second tab) cannot both run. A run that shows no
    sign of life (``heartbeat_at``) for :meth:`stale_after` is taken for dead (its worker
    was killed) and no longer blocks the round: the next request marks it failed.
    """

    round = models.ForeignKey(
        "phasetransfer.Round", on_delete=models.CASCADE, related_name="panel_scheduling_runs"
    )
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    requested_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        help_text="The run's last sign of life: requested, claimed, or an area solved."
    )
    ran_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The moment the schedule was worked out for: sessions started by then "
        "take no cases.",
    )
    rebuild = models.BooleanField(default=False)
    time_limit = models.FloatField(
        default=10.0, help_text="Solver limit per area, in CP-SAT deterministic seconds."
    )
    stage = models.CharField(max_length=100, blank=True)
    areas_done = models.PositiveSmallIntegerField(default=0)
    areas_total = models.PositiveSmallIntegerField(default=0)
    scheduled = models.PositiveIntegerField(default=0)
    unplaced = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values), name="panel_scheduling_run_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(areas_done__lte=F("areas_total")),
                name="panel_scheduling_run_areas_done_range",
            ),
            # One run at a time per round: two would solve the same cases and race to
            # place them. A second request fails on this, never on an .exists() check.
            models.UniqueConstraint(
                fields=["round"],
                condition=Q(status__in=["queued", "running"]),
                name="panel_scheduling_run_one_active_per_round",
            ),
        ]

    def __str__(self) -> str:
        return f"Panel scheduling run {self.pk} for {self.round_id} ({self.status})"

    @staticmethod
    def stale_after() -> dt.timedelta:
        """How long an active run may show no sign of life before it is taken for dead.

        Three times the Celery hard time limit (5 minutes unless configured): a live
        worker writes a heartbeat on claiming the run and after every area, each area's
        solve is bounded by its time limit, and the task itself is killed at the hard
        limit, so a run this quiet has lost its worker (killed, or the message lost).
        """
        return dt.timedelta(seconds=3 * django_settings.CELERY_TASK_TIME_LIMIT)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def is_stale(self, *, now: dt.datetime) -> bool:
        return self.is_active and self.heartbeat_at < now - self.stale_after()

    @property
    def percent(self) -> int:
        """Rough progress for the page: reading 5%, the areas 10-90%, writing 95%."""
        if self.status == RunStatus.DONE:
            return 100
        if self.status != RunStatus.RUNNING:
            return 0
        if self.areas_total and self.areas_done >= self.areas_total:
            return 95
        if not self.areas_total:
            return 5
        return 10 + 80 * self.areas_done // self.areas_total


class PackPdf(models.Model):
    """The print version of a session's pack, rendered off the web request and kept.

    ``version`` names exactly what it shows: the cases its reader may see and the last
    change to any of them (a decision, a case added or taken out), so a stored PDF is
    served only while it is still true, and a reader who may see fewer cases (a member
    standing aside from one) never gets another reader's file. One row per version: two
    requests at once (a double click, a second tab) share one render.
    """

    session = models.ForeignKey(PanelSession, on_delete=models.CASCADE, related_name="pdfs")
    version = models.CharField(max_length=64)
    case_ids = models.JSONField(default=list)
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    seconds = models.FloatField(null=True, blank=True, help_text="How long the render took.")
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "version"], name="pack_pdf_one_per_version")
        ]

    def __str__(self) -> str:
        return f"Pack PDF of {self.session} ({self.get_status_display()})"
