"""Roles are Django groups. This module is the single definition of them.

What each role may do in the service's own pages is decided by selectors and
the access checks in ``phasetransfer.core.access``; the model permissions below only
govern the Django admin, which is for LA staff.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.contrib.auth.models import Group, Permission


class Role(StrEnum):
    PARENT = "Parent or carer"
    YOUNG_PERSON = "Young person"
    CASEWORKER = "Caseworker"
    PANEL_CHAIR = "Panel chair"
    PANEL_MEMBER = "Panel member"
    SCHOOL_CONTACT = "School contact"
    ADMINISTRATOR = "Administrator"
    # The Phase Transfer Data Co-ordination team: reads every case to track deadlines,
    # and may reassign cases between caseworkers; changes nothing else.
    COORDINATOR = "Data co-ordinator"


# LA officers who may read every case of the authority (co-ordinators read, they do not act).
READ_ALL = (Role.CASEWORKER, Role.PANEL_CHAIR, Role.ADMINISTRATOR, Role.COORDINATOR)
FAMILY_ROLES = frozenset({Role.PARENT, Role.YOUNG_PERSON})
STAFF_ROLES = frozenset(READ_ALL)

_CORE_MODELS = [
    "round",
    "setting",
    "settingplaces",
    "settingcontact",
    "child",
    "case",
    "contact",
    "preference",
    "consultation",
]

# Django admin permissions per role (codename prefixes x model names, app "phasetransfer").
ADMIN_PERMISSIONS: dict[Role, list[str]] = {
    Role.CASEWORKER: [f"{verb}_{model}" for model in _CORE_MODELS for verb in ("view", "change")]
    + ["add_child", "add_case", "add_contact", "add_preference", "view_auditevent"],
    Role.PANEL_CHAIR: [f"view_{model}" for model in _CORE_MODELS] + ["view_auditevent"],
    Role.COORDINATOR: [f"view_{model}" for model in _CORE_MODELS] + ["view_auditevent"],
    Role.ADMINISTRATOR: [
        f"{verb}_{model}"
        for model in [*_CORE_MODELS, "user"]
        for verb in ("view", "add", "change", "delete")
    ]
    + ["view_auditevent"],
}


def sync_role_groups(**_: Any) -> None:
    """Create every role's group and give it exactly the permissions above."""
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        codenames = ADMIN_PERMISSIONS.get(role, [])
        permissions = Permission.objects.filter(
            content_type__app_label="phasetransfer", codename__in=codenames
        )
        group.permissions.set(permissions)


def roles_of(user: Any) -> frozenset[Role]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_phasetransfer_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = frozenset(role for role in Role if role.value in names)
        user._phasetransfer_roles = cached
    return cached


def has_role(user: Any, *roles: Role) -> bool:
    return bool(roles_of(user) & set(roles))


def grant_role(user: Any, role: Role) -> None:
    user.groups.add(Group.objects.get(name=role.value))
    if role in STAFF_ROLES and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_phasetransfer_roles", None)
