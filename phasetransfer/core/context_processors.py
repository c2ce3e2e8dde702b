from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from phasetransfer.core.roles import STAFF_ROLES, roles_of


def service(request: HttpRequest) -> dict[str, Any]:
    roles = roles_of(request.user)
    return {
        "service_name": settings.SERVICE_NAME,
        "local_authority_name": settings.LOCAL_AUTHORITY_NAME,
        "user_roles": {role.name for role in roles},
        "is_staff_user": bool(roles & STAFF_ROLES),
    }
