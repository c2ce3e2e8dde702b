"""The Django side of allocation: compiling a round, proposals within capacity, reasons."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from phasetransfer.allocation.compile import round_compile
from phasetransfer.allocation.selectors import policy_for
from phasetransfer.allocation.services import AllocationBusy, allocation_execute, allocation_request
from phasetransfer.core.roles import Role
from phasetransfer.models import (
    AllocationPolicy,
    AllocationRun,
    AuditEvent,
    Case,
    CaseState,
    Consultation,
    Preference,
    Proposal,
    Round,
    RunStatus,
    Setting,
    SettingKind,
)
from phasetransfer.models.allocation import default_rank_weights
from tests.conftest import signed_in
from tests.factories import (
    CaseFactory,
    RoundFactory,
    SettingFactory,
    SettingPlacesFactory,
    UserFactory,
)
from tests.moments import FIRST_WORKING_DAY_AFTER_CLOSE
from tests.support.worker import celery_worker, tasks_routed_to, wait_for


def _consulting_case(round_: Round, *prefs: Setting, lat: float = 51.26) -> Case:
    case = CaseFactory(round=round_, child__home_latitude=lat, child__home_longitude=0.53)
    for rank, setting in enumerate(prefs, start=1):
        Preference.objects.create(case=case, rank=rank, setting=setting)
    Case.objects.filter(pk=case.pk).update(state=CaseState.CONSULTING)
    case.refresh_from_db()
    return case


def _places(round_: Round, setting: Setting, places: int) -> Setting:
    SettingPlacesFactory(round=round_, setting=setting, places=places)
    return setting


def _refuse(case: Case, setting: Setting) -> None:
    Consultation.objects.create(
        case=case,
        setting=setting,
        sent_at=FIRST_WORKING_DAY_AFTER_CLOSE,
        due_at=FIRST_WORKING_DAY_AFTER_CLOSE + dt.timedelta(days=15),
        status="cannot_meet",
        ground_unsuitable=True,
        responded_at=FIRST_WORKING_DAY_AFTER_CLOSE,
    )


def _run(round_: Round) -> AllocationRun:
    run = allocation_request(round_=round_, actor=None, queue=False)
    done = allocation_execute(run_id=run.pk)
    assert done is not None
    return done


@pytest.mark.django_db
def test_a_ruled_out_preference_is_not_an_option_and_keeps_its_ground() -> None:
    round_ = RoundFactory()
    refused = _places(round_, SettingFactory(name="Refusing School"), 5)
    second = _places(round_, SettingFactory(name="Second Choice"), 5)
    case = _consulting_case(round_, refused, second)
    _refuse(case, refused)

    compiled = round_compile(round_=round_)

    options = [o.setting for o in compiled.problem.children[0].options]
    assert str(refused.pk) not in options
    assert options[0] == str(second.pk)
    (excluded,) = compiled.excluded[str(case.pk)]
    assert (excluded.rank, excluded.reason, excluded.grounds) == (1, "ruled_out", ("unsuitable",))


@pytest.mark.django_db
def test_the_nearest_mainstream_setting_is_added_as_a_fallback_at_the_fallback_cost() -> None:
    round_ = RoundFactory()
    near = _places(round_, SettingFactory(name="Near", latitude=51.261, longitude=0.531), 5)
    special = SettingFactory(kind=SettingKind.SPECIAL, designated_needs=["SLD"], latitude=51.5)
    _places(round_, special, 5)
    case = _consulting_case(round_, special)
    # The cost-weighted objective prices a fallback; under "ranks" it simply comes last.
    policy = AllocationPolicy.objects.create(round=round_, objective="cost")

    compiled = round_compile(round_=round_)

    options = compiled.problem.children[0].options
    assert [o.setting for o in options] == [str(special.pk), str(near.pk)]
    info = compiled.options[(str(case.pk), str(near.pk))]
    assert info.rank is None
    assert info.cost == policy.fallback_weight + round(policy.cost_per_km * info.km)


@pytest.mark.django_db
def test_proposals_stay_within_capacity_and_explain_every_higher_preference() -> None:
    round_ = RoundFactory()
    popular = _places(round_, SettingFactory(name="Popular"), 2)
    other = _places(round_, SettingFactory(name="Other", latitude=51.3), 10)
    cases = [_consulting_case(round_, popular, other) for _ in range(5)]

    run = _run(round_)

    proposals = list(Proposal.objects.filter(run=run))
    assert len(proposals) == 5
    counts = Counter(p.setting_id for p in proposals)
    assert counts[popular.pk] == 2
    assert counts[other.pk] == 3
    for proposal in proposals:
        if proposal.setting_id == other.pk:
            assert proposal.preference_rank == 2
            assert [r["code"] for r in proposal.reasons] == ["full"]
            assert "Popular had no places left" in proposal.reasons[0]["text"]
        else:
            assert proposal.reasons == []
    for case in cases:
        case.refresh_from_db()
        assert case.state == CaseState.PROPOSED
    assert AuditEvent.objects.filter(action="state.propose").count() == 5
    assert run.report["min_cost_flow"]["family_first_preference_rate"] == pytest.approx(0.4)
    assert "deferred_acceptance" in run.report


@pytest.mark.django_db
def test_reasons_name_the_consultation_ground_in_plain_english() -> None:
    round_ = RoundFactory()
    refused = _places(round_, SettingFactory(name="Refusing School"), 5)
    fine = _places(round_, SettingFactory(name="Fine School"), 5)
    case = _consulting_case(round_, refused, fine)
    _refuse(case, refused)

    run = _run(round_)

    proposal = Proposal.objects.get(run=run, case=case)
    assert proposal.setting == fine
    assert proposal.reasons[0]["code"] == "ruled_out"
    assert "unsuitable for the child's age, ability, aptitude" in proposal.reasons[0]["text"]


@pytest.mark.django_db
def test_places_held_by_cases_already_at_panel_are_not_offered_again() -> None:
    round_ = RoundFactory()
    school = _places(round_, SettingFactory(name="Only School"), 1)
    first = _consulting_case(round_, school)
    _run(round_)
    Case.objects.filter(pk=first.pk).update(state=CaseState.AT_PANEL)
    second = _consulting_case(round_, school)

    run = _run(round_)

    assert Proposal.objects.get(run=run, case=second).setting is None
    assert not Proposal.objects.filter(run=run, case=first).exists()


@pytest.mark.django_db
def test_only_one_run_at_a_time_per_round() -> None:
    round_ = RoundFactory()
    allocation_request(round_=round_, actor=None, queue=False)
    with pytest.raises(AllocationBusy):
        allocation_request(round_=round_, actor=None, queue=False)


@pytest.mark.django_db
def test_executing_a_run_twice_runs_it_once() -> None:
    round_ = RoundFactory()
    _consulting_case(round_, _places(round_, SettingFactory(), 3))
    run = allocation_request(round_=round_, actor=None, queue=False)
    assert allocation_execute(run_id=run.pk) is not None
    assert allocation_execute(run_id=run.pk) is None
    assert Proposal.objects.count() == 1


@pytest.mark.django_db
def test_the_allocate_command_prints_the_fairness_figures() -> None:
    import io

    round_ = RoundFactory()
    _consulting_case(round_, _places(round_, SettingFactory(), 3))
    out = io.StringIO()
    call_command("allocate", "--round", "secondary-2027", stdout=out)
    assert "1 children" in out.getvalue()
    assert "deferred acceptance" in out.getvalue()


@pytest.mark.django_db
def test_officers_change_the_policy_and_bad_weights_are_refused(client: Client) -> None:
    round_ = RoundFactory()
    signed_in(client, UserFactory(roles=[Role.CASEWORKER]))
    fields = {
        "objective": "ranks",
        "oversubscription_rule": "distance",
        "independent_threshold": 20000,
        "transport_per_km": 500,
        "cost_mainstream": 6000,
        "cost_resourced": 12000,
        "cost_special": 24000,
        "cost_college": 9000,
        "cost_independent": 70000,
        "fallback_weight": 600,
        "cost_per_km": 4,
        "band_mainstream": 0,
        "band_resourced": 20,
        "band_special": 40,
        "band_college": 0,
        "band_independent": 250,
        "unplaced_cost": 100000,
        "conditional_places": "each_branch",
        "conditional_margin": 20,
    }
    bad = client.post(
        f"/staff/rounds/{round_.pk}/allocation/", {**fields, "rank_weights": "0, 90, 30"}
    )
    assert "Each rank must cost at least as much" in bad.content.decode()
    good = client.post(
        f"/staff/rounds/{round_.pk}/allocation/", {**fields, "rank_weights": "0,50,100"}
    )
    assert good.status_code == 302
    policy = policy_for(round_)
    assert policy.rank_weights == [0, 50, 100]
    assert (policy.objective, policy.oversubscription_rule) == ("ranks", "distance")
    assert (policy.independent_threshold, policy.transport_per_km) == (20000, 500)
    assert policy.annual_costs["independent"] == 70000
    negative = client.post(
        f"/staff/rounds/{round_.pk}/allocation/",
        {**fields, "rank_weights": "0,50,100", "independent_threshold": -5},
    )
    assert "govuk-error-summary" in negative.content.decode()
    assert policy_for(round_).independent_threshold == 20000


@pytest.mark.django_db
def test_the_policy_page_shows_the_defaults_writes_nothing_and_saves_them_unchanged(
    client: Client,
) -> None:
    round_ = RoundFactory()
    signed_in(client, UserFactory(roles=[Role.CASEWORKER]))
    page = client.get(f"/staff/rounds/{round_.pk}/allocation/").content.decode()
    assert not AllocationPolicy.objects.filter(round=round_).exists()  # a GET writes nothing
    shown = {
        name: value
        for tag, name, value in re.findall(
            r'(<input[^>]*name="(\w+)"[^>]*value="([^"]*)"[^>]*>)', page
        )
        if 'type="radio"' not in tag or " checked" in tag
    }
    assert (shown["objective"], shown["oversubscription_rule"]) == ("ranks", "needs_lac_distance")
    assert shown["rank_weights"] == "0, 60, 120, 180, 240, 300, 360, 420, 480, 540"
    saved = client.post(f"/staff/rounds/{round_.pk}/allocation/", shown)
    assert saved.status_code == 302
    saved_policy = AllocationPolicy.objects.get(round=round_)
    assert saved_policy.rank_weights == default_rank_weights()
    assert saved_policy.objective == "ranks"
    assert saved_policy.annual_costs == AllocationPolicy(round=round_).annual_costs


@pytest.mark.django_db
def test_families_and_schools_cannot_see_allocation_pages(client: Client) -> None:
    round_ = RoundFactory()
    for role in (Role.PARENT, Role.SCHOOL_CONTACT, Role.PANEL_MEMBER):
        signed_in(client, UserFactory(roles=[role]))
        assert client.get(f"/staff/rounds/{round_.pk}/allocation/").status_code == 403
        assert client.post(f"/staff/rounds/{round_.pk}/allocation/run/").status_code == 403


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_run_button_queues_a_task_that_a_real_worker_completes(
    client: Client, tmp_path: Path
) -> None:
    round_ = RoundFactory()
    _consulting_case(round_, _places(round_, SettingFactory(), 3))
    signed_in(client, UserFactory(roles=[Role.CASEWORKER]))
    with celery_worker(tmp_path) as worker, tasks_routed_to(worker.queue):
        response = client.post(f"/staff/rounds/{round_.pk}/allocation/run/")
        run = AllocationRun.objects.get()
        assert response["Location"] == f"/staff/allocation-runs/{run.pk}/"
        wait_for(
            lambda: AllocationRun.objects.get(pk=run.pk).status == RunStatus.DONE, worker=worker
        )
    page = client.get(f"/staff/allocation-runs/{run.pk}/").content.decode()
    assert "Deferred acceptance" in page
    assert Proposal.objects.filter(run=run).count() == 1
