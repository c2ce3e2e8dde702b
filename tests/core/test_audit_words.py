"""The audit trail reads in plain English and says what changed."""

from __future__ import annotations

import pytest
from django.test import Client

from phasetransfer.core.audit import audit_record
from phasetransfer.core.audit_words import action_text, describe
from phasetransfer.core.roles import Role
from phasetransfer.models import AuditEvent
from tests.conftest import signed_in
from tests.factories import CaseFactory, SettingFactory, UserFactory


@pytest.mark.django_db
def test_events_say_what_happened_and_what_changed(client: Client) -> None:
    case = CaseFactory()
    knole = SettingFactory(name="Knole Academy")
    audit_record(
        case=case, action="preference.removed", actor=None, data={"rank": 2, "setting": knole.urn}
    )
    audit_record(
        case=case,
        action="preference.moved",
        actor=None,
        data={"from": 3, "to": 2, "setting": "other"},
    )
    audit_record(
        case=case, action="state.propose", actor=None, from_state="consulting", to_state="proposed"
    )
    audit_record(case=case, action="something.new_here", actor=None)
    texts = [item.text for item in describe(AuditEvent.objects.filter(case=case).order_by("id"))]
    assert texts == [
        "Preference removed: Knole Academy; preference 2",
        "Preference moved: a school or college not in the list; from preference 3 to 2",
        "Moved to Proposed (from Consulting)",
        "Something new here",
    ]
    assert action_text("consultation.chased") == "School or college chased for an answer"
    signed_in(client, UserFactory(roles=[Role.CASEWORKER]))
    page = client.get(f"/staff/cases/{case.reference}/").content.decode()
    assert "Preference removed: Knole Academy; preference 2" in page
    assert "preference.removed" not in page
