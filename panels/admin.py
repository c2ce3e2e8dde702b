from django.contrib import admin

from panels.models import (
    Decision,
    PanelCase,
    PanelMember,
    PanelSession,
    PanelSettings,
    Recusal,
    SchedulingRun,
)


class PanelMemberInline(admin.TabularInline):
    model = PanelMember
    extra = 0
    raw_id_fields = ["user", "school"]


@admin.register(PanelSession)
class PanelSessionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "round", "send_area", "starts_at", "chair", "case_limit"]
    list_filter = ["round", "send_area"]
    inlines = [PanelMemberInline]
    raw_id_fields = ["chair", "signed_off_by"]


@admin.register(PanelCase)
class PanelCaseAdmin(admin.ModelAdmin):
    list_display = ["case", "session", "scheduled_at", "removed_at"]
    raw_id_fields = ["case", "session", "proposal"]


@admin.register(Recusal)
class RecusalAdmin(admin.ModelAdmin):
    list_display = ["panel_case", "member", "reason"]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["case", "session", "outcome", "setting", "decided_at"]
    raw_id_fields = ["case", "session", "setting", "decided_by", "supersedes"]

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False  # decisions are changed only by a new recorded decision


@admin.register(PanelSettings)
class PanelSettingsAdmin(admin.ModelAdmin):
    list_display = ["round", "approval_days"]


@admin.register(SchedulingRun)
class SchedulingRunAdmin(admin.ModelAdmin):
    list_display = ["round", "ran_at", "requested_by", "rebuild", "scheduled", "unplaced"]
    list_filter = ["round"]

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False  # a record of what the scheduler did
