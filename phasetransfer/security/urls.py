"""Routes of the security pages: the second factor, and the administrators' audit trail."""

from django.urls import URLPattern, path

from phasetransfer.security import views

urlpatterns: list[URLPattern] = [
    path("account/two-factor/setup/", views.setup, name="two-factor-setup"),
    path("account/two-factor/email/", views.email_check, name="two-factor-email"),
    path("account/two-factor/", views.verify, name="two-factor-verify"),
    path("staff/audit/", views.audit, name="security-audit"),
    path("staff/audit.csv", views.audit_csv, name="security-audit-csv"),
    path("staff/audit/retention/", views.audit_retention, name="security-audit-retention"),
]
