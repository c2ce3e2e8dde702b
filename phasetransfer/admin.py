from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from phasetransfer.models import (
    AuditEvent,
    Case,
    Child,
    Consultation,
    Contact,
    Preference,
    Round,
    Setting,
    SettingContact,
    SettingPlaces,
    User,
)

admin.site.site_header = "Phase transfer administration"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["name", "phase", "entry_year", "preference_closes_at", "offer_day_at"]
    # SEN offer day is set on the round's offer-day page only: that service refuses a moment
    # in the past or one already reached, takes the release job's lock and records who.
    readonly_fields = ["statutory_deadline_at", "offer_day_at", "offer_day_published_at"]


class SettingPlacesInline(admin.TabularInline):
    model = SettingPlaces
    extra = 0


@admin.register(Setting)
class SettingAdmin(admin.ModelAdmin):
    list_display = ["urn", "name", "town", "kind", "school_capacity", "is_synthetic"]
    list_filter = ["kind", "serves_secondary", "serves_post16", "is_synthetic"]
    search_fields = ["name", "urn", "town", "postcode"]
    inlines = [SettingPlacesInline]
    raw_id_fields = ["host"]


@admin.register(SettingContact)
class SettingContactAdmin(admin.ModelAdmin):
    list_display = ["user", "setting", "job_title"]
    raw_id_fields = ["user", "setting"]


@admin.register(Child)
class ChildAdmin(admin.ModelAdmin):
    list_display = ["ehcp_reference", "first_name", "last_name", "primary_need", "is_synthetic"]
    search_fields = ["ehcp_reference", "last_name"]
    raw_id_fields = ["current_setting"]


class ContactInline(admin.StackedInline):
    model = Contact
    extra = 0
    raw_id_fields = ["user"]


class PreferenceInline(admin.TabularInline):
    model = Preference
    extra = 0
    raw_id_fields = ["setting", "entered_by"]


class AuditEventInline(admin.TabularInline):
    model = AuditEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "actor_label", "action", "from_state", "to_state", "reason")
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["reference", "child", "round", "state", "caseworker"]
    list_filter = ["round", "state"]
    search_fields = ["reference", "child__ehcp_reference", "child__last_name"]
    readonly_fields = ["state", "state_changed_at"]
    raw_id_fields = ["child", "caseworker"]
    inlines = [ContactInline, PreferenceInline, AuditEventInline]


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ["case", "setting", "status", "sent_at", "due_at"]
    list_filter = ["status"]
    raw_id_fields = ["case", "setting", "responded_by", "replaces"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "case", "actor_label", "action", "from_state", "to_state"]
    list_filter = ["action"]
    raw_id_fields = ["case", "actor"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
