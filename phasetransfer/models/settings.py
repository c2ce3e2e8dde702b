"""Schools and colleges ("settings" in the SEND Code of Practice) and their places."""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q

from phasetransfer.models.choices import AdmissionsPolicy, Need, Phase, SchoolGender, SettingKind

# A generous box around Great Britain (WGS84); anything outside is a data error.
GB_LATITUDE = (49.8, 60.95)
GB_LONGITUDE = (-8.7, 1.8)


class Setting(models.Model):
    urn = models.PositiveIntegerField("URN", unique=True)
    name = models.CharField(max_length=200)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    la_code = models.CharField("LA code", max_length=3, blank=True)
    la_name = models.CharField("LA name", max_length=100, blank=True)
    kind = models.CharField(max_length=32, choices=SettingKind.choices)
    gias_type_group = models.CharField(max_length=100, blank=True)
    gias_phase = models.CharField(max_length=50, blank=True)
    school_capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Whole-school capacity from GIAS; blank when unknown."
    )
    serves_reception = models.BooleanField(default=False)
    serves_junior = models.BooleanField(default=False)
    serves_secondary = models.BooleanField(default=False)
    serves_post16 = models.BooleanField(default=False)
    gender = models.CharField(
        max_length=6,
        choices=SchoolGender.choices,
        blank=True,
        help_text="Who it admits (GIAS); blank when not known.",
    )
    admissions_policy = models.CharField(
        max_length=13,
        choices=AdmissionsPolicy.choices,
        blank=True,
        help_text="Selective (a grammar school) or not (GIAS); blank when not known.",
    )
    designated_needs = models.JSONField(
        default=list, blank=True, help_text="Need codes the setting is designated for."
    )
    host = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resourced_provisions",
        help_text="For a resourced provision: the mainstream school it sits in.",
    )
    is_synthetic = models.BooleanField(
        default=False, help_text="Invented for the demo: not a real setting."
    )
    designations_synthetic = models.BooleanField(
        default=False, help_text="Designated needs invented for the demo."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SettingKind.values), name="setting_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True)
                | Q(latitude__gte=GB_LATITUDE[0], latitude__lte=GB_LATITUDE[1]),
                name="setting_latitude_in_gb",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True)
                | Q(longitude__gte=GB_LONGITUDE[0], longitude__lte=GB_LONGITUDE[1]),
                name="setting_longitude_in_gb",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="setting_coordinates_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def serves(self, phase: str) -> bool:
        return bool(getattr(self, f"serves_{phase}"))

    @property
    def phases(self) -> list[str]:
        return [phase for phase in Phase.values if self.serves(phase)]

    @property
    def is_mainstream(self) -> bool:
        return self.kind in SettingKind.mainstream()

    def is_designated_for(self, need: str) -> bool:
        return need in self.designated_needs

    @property
    def designated_need_labels(self) -> list[str]:
        return [Need(code).label for code in self.designated_needs if code in Need.values]


def serving_phase(phase: str) -> Q:
    """A filter for the settings that take children into ``phase``."""
    if phase not in Phase.values:
        raise ValueError(f"unknown phase {phase!r}")
    return Q(**{f"serves_{phase}": True})


class SettingPlaces(models.Model):
    """Places a setting offers in the entry year of one round."""

    round = models.ForeignKey(
        "phasetransfer.Round", on_delete=models.CASCADE, related_name="places"
    )
    setting = models.ForeignKey(Setting, on_delete=models.CASCADE, related_name="places")
    places = models.PositiveIntegerField()
    site_places = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="For a school with resourced provisions: places across the school and its "
        "provisions together, when fewer than the sum (one building, one staff).",
    )
    annual_fee = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The annual fee (pounds) of a place here, for independent and "
        "non-maintained settings; blank uses the policy's figure for the kind of setting.",
    )
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "setting places"
        constraints = [
            models.UniqueConstraint(fields=["round", "setting"], name="places_unique_per_round"),
        ]

    def __str__(self) -> str:
        return f"{self.setting}: {self.places} places"


class SettingContact(models.Model):
    """A user who answers for a setting (SENCO, admissions officer)."""

    setting = models.ForeignKey(Setting, on_delete=models.CASCADE, related_name="contacts")
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="setting_roles"
    )
    job_title = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["setting", "user"], name="setting_contact_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.setting}"
