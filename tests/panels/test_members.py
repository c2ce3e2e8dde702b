"""Who may sit on a panel: a member from a school sits for that school's phases."""

from __future__ import annotations

import pytest

from panels.services.sessions import SessionRefused, member_seat
from phasetransfer.core.roles import Role
from phasetransfer.models import Phase, SettingKind
from tests.factories import RoundFactory, SettingFactory, UserFactory
from tests.factories.panels import PanelSessionFactory

pytestmark = pytest.mark.django_db


def test_a_primary_head_teacher_does_not_sit_on_a_post16_panel() -> None:
    session = PanelSessionFactory(round=RoundFactory(phase=Phase.POST16, entry_year=2027))
    primary = SettingFactory(
        name="Little Oaks Primary",
        kind=SettingKind.MAINSTREAM_MAINTAINED,
        serves_reception=True,
        serves_junior=True,
        serves_secondary=False,
        serves_post16=False,
    )
    head = UserFactory(roles=[Role.SCHOOL_CONTACT])
    with pytest.raises(SessionRefused, match="Little Oaks Primary does not take children into"):
        member_seat(session=session, user=head, school=primary, role_title="Head teacher")
    assert not session.members.exists()
    college_head = UserFactory(roles=[Role.SCHOOL_CONTACT])
    member_seat(session=session, user=college_head, school=SettingFactory(), role_title="Head")
    ep = UserFactory()
    member_seat(session=session, user=ep, school=None, role_title="Educational psychologist")
    assert session.members.count() == 2
