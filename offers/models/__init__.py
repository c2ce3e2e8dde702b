"""Offer day's data: releases and letters, families' answers and follow-ups, mediation and
appeals (one module each)."""

from offers.models.appeals import Appeal, AppealOutcome, Mediation, MediationOutcome
from offers.models.releases import (
    ACTIVE_JOB,
    Letter,
    LetterKind,
    LetterToPost,
    OfferDayChange,
    PrintBatch,
    RehearsalRun,
    Release,
)
from offers.models.responses import FamilyResponse, FollowUp, FollowUpKind
from offers.models.results import ExamResult, ProviderConfirmation, SettlementRun

__all__ = [
    "ACTIVE_JOB",
    "Appeal",
    "AppealOutcome",
    "ExamResult",
    "FamilyResponse",
    "FollowUp",
    "FollowUpKind",
    "Letter",
    "LetterKind",
    "LetterToPost",
    "Mediation",
    "MediationOutcome",
    "OfferDayChange",
    "PrintBatch",
    "ProviderConfirmation",
    "RehearsalRun",
    "Release",
    "SettlementRun",
]
