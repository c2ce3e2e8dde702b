from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from phasetransfer.core.clock import end_of_day_in_london
from phasetransfer.models.choices import Phase


def statutory_deadline_for(phase: str, entry_year: int) -> dt.date:
    """SEND Regulations 2014 reg 18: 15 February of the year of transfer, 31 March for post-16."""
    if phase == Phase.POST16:
        return dt.date(entry_year, 3, 31)
    return dt.date(entry_year, 2, 15)


class Round(models.Model):
    """One local authority's transfer round for one phase and year of entry."""

    name = models.CharField(max_length=120)
    la_code = models.CharField("LA code", max_length=3, default="886")
    phase = models.CharField(max_length=12, choices=Phase.choices)
    entry_year = models.PositiveSmallIntegerField(
        help_text="Calendar year in which the children start the new phase (September)."
    )
    preference_opens_at = models.DateTimeField()
    preference_closes_at = models.DateTimeField()
    consultation_days = models.PositiveSmallIntegerField(
        default=15, help_text="Calendar days a setting has to answer a consultation (s39)."
    )
    max_preferences = models.PositiveSmallIntegerField(default=4)
    offer_day_at = models.DateTimeField("SEN offer day", null=True, blank=True)
    # Derived from phase and entry year on every save; stored so the database
    # itself can refuse an offer day after it.
    statutory_deadline_at = models.DateTimeField(editable=False)
    # Set by offer day's release job once every case the round had at the moment has been
    # told. Between the moment and this, the round's decisions are frozen (nothing may change
    # what is being published); afterwards every change reaches families as an amendment.
    offer_day_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Post-16: the day exam results reach young people (GCSE results day, in August), when
    # the round's conditional offers are settled (offers/services/settlement.py). Settling
    # may start on it; the figures count what was settled that day.
    results_day = models.DateField(null=True, blank=True)
    is_synthetic = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-entry_year", "phase"]
        constraints = [
            models.UniqueConstraint(
                fields=["la_code", "phase", "entry_year"], name="round_unique_per_phase_year"
            ),
            models.CheckConstraint(condition=Q(phase__in=Phase.values), name="round_phase_valid"),
            models.CheckConstraint(
                condition=Q(preference_opens_at__lt=F("preference_closes_at")),
                name="round_window_opens_before_close",
            ),
            models.CheckConstraint(
                condition=Q(consultation_days__gte=1, consultation_days__lte=60),
                name="round_consultation_days_range",
            ),
            models.CheckConstraint(
                condition=Q(max_preferences__gte=1, max_preferences__lte=10),
                name="round_max_preferences_range",
            ),
            models.CheckConstraint(
                condition=Q(entry_year__gte=2000, entry_year__lte=2100),
                name="round_entry_year_range",
            ),
            models.CheckConstraint(
                condition=Q(offer_day_at__isnull=True)
                | Q(offer_day_at__lt=F("statutory_deadline_at")),
                name="round_offer_day_before_deadline",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.statutory_deadline_at = end_of_day_in_london(self.statutory_deadline)
        super().save(*args, **kwargs)

    @property
    def statutory_deadline(self) -> dt.date:
        return statutory_deadline_for(self.phase, self.entry_year)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if (
            self.preference_opens_at
            and self.preference_closes_at
            and self.preference_opens_at >= self.preference_closes_at
        ):
            errors["preference_closes_at"] = "The preference window must close after it opens."
        if self.offer_day_at and self.phase and self.entry_year:
            deadline = statutory_deadline_for(self.phase, self.entry_year)
            if self.offer_day_at >= end_of_day_in_london(deadline):
                errors["offer_day_at"] = (
                    f"SEN offer day must be on or before the statutory deadline, "
                    f"{deadline:%-d %B %Y}."
                )
        if errors:
            raise ValidationError(errors)
