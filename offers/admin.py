from django.contrib import admin
from django.http import HttpRequest

from offers.models import (
    FamilyResponse,
    Letter,
    LetterToPost,
    OfferDayChange,
    PrintBatch,
    RehearsalRun,
    Release,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "template_version", "rendered_at", "superseded_at"]
    exclude = ["pdf"]


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdmin):
    list_display = [
        "case",
        "number",
        "round",
        "kind",
        "released_at",
        "completed_at",
        "emails_queued",
    ]


@admin.register(LetterToPost)
class LetterToPostAdmin(ReadOnlyAdmin):
    list_display = ["release", "contact", "batch", "posted_at"]


@admin.register(PrintBatch)
class PrintBatchAdmin(ReadOnlyAdmin):
    list_display = ["round", "status", "requested_at", "posted_at"]
    exclude = ["pdf"]


@admin.register(RehearsalRun)
class RehearsalRunAdmin(ReadOnlyAdmin):
    list_display = ["round", "status", "requested_at", "finished_at"]


@admin.register(OfferDayChange)
class OfferDayChangeAdmin(ReadOnlyAdmin):
    list_display = ["round", "from_at", "to_at", "changed_by", "changed_at"]


@admin.register(FamilyResponse)
class FamilyResponseAdmin(ReadOnlyAdmin):
    list_display = ["case", "answer", "wants_independent", "responded_at"]
