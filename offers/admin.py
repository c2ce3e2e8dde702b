from django.contrib import admin
from django.http import HttpRequest

from offers.models import FamilyResponse, Letter, Release


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
    list_display = ["case", "round", "kind", "released_at", "emails_queued"]


@admin.register(FamilyResponse)
class FamilyResponseAdmin(ReadOnlyAdmin):
    list_display = ["case", "answer", "wants_independent", "responded_at"]
