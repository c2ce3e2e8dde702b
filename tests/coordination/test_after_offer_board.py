"""The board after offer day: open mediations, open appeals, orders to carry out and cases
still without a school, from offers' providers; the at-risk list, filters, CSV, workload."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from offers.coordination import appeals as appeal_records
from offers.coordination import mediations as mediation_records
from offers.coordination import releases as release_records
from offers.models import Appeal, Mediation
from offers.services.appeals import AppealDetails, appeal_decide, appeal_hearing, appeal_register
from offers.services.mediation import mediation_request
from phasetransfer.coordination.milestones import (
    AfterOfferStage,
    MilestoneKind,
    Stage,
    Status,
)
from phasetransfer.coordination.selectors import ProgressRow, round_progress
from phasetransfer.core.clock import LONDON
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, CaseState, Round, User
from tests.conftest import signed_in
from tests.coordination.builders import told
from tests.factories import RoundFactory, SettingFactory, UserFactory
from tests.factories.offers import decided_case

pytestmark = pytest.mark.django_db

# 1 June 2027, after the statutory deadline, three months before the school year starts.
NOW = dt.datetime(2027, 6, 1, 9, 0, tzinfo=LONDON)


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=LONDON)


@dataclass
class AfterOfferWorld:
    round: Round
    caseworker: User
    mediation_in_time: Case
    mediation_late: Case
    hearing: Case
    order: Case
    type_only: Case
    placed: Case
    no_decision: Case


def after_offer_world() -> AfterOfferWorld:
    round_ = RoundFactory()
    worker = UserFactory(roles=[Role.CASEWORKER])
    in_time, late = told(round_), told(round_)
    # Through the service: the request moves the case to "appealed".
    mediation_request(case=in_time, requested_on=dt.date(2027, 5, 20), actor=worker, now=NOW)
    mediation_request(case=late, requested_on=dt.date(2027, 5, 1), actor=worker, now=NOW)
    hearing = told(round_)
    lodged = appeal_register(
        case=hearing,
        details=AppealDetails(tribunal_reference="EH886/27/00001", lodged_on=dt.date(2027, 4, 1)),
        actor=worker,
        now=NOW,
    )
    appeal_hearing(
        appeal=lodged,
        hearing_on=dt.date(2027, 6, 20),
        response_due_on=dt.date(2027, 5, 14),
        actor=worker,
        now=NOW,
    )
    order = told(round_)
    upheld = appeal_register(
        case=order,
        details=AppealDetails(
            tribunal_reference="EH886/27/00002",
            lodged_on=dt.date(2027, 3, 1),
            independent_requested=True,
        ),
        actor=worker,
        now=NOW,
    )
    # Decided 1 May: the order is due by 5 June, 4 days from NOW.
    appeal_decide(
        appeal=upheld,
        outcome="upheld",
        decided_on=dt.date(2027, 5, 1),
        setting=SettingFactory(name="Ordered Academy"),
        actor=worker,
        now=NOW,
    )
    no_decision = decided_case(round_)
    Case.objects.filter(pk=no_decision.pk).update(state=CaseState.NO_DECISION_YET)
    return AfterOfferWorld(
        round=round_,
        caseworker=worker,
        mediation_in_time=in_time,
        mediation_late=late,
        hearing=hearing,
        order=order,
        type_only=told(round_, type_only=True),
        placed=told(round_),
        no_decision=no_decision,
    )


@pytest.fixture
def world() -> AfterOfferWorld:
    return after_offer_world()


def _rows(world: AfterOfferWorld) -> dict[str, ProgressRow]:
    return {row.reference: row for row in round_progress(round_=world.round, now=NOW)}


def test_the_board_lists_the_stages_after_offer_day(world: AfterOfferWorld) -> None:
    rows = _rows(world)

    def row(case: Case) -> ProgressRow:
        return rows[case.reference]

    in_time = row(world.mediation_in_time)
    assert in_time.stage == AfterOfferStage.OPEN_MEDIATION
    assert in_time.milestone is not None
    assert in_time.milestone.kind == MilestoneKind.MEDIATION_BY
    assert in_time.due == _end_of(dt.date(2027, 6, 19))  # 30 days after 20 May
    assert (in_time.status, in_time.at_risk) == (Status.ON_TRACK, False)

    late = row(world.mediation_late)
    assert late.stage == AfterOfferStage.OPEN_MEDIATION
    assert late.due == _end_of(dt.date(2027, 5, 31))
    assert (late.status, late.at_risk) == (Status.OVERDUE, True)

    hearing = row(world.hearing)
    assert hearing.stage == AfterOfferStage.OPEN_APPEAL
    assert hearing.milestone is not None
    assert hearing.milestone.kind == MilestoneKind.HEARING  # the response date has passed
    assert (hearing.status, hearing.at_risk) == (Status.ON_TRACK, False)

    order = row(world.order)
    assert order.stage == AfterOfferStage.ORDER
    assert order.milestone is not None
    assert order.milestone.kind == MilestoneKind.ORDER
    assert order.due == _end_of(dt.date(2027, 6, 5))
    assert (order.status, order.at_risk) == (Status.DUE_SOON, True)

    type_only = row(world.type_only)
    assert type_only.stage == Stage.RELEASED
    assert type_only.milestone is not None
    assert type_only.milestone.kind == MilestoneKind.START_OF_YEAR
    assert (type_only.status, type_only.at_risk) == (Status.ON_TRACK, False)

    no_decision = row(world.no_decision)
    assert no_decision.stage == Stage.NO_DECISION_YET
    assert no_decision.milestone is not None
    assert no_decision.milestone.kind == MilestoneKind.START_OF_YEAR

    placed = row(world.placed)
    assert (placed.stage, placed.milestone, placed.status) == (Stage.RELEASED, None, Status.CLOSED)

    # Most urgent first: the late mediation, then the order due this week.
    ordered = [r.reference for r in round_progress(round_=world.round, now=NOW)]
    assert ordered[:2] == [world.mediation_late.reference, world.order.reference]


def test_an_order_carried_out_is_no_longer_on_the_board(world: AfterOfferWorld) -> None:
    Appeal.objects.filter(case=world.order).update(implemented_on=dt.date(2027, 5, 20))
    row = _rows(world)[world.order.reference]
    assert row.stage == Stage.APPEALED
    assert row.status == Status.CLOSED


def test_the_providers_answer_for_a_round_in_one_query_each(world: AfterOfferWorld) -> None:
    for provider in (release_records, mediation_records, appeal_records):
        with CaptureQueriesContext(connection) as queries:
            provider(world.round)
        assert len(queries) == 1, provider.__name__
    named = {r.case_id: r.names_setting for r in release_records(world.round)}
    assert named[world.placed.pk] is True
    assert named[world.type_only.pk] is False
    (order,) = [a for a in appeal_records(world.round) if a.case_id == world.order.pk]
    assert order.order_due_on == dt.date(2027, 6, 5)
    assert order.independent_requested


def test_the_board_does_not_query_per_case(world: AfterOfferWorld) -> None:
    with CaptureQueriesContext(connection) as before:
        round_progress(round_=world.round, now=NOW)
    worker = world.caseworker
    for n in range(5):  # five more cases, each with a mediation and an appeal
        case = told(world.round)
        Mediation.objects.create(case=case, requested_on=dt.date(2027, 5, 25), recorded_by=worker)
        Appeal.objects.create(
            case=case,
            tribunal_reference=f"EH886/27/01{n:03d}",
            lodged_on=dt.date(2027, 5, 1),
            response_due_on=dt.date(2027, 6, 12),
            recorded_by=worker,
        )
    with CaptureQueriesContext(connection) as after:
        rows = round_progress(round_=world.round, now=NOW)
    assert len(rows) == 12
    assert len(after) == len(before)


@pytest.fixture
def coordinator(client: Client, world: AfterOfferWorld) -> Iterator[Client]:
    with time_machine.travel(NOW, tick=False):
        yield signed_in(client, UserFactory(roles=[Role.COORDINATOR]))


def _references(html: str) -> list[str]:
    return re.findall(r'data-reference="([^"]+)"', html)


def test_the_board_filters_by_the_new_stages_and_lists_them_at_risk(
    coordinator: Client, world: AfterOfferWorld
) -> None:
    board = f"/staff/rounds/{world.round.pk}/progress/"
    html = coordinator.get(board).content.decode()
    labels = ("Open mediation", "Open appeal", "Order to carry out", "Start of the school year")
    for label in labels:
        assert label in html
    assert 'value="order"' in html  # the stage filter offers the new stages
    order_only = coordinator.get(f"{board}?stage=order").content.decode()
    assert _references(order_only) == [world.order.reference]
    mediations = coordinator.get(f"{board}?stage=open_mediation").content.decode()
    assert set(_references(mediations)) == {
        world.mediation_in_time.reference,
        world.mediation_late.reference,
    }
    at_risk = coordinator.get(f"{board}?at_risk=1").content.decode()
    assert _references(at_risk) == [world.mediation_late.reference, world.order.reference]
    assert "At risk this week (2)" in html
    # Each says why, in words a co-ordinator acts on, the overdue first.
    reasons = re.findall(r"<strong>At risk:</strong> ([^<]+)</span>", at_risk)
    assert len(reasons) == 2
    assert "overdue since" in reasons[0]
    assert reasons[1] == "Order to carry out by: due 6 June (in 4 days)"


def test_the_export_names_the_stage_and_milestone(
    coordinator: Client, world: AfterOfferWorld
) -> None:
    response = coordinator.get(f"/staff/rounds/{world.round.pk}/progress.csv?at_risk=1")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    by_reference = {row[0]: row for row in rows[1:]}
    order = by_reference[world.order.reference]
    assert order[5:] == [
        "Order to carry out",
        "Order to carry out by",
        "2027-06-06 00:00",
        "Due within 7 days",
        "yes",
        "Order to carry out by: due 6 June (in 4 days)",
    ]
    assert by_reference[world.mediation_late.reference][5:7] == [
        "Open mediation",
        "Mediation to take place by",
    ]


def test_the_workload_counts_cases_in_the_new_stages(
    coordinator: Client, world: AfterOfferWorld
) -> None:
    html = coordinator.get(f"/staff/rounds/{world.round.pk}/workload/").content.decode()
    header = html.split('id="workload-table"', 1)[1].split("</thead>", 1)[0]
    for label in ("Open mediation", "Open appeal", "Order to carry out", "Released"):
        assert label in header
    # Pipeline order: the case states' stages, then what is open after offer day.
    assert header.index("Released") < header.index("Open mediation") < header.index("Order")
