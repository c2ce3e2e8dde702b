"""Scheduling as a run: requested from the page, claimed once, solved off the request with
progress on the page, and written in one short transaction that re-checks what it read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from panels.models import PanelCase, PanelSession, Recusal, SchedulingRun
from panels.scheduler import schedule_group
from panels.services import scheduling
from panels.services.scheduling import (
    SchedulingBusy,
    panels_schedule,
    place,
    runs,
    scheduling_execute,
    scheduling_request,
)
from panels.services.sessions import member_seat
from phasetransfer.cases.state import cases_move_bulk
from phasetransfer.core.roles import Role
from phasetransfer.models import (
    AllocationRun,
    AuditEvent,
    Case,
    CaseState,
    Phase,
    Proposal,
    Round,
    RunStatus,
    User,
)
from tests.conftest import signed_in
from tests.factories import RoundFactory, SettingFactory, UserFactory
from tests.factories.panels import PanelSessionFactory, agree, at_panel, proposed_case
from tests.moments import BEFORE_PANELS, PANEL_SITS
from tests.support.worker import celery_worker, tasks_routed_to, wait_for

STALE = SchedulingRun.stale_after()


@pytest.fixture
def round_(db: None) -> Round:
    return RoundFactory()


@pytest.fixture
def officer(db: None) -> User:
    return UserFactory(roles=[Role.CASEWORKER])


def _page(client: Client, user: User, round_: Round, at: dt.datetime = BEFORE_PANELS) -> str:
    with time_machine.travel(at, tick=False):
        response = signed_in(client, user).get(reverse("panels-round", args=[round_.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _press(client: Client, user: User, round_: Round, at: dt.datetime = BEFORE_PANELS) -> Any:
    with time_machine.travel(at, tick=False):
        return signed_in(client, user).post(reverse("panels-schedule", args=[round_.pk]), {})


def _during_the_solve(monkeypatch: pytest.MonkeyPatch, change: Callable[[], object]) -> None:
    """Make ``change`` happen while the solver works (once), as another user's request would."""
    pending = [change]

    def solve(*args: Any, **kwargs: Any) -> Any:
        while pending:
            pending.pop()()
        return schedule_group(*args, **kwargs)

    monkeypatch.setattr(place, "schedule_group", solve)


def _active(round_: Round, status: str, *, heartbeat: dt.datetime) -> SchedulingRun:
    return SchedulingRun.objects.create(
        round=round_,
        status=status,
        requested_at=heartbeat,
        heartbeat_at=heartbeat,
        started_at=heartbeat if status == RunStatus.RUNNING else None,
    )


# --- Requesting: one run per round at a time -----------------------------------------


@pytest.mark.django_db
def test_the_button_queues_a_run_and_returns_at_once(
    client: Client,
    round_: Round,
    officer: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    PanelSessionFactory(round=round_)
    case = proposed_case(round_, preferences=(SettingFactory(),))
    with django_capture_on_commit_callbacks() as queued:
        response = _press(client, officer, round_)
    assert response.status_code == 302
    assert response["Location"] == reverse("panels-round", args=[round_.pk])
    run = SchedulingRun.objects.get()
    assert run.status == RunStatus.QUEUED
    assert run.requested_by == officer
    assert run.requested_at == BEFORE_PANELS
    assert len(queued) == 1  # the task, sent once the request has committed
    # nothing was solved or written in the request
    assert not PanelCase.objects.exists()
    case.refresh_from_db()
    assert case.state == CaseState.PROPOSED
    page = _page(client, officer, round_)
    assert "Scheduling has started" in page
    assert "is waiting for a worker" in page
    assert '<meta http-equiv="refresh"' in page
    assert "Schedule proposed cases</button>" not in page


@pytest.mark.django_db
def test_a_second_request_while_one_is_queued_is_refused_and_creates_nothing(
    client: Client, round_: Round, officer: User
) -> None:
    assert _press(client, officer, round_).status_code == 302
    assert _press(client, officer, round_).status_code == 302  # a double click, another tab
    assert SchedulingRun.objects.count() == 1
    page = _page(client, officer, round_)
    assert "is already queued or running" in page
    with pytest.raises(SchedulingBusy):
        scheduling_request(round_=round_, actor=None, queue=False, now=BEFORE_PANELS)
    assert SchedulingRun.objects.count() == 1


@pytest.mark.django_db
def test_a_request_while_one_is_running_is_refused_but_other_rounds_are_free(
    round_: Round,
) -> None:
    _active(round_, RunStatus.RUNNING, heartbeat=BEFORE_PANELS)
    with pytest.raises(SchedulingBusy, match="already queued or running"):
        scheduling_request(round_=round_, actor=None, queue=False, now=BEFORE_PANELS)
    with pytest.raises(SchedulingBusy):
        panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert SchedulingRun.objects.filter(round=round_).count() == 1
    other_round = RoundFactory(phase=Phase.POST16)
    other = scheduling_request(round_=other_round, actor=None, queue=False, now=BEFORE_PANELS)
    assert other.status == RunStatus.QUEUED


@pytest.mark.django_db
def test_a_run_is_done_once_however_often_its_task_arrives(round_: Round) -> None:
    PanelSessionFactory(round=round_)
    proposed_case(round_, preferences=(SettingFactory(),))
    run = scheduling_request(round_=round_, actor=None, queue=False, now=BEFORE_PANELS)
    done = scheduling_execute(run_id=run.pk, now=BEFORE_PANELS)
    assert done is not None
    assert done.status == RunStatus.DONE
    assert done.scheduled == 1
    assert done.ran_at == BEFORE_PANELS
    assert done.areas_done == done.areas_total == 1
    assert done.percent == 100
    assert scheduling_execute(run_id=run.pk, now=BEFORE_PANELS) is None
    assert PanelCase.objects.count() == 1


# --- Progress and report on the page -------------------------------------------------


@pytest.mark.django_db
def test_the_page_shows_a_running_run_s_progress_and_refreshes(
    client: Client, round_: Round, officer: User
) -> None:
    run = _active(round_, RunStatus.RUNNING, heartbeat=BEFORE_PANELS)
    SchedulingRun.objects.filter(pk=run.pk).update(
        stage="Solving area North", areas_done=1, areas_total=4, requested_by=officer
    )
    page = _page(client, officer, round_, at=BEFORE_PANELS + dt.timedelta(minutes=1))
    assert "Scheduling is under way" in page
    assert "Solving area North: 1 of 4 areas done." in page
    assert 'value="30"' in page  # 10% for reading, then 80% over the areas
    assert '<meta http-equiv="refresh"' in page
    assert "Schedule proposed cases</button>" not in page


@pytest.mark.django_db
def test_the_page_shows_the_report_of_a_finished_run_and_stops_refreshing(
    client: Client, round_: Round, officer: User
) -> None:
    PanelSessionFactory(round=round_)
    proposed_case(round_, preferences=(SettingFactory(),))
    outside = proposed_case(round_, area="Outside Kent", preferences=(SettingFactory(),))
    panels_schedule(round_=round_, actor=officer, now=BEFORE_PANELS)
    page = _page(client, officer, round_)
    assert "Scheduled 1 case(s)" in page  # the summary the button used to flash
    assert outside.reference in page
    assert '<meta http-equiv="refresh"' not in page
    assert "Schedule proposed cases</button>" in page


@pytest.mark.django_db
def test_a_failed_run_is_shown_changes_nothing_and_does_not_block(
    client: Client, round_: Round, officer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    PanelSessionFactory(round=round_)
    case = proposed_case(round_, preferences=(SettingFactory(),))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the solver fell over")

    monkeypatch.setattr(place, "schedule_group", broken)
    run = scheduling_request(round_=round_, actor=None, queue=False, now=BEFORE_PANELS)
    with pytest.raises(RuntimeError):
        scheduling_execute(run_id=run.pk, now=BEFORE_PANELS)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error == "RuntimeError: the solver fell over"
    assert not PanelCase.objects.exists()
    assert Case.objects.get(pk=case.pk).state == CaseState.PROPOSED
    page = _page(client, officer, round_)
    assert "The last scheduling run failed" in page
    assert "the solver fell over" in page
    assert scheduling_request(round_=round_, actor=None, queue=False, now=BEFORE_PANELS)


# --- A worker that died ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("status", [RunStatus.QUEUED, RunStatus.RUNNING])
def test_a_run_whose_worker_died_stops_blocking_the_round_after_the_timeout(
    round_: Round, status: str
) -> None:
    dead = _active(round_, status, heartbeat=BEFORE_PANELS)
    almost = BEFORE_PANELS + STALE - dt.timedelta(seconds=1)
    with pytest.raises(SchedulingBusy):
        scheduling_request(round_=round_, actor=None, queue=False, now=almost)
    later = BEFORE_PANELS + STALE + dt.timedelta(seconds=1)
    fresh = scheduling_request(round_=round_, actor=None, queue=False, now=later)
    assert fresh.status == RunStatus.QUEUED
    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED
    assert "stopped without finishing" in dead.error
    assert dead.finished_at == later
    # the dead run's task, redelivered late, finds it failed and does nothing
    assert scheduling_execute(run_id=dead.pk, now=later) is None


@pytest.mark.django_db
def test_the_page_says_when_a_run_stopped_and_lets_the_officer_start_again(
    client: Client, round_: Round, officer: User
) -> None:
    dead = _active(round_, RunStatus.RUNNING, heartbeat=BEFORE_PANELS)
    later = BEFORE_PANELS + STALE + dt.timedelta(minutes=1)
    page = _page(client, officer, round_, at=later)
    assert "stopped without finishing" in page
    assert '<meta http-equiv="refresh"' not in page
    assert "Schedule proposed cases</button>" in page
    _press(client, officer, round_, at=later)
    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED
    assert SchedulingRun.objects.get(status=RunStatus.QUEUED).requested_by == officer


@pytest.mark.django_db
@pytest.mark.parametrize("noticed", ["at its next heartbeat", "at its write"])
def test_a_run_taken_for_dead_while_it_worked_writes_nothing(
    round_: Round, monkeypatch: pytest.MonkeyPatch, noticed: str
) -> None:
    PanelSessionFactory(round=round_)
    case = proposed_case(round_, preferences=(SettingFactory(),))
    run = scheduling_request(round_=round_, actor=None, queue=False, now=BEFORE_PANELS)
    if noticed == "at its write":  # no heartbeat between the solve and the write
        monkeypatch.setattr(runs, "_progress", lambda *args, **kwargs: None)
    later = BEFORE_PANELS + STALE + dt.timedelta(seconds=1)
    _during_the_solve(
        monkeypatch, lambda: scheduling.scheduling_reap_stale(round_=round_, now=later)
    )
    assert scheduling_execute(run_id=run.pk, now=BEFORE_PANELS) is None
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert not PanelCase.objects.exists()
    assert Case.objects.get(pk=case.pk).state == CaseState.PROPOSED


# --- The write re-checks what the solve read ------------------------------------------


@pytest.mark.django_db
def test_a_case_decided_during_the_solve_is_not_rescheduled(
    round_: Round, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = PanelSessionFactory(round=round_, starts_at=PANEL_SITS)
    decided = at_panel(round_, session=first)
    moving = at_panel(round_, session=first)
    PanelSessionFactory(round=round_, starts_at=PANEL_SITS + dt.timedelta(days=1))
    _during_the_solve(monkeypatch, lambda: agree(decided))  # the chair, meanwhile
    report = panels_schedule(round_=round_, actor=None, rebuild=True, now=BEFORE_PANELS)
    placement = PanelCase.objects.get(case=decided.case)  # still its one and only placement
    assert placement.pk == decided.pk
    assert placement.removed_at is None
    assert placement.session == first
    assert Case.objects.get(pk=decided.case_id).state == CaseState.DECIDED
    assert not AuditEvent.objects.filter(
        case=decided.case, action__in=["panel.removed", "state.unschedule"]
    ).exists()
    assert [u.reference for u in report.left_alone] == [decided.case.reference]
    assert "changed while the schedule was being worked out (decided)" in (
        report.left_alone[0].reason
    )
    # the other undecided case was rebuilt as planned
    assert report.rebuilt == 1
    assert PanelCase.objects.filter(case=moving.case, removed_at=None).exclude(pk=moving.pk)
    assert Case.objects.get(pk=moving.case_id).state == CaseState.AT_PANEL
    run = SchedulingRun.objects.filter(rebuild=True).get()
    assert run.report["left_alone"][0]["reference"] == decided.case.reference


@pytest.mark.django_db
def test_a_case_withdrawn_during_the_solve_is_not_placed(
    round_: Round, monkeypatch: pytest.MonkeyPatch
) -> None:
    PanelSessionFactory(round=round_)
    staying = proposed_case(round_, preferences=(SettingFactory(),))
    leaving = proposed_case(round_, preferences=(SettingFactory(),))
    _during_the_solve(
        monkeypatch,
        lambda: cases_move_bulk(
            name="withdraw",
            case_ids=[leaving.pk],
            actor=None,
            reason="Moved out of the area",
            now=BEFORE_PANELS,
        ),
    )
    report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert report.scheduled == 1
    assert PanelCase.objects.get().case == staying
    assert Case.objects.get(pk=leaving.pk).state == CaseState.WITHDRAWN
    assert [u.reference for u in report.left_alone] == [leaving.reference]
    assert report.unplaced == []


@pytest.mark.django_db
def test_a_session_that_filled_up_during_the_solve_is_not_overfilled(
    round_: Round, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = PanelSessionFactory(round=round_, starts_at=PANEL_SITS, case_limit=2)
    cases = [proposed_case(round_, preferences=(SettingFactory(),)) for _ in range(2)]
    _during_the_solve(
        monkeypatch,
        lambda: PanelSession.objects.filter(pk=session.pk).update(case_limit=1),
    )
    report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert report.scheduled == 1
    assert session.panel_cases.filter(removed_at=None).count() == 1
    assert [u.reason for u in report.unplaced] == [
        "the session of 11 January 2027 filled up while the schedule was being worked out: "
        "run the scheduler again"
    ]
    waiting = Case.objects.get(reference=report.unplaced[0].reference)
    assert waiting in cases
    assert waiting.state == CaseState.PROPOSED


@pytest.mark.django_db
def test_a_session_signed_off_during_the_solve_takes_no_new_cases(
    round_: Round, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = PanelSessionFactory(round=round_, starts_at=PANEL_SITS)
    case = proposed_case(round_, preferences=(SettingFactory(),))
    _during_the_solve(
        monkeypatch,
        lambda: PanelSession.objects.filter(pk=session.pk).update(signed_off_at=BEFORE_PANELS),
    )
    report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert report.scheduled == 0
    assert not PanelCase.objects.exists()
    assert [u.reference for u in report.unplaced] == [case.reference]
    assert "changed while the schedule was being worked out" in report.unplaced[0].reason


@pytest.mark.django_db
def test_a_member_seated_during_the_solve_is_recused(
    round_: Round, monkeypatch: pytest.MonkeyPatch
) -> None:
    school = SettingFactory(name="Oakwood School")
    session = PanelSessionFactory(round=round_)
    case = proposed_case(round_, preferences=(SettingFactory(), school))
    head = UserFactory()
    _during_the_solve(monkeypatch, lambda: member_seat(session=session, user=head, school=school))
    report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert report.recusals == 1
    recusal = Recusal.objects.get()
    assert recusal.member.user == head
    assert recusal.panel_case.case == case
    assert recusal.reason == "Oakwood School is the family's 2nd preference"


@pytest.mark.django_db
def test_a_newer_allocation_run_during_the_solve_gives_the_placement_its_proposal(
    round_: Round, monkeypatch: pytest.MonkeyPatch
) -> None:
    PanelSessionFactory(round=round_)
    first, second = SettingFactory(), SettingFactory()
    case = proposed_case(round_, preferences=(first, second))

    def allocate_again() -> None:
        newer = AllocationRun.objects.create(
            round=round_,
            status=RunStatus.DONE,
            requested_at=BEFORE_PANELS + dt.timedelta(hours=1),
            finished_at=BEFORE_PANELS + dt.timedelta(hours=1),
        )
        Proposal.objects.create(run=newer, case=case, setting=second, preference_rank=2)

    _during_the_solve(monkeypatch, allocate_again)
    panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    placement = PanelCase.objects.get(case=case)
    assert placement.proposal is not None
    assert placement.proposal.setting == second


# --- Through a real worker ------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_button_queues_a_run_that_a_real_worker_completes(
    client: Client, tmp_path: Path
) -> None:
    # The worker reads the real clock: a round with no offer day yet, a session next week.
    round_ = RoundFactory()
    Round.objects.filter(pk=round_.pk).update(offer_day_at=None)
    PanelSessionFactory(round=round_, starts_at=timezone.now() + dt.timedelta(days=7))
    case = proposed_case(round_, preferences=(SettingFactory(),))
    officer = UserFactory(roles=[Role.CASEWORKER])
    signed_in(client, officer)
    url = reverse("panels-round", args=[round_.pk])
    with celery_worker(tmp_path) as worker, tasks_routed_to(worker.queue):
        response = client.post(reverse("panels-schedule", args=[round_.pk]))
        assert response.status_code == 302
        run = SchedulingRun.objects.get()
        wait_for(
            lambda: SchedulingRun.objects.get(pk=run.pk).status == RunStatus.DONE,
            worker=worker,
        )
    assert "panels.schedule_round" in worker.output()
    assert PanelCase.objects.get(case=case).removed_at is None
    assert Case.objects.get(pk=case.pk).state == CaseState.AT_PANEL
    page = client.get(url).content.decode()
    assert "Scheduled 1 case(s)" in page
