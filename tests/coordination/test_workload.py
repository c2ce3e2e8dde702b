"""Caseworker workload, and moving cases between caseworkers (audited, caseworkers only)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client

from phasetransfer.coordination.milestones import Stage
from phasetransfer.coordination.selectors import assignable_caseworkers, round_progress, workload
from phasetransfer.coordination.services import ReassignRefused, cases_reassign
from phasetransfer.core.roles import Role
from phasetransfer.models import AuditEvent, Case
from tests.conftest import signed_in
from tests.factories import CaseFactory, RoundFactory, UserFactory
from tests.factories.coordination import caseworkers, many_cases
from tests.moments import MID_ROUND

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(MID_ROUND, tick=False):
        yield


def test_workload_counts_cases_per_caseworker_by_stage(frozen: None) -> None:
    workers = caseworkers(2)
    idle = UserFactory(email="idle@example.org", full_name="Idle Worker", roles=[Role.CASEWORKER])
    round_ = many_cases(count=24, workers=workers)
    table = workload(
        rows=round_progress(round_=round_, now=MID_ROUND), caseworkers=[*workers, idle]
    )
    by_label = {line.label: line for line in table}
    assert [line.label for line in table][-1] == "Unassigned"
    assert by_label["Idle Worker"].total == 0  # listed, so there is room to give cases
    for worker in workers:
        line = by_label[str(worker)]
        cases = Case.objects.filter(round=round_, caseworker=worker)
        assert line.total == cases.count()
        assert line.by_stage.get(Stage.NOT_INVITED, 0) == cases.filter(state="identified").count()
        # Not invited and invited cases are overdue once the window has closed.
        assert line.overdue == cases.filter(state__in=["identified", "invited"]).count()
    assert sum(line.total for line in table) == 24


def test_reassigning_writes_an_audit_event_per_case_that_moved(frozen: None) -> None:
    old, new = caseworkers(2)
    coordinator = UserFactory(roles=[Role.COORDINATOR])
    moving = [CaseFactory(caseworker=old), CaseFactory(caseworker=None)]
    already = CaseFactory(caseworker=new)
    moved = cases_reassign(
        case_ids=[c.pk for c in [*moving, already]], caseworker=new, actor=coordinator
    )
    assert moved == 2
    assert set(Case.objects.filter(caseworker=new)) == {*moving, already}
    events = AuditEvent.objects.filter(action="case.reassigned").order_by("case_id")
    assert [(e.case_id, e.data["from_caseworker"], e.data["to_caseworker"]) for e in events] == [
        (moving[0].pk, old.pk, new.pk),
        (moving[1].pk, None, new.pk),
    ]
    assert all(e.actor == coordinator and e.at == MID_ROUND for e in events)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PANEL_CHAIR, Role.PARENT])
def test_only_caseworkers_can_hold_cases(role: Role) -> None:
    case = CaseFactory()
    somebody = UserFactory(roles=[role])
    with pytest.raises(ReassignRefused):
        cases_reassign(case_ids=[case.pk], caseworker=somebody, actor=None)
    inactive = UserFactory(roles=[Role.CASEWORKER], is_active=False)
    with pytest.raises(ReassignRefused):
        cases_reassign(case_ids=[case.pk], caseworker=inactive, actor=None)
    assert inactive not in assignable_caseworkers()
    assert not AuditEvent.objects.filter(action="case.reassigned").exists()


def _page(client: Client, url: str) -> str:
    return client.get(url).content.decode()


def test_a_coordinator_reassigns_ticked_cases(client: Client, frozen: None) -> None:
    old, new = caseworkers(2)
    round_ = RoundFactory()
    first, second, third = (CaseFactory(round=round_, caseworker=old) for _ in range(3))
    signed_in(client, UserFactory(roles=[Role.COORDINATOR]))
    url = f"/staff/rounds/{round_.pk}/workload/"
    assert 'name="cases"' in _page(client, url)
    asked = client.post(
        url, {"scope": "selected", "cases": [first.pk, third.pk], "assignee": new.pk}
    ).content.decode()
    # First how many and which; nothing moved yet.
    assert "Give 2 cases to" in asked
    assert first.reference in asked
    assert second.reference not in asked
    assert Case.objects.get(pk=first.pk).caseworker == old
    response = client.post(
        url,
        {"scope": "selected", "cases": [first.pk, third.pk], "assignee": new.pk, "confirm": "yes"},
    )
    assert response.status_code == 302
    assert set(Case.objects.filter(caseworker=new)) == {first, third}
    assert Case.objects.get(pk=second.pk).caseworker == old
    assert "2 case(s) given to" in _page(client, response["Location"])


def test_a_coordinator_reassigns_every_case_matching_the_filter(
    client: Client, frozen: None
) -> None:
    workers = caseworkers(2)
    new = UserFactory(email="new@example.org", roles=[Role.CASEWORKER])
    round_ = many_cases(count=40, workers=workers)
    signed_in(client, UserFactory(roles=[Role.COORDINATOR]))
    url = f"/staff/rounds/{round_.pk}/workload/?caseworker={workers[0].pk}&area=North"
    matching = set(Case.objects.filter(round=round_, caseworker=workers[0], send_area="North"))
    assert matching
    html = _page(client, url)
    assert f"All {len(matching)} case" in html
    asked = client.post(url, {"scope": "all", "assignee": new.pk}).content.decode()
    assert f"Give {len(matching)} case" in asked
    assert not Case.objects.filter(caseworker=new).exists()
    ids = [str(case.pk) for case in matching]
    response = client.post(
        url, {"scope": "selected", "cases": ids, "assignee": new.pk, "confirm": "yes"}
    )
    assert response.status_code == 302
    assert set(Case.objects.filter(caseworker=new)) == matching
    assert AuditEvent.objects.filter(action="case.reassigned").count() == len(matching)


def test_reassign_form_errors_are_shown(client: Client, frozen: None) -> None:
    round_ = RoundFactory()
    CaseFactory(round=round_)
    not_a_caseworker = UserFactory(roles=[Role.PANEL_CHAIR])
    signed_in(client, UserFactory(roles=[Role.COORDINATOR]))
    url = f"/staff/rounds/{round_.pk}/workload/"
    html = client.post(url, {"scope": "selected", "assignee": ""}).content.decode()
    assert "Tick at least one case" in html
    assert "Select the caseworker" in html
    html = client.post(url, {"scope": "all", "assignee": not_a_caseworker.pk}).content.decode()
    assert "Select a caseworker from the list" in html
    assert not AuditEvent.objects.filter(action="case.reassigned").exists()


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.PANEL_CHAIR])
def test_staff_who_may_read_but_not_reassign_see_no_form_and_are_refused(
    client: Client, frozen: None, role: Role
) -> None:
    old, new = caseworkers(2)
    round_ = RoundFactory()
    case = CaseFactory(round=round_, caseworker=old)
    signed_in(client, UserFactory(roles=[role]))
    url = f"/staff/rounds/{round_.pk}/workload/"
    html = _page(client, url)
    assert re.search(r'name="cases"', html) is None
    response = client.post(url, {"scope": "selected", "cases": [case.pk], "assignee": new.pk})
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).caseworker == old
