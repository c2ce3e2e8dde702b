"""Security controls (issue 9): two factors for staff, the case access log, backups.

See docs/security.md for what each does and docs/threat-model.md for why.
"""
