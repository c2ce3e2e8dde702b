"""What a caller may do with the API: scopes for integration clients, roles for staff."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from phasetransfer.core.roles import Role, roles_of


class Scope(StrEnum):
    COHORT_WRITE = "cohort:write"
    CASES_READ = "cases:read"
    PREFERENCES_READ = "preferences:read"
    DECISIONS_READ = "decisions:read"
    OFFERS_READ = "offers:read"


ALL_SCOPES = frozenset(Scope)
READ_SCOPES = ALL_SCOPES - {Scope.COHORT_WRITE}

# Signed-in staff use the API with their browser session; their role stands for scopes.
# Who may import a cohort follows the README's roles table (caseworkers, administrators).
# Families, school contacts and panel members have none: the API is the LA's own.
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.ADMINISTRATOR: ALL_SCOPES,
    Role.CASEWORKER: ALL_SCOPES,
    Role.PANEL_CHAIR: READ_SCOPES,
    Role.COORDINATOR: READ_SCOPES,
}


def scopes_of_user(user: Any) -> frozenset[Scope]:
    granted: set[Scope] = set()
    for role in roles_of(user):
        granted |= ROLE_SCOPES.get(role, frozenset())
    return frozenset(granted)


def parse_scopes(text: str) -> list[Scope]:
    """'cases:read, offers:read' -> the scopes; ValueError naming any unknown one."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    known_values = {scope.value for scope in Scope}
    unknown = [name for name in names if name not in known_values]
    if unknown:
        known = ", ".join(s.value for s in Scope)
        raise ValueError(f"Unknown scope(s): {', '.join(unknown)}. Known: {known}.")
    return sorted({Scope(name) for name in names}, key=list(Scope).index)
