"""Minutes of a session as CSV and PDF: decisions, grounds and reasons, recusals."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from panels.models import Ground, Outcome, Recusal
from panels.pack import MINUTES_COLUMNS
from panels.services.decisions import DecisionInput, decision_record
from phasetransfer.models import Round
from tests.conftest import signed_in
from tests.factories import RoundFactory, SettingFactory
from tests.factories.panels import PanelMemberFactory, at_panel
from tests.moments import PANEL_HAS_SAT

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_() -> Round:
    return RoundFactory()


def _minutes(client: Client, user: object, session_id: int, kind: str = "csv") -> bytes:
    with time_machine.travel(PANEL_HAS_SAT, tick=False):
        signed_in(client, user)  # type: ignore[arg-type]
        response = client.get(reverse(f"panels-minutes-{kind}", args=[session_id]))
    assert response.status_code == 200
    return response.content


def test_minutes_csv_lists_decisions_with_grounds_reasons_and_recusals(
    client: Client, round_: Round
) -> None:
    pc = at_panel(round_)
    other = at_panel(round_, session=pc.session)
    member = PanelMemberFactory(session=pc.session, user__full_name="Pat Member")
    Recusal.objects.create(panel_case=pc, member=member, reason="Works at the proposed school")
    chair = pc.session.chair
    first = decision_record(
        panel_case=pc, data=DecisionInput(outcome=Outcome.AGREE), actor=chair, now=PANEL_HAS_SAT
    )
    decision_record(
        panel_case=pc,
        data=DecisionInput(
            outcome=Outcome.OTHER_SETTING,
            setting=SettingFactory(name="Brook School"),
            ground=Ground.RESOURCES,
            reasons="=1+1 transport cost",
            change_reason="Transport costs came in",
        ),
        actor=chair,
        now=PANEL_HAS_SAT,
    )
    decision_record(
        panel_case=other,
        data=DecisionInput(outcome=Outcome.DEFER, reasons="EP report awaited"),
        actor=chair,
        now=PANEL_HAS_SAT,
    )
    rows = list(csv.DictReader(io.StringIO(_minutes(client, chair, pc.session.pk).decode())))
    assert list(rows[0]) == MINUTES_COLUMNS
    mine = [r for r in rows if r["case_reference"] == pc.case.reference]
    assert [r["status"] for r in mine] == ["superseded", "current"]
    assert mine[0]["setting_name"] == first.setting.name
    current = mine[1]
    assert current["outcome"] == "Name another setting"
    assert current["setting_name"] == "Brook School"
    assert current["ground_label"] == "Incompatible with the efficient use of resources"
    assert current["reasons"] == "'=1+1 transport cost"  # not a spreadsheet formula
    assert current["change_reason"] == "Transport costs came in"
    assert current["recusals"] == "Pat Member (Works at the proposed school)"
    deferred = next(r for r in rows if r["case_reference"] == other.case.reference)
    assert (deferred["outcome"], deferred["reasons"]) == (
        "Defer to a later session",
        "EP report awaited",
    )


def test_minutes_pdf(client: Client, round_: Round) -> None:
    pc = at_panel(round_)
    decision_record(
        panel_case=pc,
        data=DecisionInput(outcome=Outcome.AGREE),
        actor=pc.session.chair,
        now=PANEL_HAS_SAT,
    )
    assert _minutes(client, pc.session.chair, pc.session.pk, "pdf").startswith(b"%PDF")
