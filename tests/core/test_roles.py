from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from phasetransfer.core.roles import Role, grant_role, has_role, roles_of
from tests.factories import UserFactory


@pytest.mark.django_db
def test_every_role_exists_as_a_group_after_migrate() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}


@pytest.mark.django_db
def test_only_staff_roles_may_use_the_admin() -> None:
    caseworker = UserFactory(roles=[Role.CASEWORKER])
    parent = UserFactory(roles=[Role.PARENT])
    assert caseworker.is_staff
    assert not parent.is_staff
    assert caseworker.has_perm("phasetransfer.change_case")
    assert not caseworker.has_perm("phasetransfer.delete_case")
    assert not parent.has_perm("phasetransfer.view_case")


@pytest.mark.django_db
def test_roles_of_reads_the_groups() -> None:
    user = UserFactory()
    assert roles_of(user) == frozenset()
    grant_role(user, Role.PANEL_MEMBER)
    assert has_role(user, Role.PANEL_MEMBER)
    assert not has_role(user, Role.PANEL_CHAIR)
