"""Scheduling a round into its sessions: rules, reports, re-scheduling, through the service."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from panels.models import Outcome, PanelCase, PanelSession, Recusal, SchedulingRun
from panels.services.decisions import DecisionInput, decision_record
from panels.services.rounds import panel_settings_update
from panels.services.scheduling import panels_schedule
from phasetransfer.core.clock import LONDON
from phasetransfer.models import AuditEvent, Case, CaseState, Phase, Round
from tests.factories import RoundFactory, SettingFactory
from tests.factories.consultations import ConsultationFactory
from tests.factories.panels import PanelMemberFactory, PanelSessionFactory, proposed_case
from tests.moments import BEFORE_PANELS

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_() -> Round:
    return RoundFactory()


def _day(day: int, month: int = 1, hour: int = 10) -> dt.datetime:
    return dt.datetime(2027, month, day, hour, 0, tzinfo=LONDON)


def _session_of(case: Case) -> PanelSession | None:
    found = PanelCase.objects.filter(case=case, removed_at=None).first()
    return found.session if found else None


def test_cases_go_to_a_session_of_their_area_and_round(round_: Round) -> None:
    other_round = RoundFactory(phase=Phase.POST16)
    north = PanelSessionFactory(round=round_, send_area="North", starts_at=_day(12))
    south = PanelSessionFactory(round=round_, send_area="South", starts_at=_day(13))
    PanelSessionFactory(round=other_round, send_area="North", starts_at=_day(11))
    a = proposed_case(round_, area="North", preferences=(SettingFactory(),))
    b = proposed_case(round_, area="South", preferences=(SettingFactory(),))
    report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert report.scheduled == 2
    assert report.unplaced == []
    assert _session_of(a) == north
    assert _session_of(b) == south
    a.refresh_from_db()
    assert a.state == CaseState.AT_PANEL
    placement = PanelCase.objects.get(case=a)
    assert placement.proposal is not None
    assert placement.proposal.case == a
    assert AuditEvent.objects.filter(case=a, action="state.schedule_for_panel").exists()
    assert AuditEvent.objects.filter(case=a, action="panel.scheduled").get().data["session"] == (
        north.pk
    )


def test_sessions_start_after_consultation_responses_are_due(round_: Round) -> None:
    early = PanelSessionFactory(round=round_, starts_at=_day(11))
    late = PanelSessionFactory(round=round_, starts_at=_day(25))
    case = proposed_case(round_, preferences=(SettingFactory(),))
    # sent 4 January: due by the end of 19 January (15 days), i.e. 20 January 00:00
    ConsultationFactory(case=case, sent_at=_day(4))
    panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert _session_of(case) == late
    assert early.panel_cases.count() == 0


def test_withdrawn_and_replaced_consultations_do_not_hold_a_case_back(round_: Round) -> None:
    early = PanelSessionFactory(round=round_, starts_at=_day(11))
    case = proposed_case(round_, preferences=(SettingFactory(),))
    ConsultationFactory(case=case, sent_at=_day(4), status="withdrawn", withdrawn_at=_day(5))
    panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert _session_of(case) == early


def test_no_session_after_the_cut_off(round_: Round) -> None:
    # offer day Friday 12 February, 5 approval days: the last panel day is 7 February
    PanelSessionFactory(round=round_, starts_at=_day(8, month=2))
    case = proposed_case(round_, preferences=(SettingFactory(),))
    report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert report.scheduled == 0
    assert [u.reference for u in report.unplaced] == [case.reference]
    assert "no session for area North before the cut-off (7 February 2027)" in (
        report.unplaced[0].reason
    )
    panel_settings_update(round_=round_, approval_days=2)
    report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert report.scheduled == 1


def test_window_reason_names_the_due_date(round_: Round) -> None:
    PanelSessionFactory(round=round_, starts_at=_day(11))
    case = proposed_case(round_, preferences=(SettingFactory(),))
    ConsultationFactory(case=case, sent_at=_day(28))
    report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert report.unplaced[0].reason == (
        "no session for area North before the cut-off (7 February 2027) after its "
        "consultation responses are due (13 February 2027)"
    )


def test_limits_are_kept_and_overflow_reported(round_: Round) -> None:
    for day in (11, 12):
        PanelSessionFactory(round=round_, starts_at=_day(day), case_limit=2)
    cases = [proposed_case(round_, preferences=(SettingFactory(),)) for _ in range(5)]
    report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert report.scheduled == 4
    assert [u.reason for u in report.unplaced] == [
        "all sessions for area North that fit its dates are full"
    ]
    assert report.unplaced[0].reference == cases[-1].reference
    for session in PanelSession.objects.all():
        assert session.panel_cases.count() == 2
    assert Case.objects.get(pk=cases[-1].pk).state == CaseState.PROPOSED


def test_sessions_filled_evenly(round_: Round) -> None:
    sessions = [PanelSessionFactory(round=round_, starts_at=_day(d)) for d in (11, 12, 13)]
    for _ in range(9):
        proposed_case(round_, preferences=(SettingFactory(),))
    panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert [s.panel_cases.count() for s in sessions] == [3, 3, 3]


def test_conflicted_session_avoided_when_another_fits(round_: Round) -> None:
    school = SettingFactory(name="Oakwood School")
    conflicted = PanelSessionFactory(round=round_, starts_at=_day(11))
    PanelMemberFactory(session=conflicted, school=school)
    clear = PanelSessionFactory(round=round_, starts_at=_day(12))
    case = proposed_case(round_, preferences=(SettingFactory(), school))
    report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert _session_of(case) == clear
    assert report.recusals == 0
    assert not Recusal.objects.exists()


def test_unavoidable_conflict_places_the_case_and_recuses_the_member(round_: Round) -> None:
    school = SettingFactory(name="Oakwood School")
    session = PanelSessionFactory(round=round_, starts_at=_day(11))
    member = PanelMemberFactory(session=session, school=school)
    bystander = PanelMemberFactory(session=session, school=SettingFactory())
    case = proposed_case(round_, preferences=(SettingFactory(), school))
    report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert _session_of(case) == session
    assert report.recusals == 1
    recusal = Recusal.objects.get()
    assert recusal.member == member
    assert recusal.reason == "Oakwood School is the family's 2nd preference"
    assert bystander.recusals.count() == 0
    event = AuditEvent.objects.get(case=case, action="panel.scheduled")
    assert event.data["recused"] == [member.user_id]


def test_member_from_the_host_of_a_resourced_provision_is_conflicted(round_: Round) -> None:
    host = SettingFactory(name="Hill Academy")
    provision = SettingFactory(name="Hill Academy ASD base", host=host, kind="resourced_provision")
    session = PanelSessionFactory(round=round_, starts_at=_day(11))
    PanelMemberFactory(session=session, school=host)
    proposed_case(round_, preferences=(provision,))
    panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert Recusal.objects.get().reason == (
        "Hill Academy shares a site with Hill Academy ASD base, the proposed setting"
    )


def test_cases_that_cannot_go_to_any_panel_are_reported(round_: Round) -> None:
    PanelSessionFactory(round=round_, starts_at=_day(11))
    outside = proposed_case(round_, area="Outside Kent", preferences=(SettingFactory(),))
    blank = proposed_case(round_, area="", preferences=(SettingFactory(),))
    no_proposal = proposed_case(round_)
    no_session = proposed_case(round_, area="West", preferences=(SettingFactory(),))
    report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    reasons = {u.reference: u.reason for u in report.unplaced}
    assert reasons == {
        outside.reference: "home outside Kent's SEND areas (Outside Kent)",
        blank.reference: "home outside Kent's SEND areas (no area recorded)",
        no_proposal.reference: "no proposal in the latest allocation run: run the allocation model",
        no_session.reference: "no session for area West in this round",
    }
    run = SchedulingRun.objects.get()
    assert run.unplaced == 4
    assert len(run.report["unplaced"]) == 4


def test_signed_off_and_started_sessions_take_no_new_cases(round_: Round) -> None:
    PanelSessionFactory(round=round_, starts_at=_day(11), signed_off_at=BEFORE_PANELS)
    PanelSessionFactory(round=round_, starts_at=BEFORE_PANELS - dt.timedelta(hours=1))
    proposed_case(round_, preferences=(SettingFactory(),))
    report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert report.scheduled == 0
    assert "that is still open" in report.unplaced[0].reason


def _agree(case: Case) -> None:
    placement = PanelCase.objects.get(case=case, removed_at=None)
    decision_record(
        panel_case=placement,
        data=DecisionInput(outcome=Outcome.AGREE),
        actor=placement.session.chair,
        now=BEFORE_PANELS,
    )


def test_rescheduling_keeps_cases_where_they_are(round_: Round) -> None:
    first = PanelSessionFactory(round=round_, starts_at=_day(11))
    cases = [proposed_case(round_, preferences=(SettingFactory(),)) for _ in range(4)]
    panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    placements = set(PanelCase.objects.values_list("pk", "case_id", "session_id"))
    second = PanelSessionFactory(round=round_, starts_at=_day(12))
    newcomers = [proposed_case(round_, preferences=(SettingFactory(),)) for _ in range(4)]
    report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert report.kept == 4
    assert placements <= set(PanelCase.objects.values_list("pk", "case_id", "session_id"))
    assert all(_session_of(c) == first for c in cases)
    # the newcomers even the fill out: 4 + 2 and 0 + 2 is worse than 4 + 0 and 0 + 4
    assert all(_session_of(c) == second for c in newcomers)


def test_rebuild_moves_undecided_cases_but_never_decided_ones(round_: Round) -> None:
    first = PanelSessionFactory(round=round_, starts_at=_day(11))
    cases = [proposed_case(round_, preferences=(s,)) for s in SettingFactory.create_batch(6)]
    panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    decided = cases[:4]
    for case in decided:
        _agree(case)
    kept = {c.pk: PanelCase.objects.get(case=c).pk for c in decided}
    second = PanelSessionFactory(round=round_, starts_at=_day(12))
    report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS, rebuild=True)
    assert report.rebuilt == 2
    assert report.decided == 4
    for case in decided:
        placement = PanelCase.objects.get(case=case, removed_at=None)
        assert placement.pk == kept[case.pk]
        assert placement.session == first
    # the two undecided cases were taken out and placed again, in the emptier session
    assert {_session_of(c) for c in cases[4:]} == {second}
    assert PanelCase.objects.filter(removed_reason="Panel schedule rebuilt").count() == 2
    assert AuditEvent.objects.filter(action="state.unschedule").count() == 2


def test_deferred_case_is_scheduled_in_a_later_session(round_: Round) -> None:
    sessions = [PanelSessionFactory(round=round_, starts_at=_day(d)) for d in (11, 18, 25)]
    case = proposed_case(round_, preferences=(SettingFactory(),))
    panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert _session_of(case) == sessions[0]
    placement = PanelCase.objects.get(case=case)
    decision_record(
        panel_case=placement,
        data=DecisionInput(outcome=Outcome.DEFER, reasons="Waiting for the EP report"),
        actor=sessions[0].chair,
        now=BEFORE_PANELS,
    )
    panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    later = _session_of(case)
    assert later is not None
    assert later.starts_at > sessions[0].starts_at


def test_stale_placement_is_ended(round_: Round) -> None:
    PanelSessionFactory(round=round_, starts_at=_day(11))
    case = proposed_case(round_, preferences=(SettingFactory(),))
    panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    Case.objects.filter(pk=case.pk).update(state=CaseState.CONSULTING)  # re-consulted elsewhere
    report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    assert report.stale_removed == 1
    assert not PanelCase.objects.filter(case=case, removed_at=None).exists()


def test_command_prints_the_report(round_: Round) -> None:
    PanelSessionFactory(round=round_, starts_at=dt.datetime(2099, 1, 1, tzinfo=LONDON))
    Round.objects.filter(pk=round_.pk).update(offer_day_at=None)
    proposed_case(round_, preferences=(SettingFactory(),))
    outside = proposed_case(round_, area="Outside Kent", preferences=(SettingFactory(),))
    out = StringIO()
    call_command("schedule_panels", "--round", f"secondary-{round_.entry_year}", stdout=out)
    text = out.getvalue()
    assert f"not placed: {outside.reference}" in text
    assert "home outside Kent's SEND areas" in text
    assert "North" in text
