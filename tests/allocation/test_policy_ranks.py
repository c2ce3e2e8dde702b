"""Issue 16 on a real round: families' order first, refusals only on the child's own
grounds (with the figures), whose claim came first, and what each policy costs families."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from phasetransfer.allocation.compile import round_compile
from phasetransfer.allocation.services import allocation_execute, allocation_request
from phasetransfer.core.roles import Role
from phasetransfer.models import (
    AllocationPolicy,
    AllocationRun,
    Case,
    CaseState,
    Consultation,
    Preference,
    Proposal,
    Round,
    Setting,
    SettingKind,
)
from tests.conftest import signed_in
from tests.factories import (
    CaseFactory,
    RoundFactory,
    SettingFactory,
    SettingPlacesFactory,
    UserFactory,
)
from tests.moments import FIRST_WORKING_DAY_AFTER_CLOSE

HOME = (51.27, 0.52)


def _case(round_: Round, *prefs: Setting, looked_after: bool = False) -> Case:
    case = CaseFactory(
        round=round_,
        child__home_latitude=HOME[0],
        child__home_longitude=HOME[1],
        child__looked_after=looked_after,
    )
    for rank, setting in enumerate(prefs, start=1):
        Preference.objects.create(case=case, rank=rank, setting=setting)
    Case.objects.filter(pk=case.pk).update(state=CaseState.CONSULTING)
    case.refresh_from_db()
    return case


def _setting(round_: Round, name: str, places: int, km_north: float = 0.0, **kw: object) -> Setting:
    # About 111 km a degree of latitude.
    setting = SettingFactory(
        name=name, latitude=HOME[0] + km_north / 111.2, longitude=HOME[1], **kw
    )
    SettingPlacesFactory(round=round_, setting=setting, places=places)
    return setting


def _run(round_: Round) -> AllocationRun:
    done = allocation_execute(run_id=allocation_request(round_=round_, actor=None, queue=False).pk)
    assert done is not None
    return done


def _proposal(run: AllocationRun, case: Case) -> Proposal:
    return Proposal.objects.select_related("setting").get(run=run, case=case)


@pytest.mark.django_db
def test_a_far_first_preference_with_room_is_proposed_where_the_cost_policy_refused_it() -> None:
    round_ = RoundFactory()
    far = _setting(round_, "Far Academy", 5, km_north=30)
    near = _setting(round_, "Near Academy", 5, km_north=1)
    case = _case(round_, far, near)
    AllocationPolicy.objects.create(round=round_, objective="cost")
    by_cost = _proposal(_run(round_), case)
    assert by_cost.setting == near  # 60 + 4 km < 4 x 30 km: cheaper in the model's units
    assert [r["code"] for r in by_cost.reasons] == ["cost"]
    AllocationPolicy.objects.filter(round=round_).update(objective="ranks")
    Case.objects.filter(pk=case.pk).update(state=CaseState.CONSULTING)
    by_ranks = _proposal(_run(round_), case)
    assert (by_ranks.setting, by_ranks.preference_rank, by_ranks.reasons) == (far, 1, [])


@pytest.mark.django_db
def test_an_independent_preference_is_refused_on_cost_only_past_the_threshold_with_figures() -> (
    None
):
    round_ = RoundFactory()
    independent = _setting(
        round_, "Oak Independent", 5, km_north=10, kind=SettingKind.INDEPENDENT_S41
    )
    SettingPlacesFactory._meta.model.objects.filter(setting=independent).update(annual_fee=52000)
    special = _setting(round_, "Birch Special", 5, km_north=2, kind=SettingKind.SPECIAL)
    case = _case(round_, independent, special)
    AllocationPolicy.objects.create(round=round_, independent_threshold=15000, transport_per_km=450)
    refused = _proposal(_run(round_), case)
    assert refused.setting == special
    (reason,) = refused.reasons
    assert reason["code"] == "cost_test"
    comparison = reason["figures"]["comparison"]
    # 52,000 + 450 x 10 km against 24,000 + 450 x 2 km: 31,600 apart, over 15,000.
    assert (comparison["placement"], comparison["alternative"]) == (56500, 24900)
    assert "£56,500 a year" in reason["text"]
    assert "£24,900 a year" in reason["text"]
    assert "Birch Special" in reason["text"]
    assert "more than £15,000 a year" in reason["text"]
    # A council that allows more: the same preference is met.
    AllocationPolicy.objects.filter(round=round_).update(independent_threshold=40000)
    Case.objects.filter(pk=case.pk).update(state=CaseState.CONSULTING)
    met = _proposal(_run(round_), case)
    assert (met.setting, met.reasons) == (independent, [])


@pytest.mark.django_db
def test_a_setting_that_does_not_take_the_phase_is_refused_for_that_reason() -> None:
    round_ = RoundFactory()
    primary = _setting(round_, "Little Primary", 5, serves_secondary=False, serves_post16=False)
    secondary = _setting(round_, "Big Secondary", 5, km_north=3)
    case = _case(round_, primary, secondary)
    proposal = _proposal(_run(round_), case)
    assert proposal.setting == secondary
    assert [(r["code"], r["text"]) for r in proposal.reasons] == [
        ("wrong_phase", "Little Primary does not take children at this phase of education.")
    ]


@pytest.mark.django_db
def test_the_published_rule_gives_a_contested_place_to_whose_needs_only_it_can_meet(
    client: Client,
) -> None:
    round_ = RoundFactory()
    wanted = _setting(round_, "Wanted School", 1, km_north=5)
    other = _setting(round_, "Other School", 5, km_north=1)
    nearer = _case(round_, wanted, other)  # lives no nearer: same home, same distance
    only_here = _case(round_, wanted, other)
    Consultation.objects.create(
        case=only_here,
        setting=wanted,
        sent_at=FIRST_WORKING_DAY_AFTER_CLOSE,
        due_at=FIRST_WORKING_DAY_AFTER_CLOSE + dt.timedelta(days=15),
        status="can_meet",
        only_setting=True,
        responded_at=FIRST_WORKING_DAY_AFTER_CLOSE,
    )
    run = _run(round_)
    assert _proposal(run, only_here).setting == wanted
    lost = _proposal(run, nearer)
    assert lost.setting == other
    (reason,) = lost.reasons
    assert reason["code"] == "full"
    assert "came first under the council's published rule (children whose needs" in reason["text"]
    assert only_here.reference not in reason["text"]  # the family is told no one's name
    # Staff see who holds the place and that their claim came first.
    signed_in(client, UserFactory(roles=[Role.CASEWORKER]))
    page = client.get(f"/staff/allocation-runs/{run.pk}/?show=not-first").content.decode()
    assert f"Who holds the places at {wanted.name}" in page
    assert f"{only_here.reference}: preference 1, group 0" in page
    assert "came first" in page


@pytest.mark.django_db
def test_looked_after_children_come_before_distance_under_that_rule() -> None:
    round_ = RoundFactory()
    wanted = _setting(round_, "Wanted School", 1, km_north=5)
    other = _setting(round_, "Other School", 5, km_north=1)
    AllocationPolicy.objects.create(round=round_, oversubscription_rule="lac_distance")
    near = CaseFactory(
        round=round_, child__home_latitude=HOME[0] + 0.04, child__home_longitude=HOME[1]
    )
    for rank, setting in enumerate((wanted, other), start=1):
        Preference.objects.create(case=near, rank=rank, setting=setting)
    Case.objects.filter(pk=near.pk).update(state=CaseState.CONSULTING)
    looked_after = _case(round_, wanted, other, looked_after=True)
    run = _run(round_)
    assert _proposal(run, looked_after).setting == wanted
    assert _proposal(run, near).setting == other


@pytest.mark.django_db
def test_the_run_compares_its_policy_with_the_other_and_deferred_acceptance(client: Client) -> None:
    round_ = RoundFactory()
    far = _setting(round_, "Far Academy", 2, km_north=30)
    near = _setting(round_, "Near Academy", 5, km_north=1)
    for _ in range(3):
        _case(round_, far, near)
    run = _run(round_)
    rows = {row["key"]: row for row in run.report["policies"]}
    assert list(rows) == ["ranks", "cost", "deferred_acceptance"]
    assert rows["ranks"]["chosen"]
    assert not rows["cost"]["chosen"]
    assert (rows["ranks"]["first_preference"], rows["cost"]["first_preference"]) == (2, 0)
    assert rows["ranks"]["placed"] == rows["cost"]["placed"] == 3
    assert rows["ranks"]["max_km"] == pytest.approx(30, abs=0.5)
    signed_in(client, UserFactory(roles=[Role.CASEWORKER]))
    page = client.get(f"/staff/allocation-runs/{run.pk}/").content.decode()
    assert "What each policy would mean for families" in page
    assert "Families&#x27; order first (this run)" in page
    assert 'id="policy-chart"' in page


@pytest.mark.django_db
def test_the_nearest_mainstream_fallback_is_one_the_child_could_attend() -> None:
    round_ = RoundFactory()
    _setting(round_, "Boys Grammar", 5, km_north=1, gender="boys", admissions_policy="selective")
    _setting(round_, "Boys School", 5, km_north=2, gender="boys")
    _setting(round_, "Girls Grammar", 5, km_north=3, gender="girls", admissions_policy="selective")
    mixed = _setting(round_, "Mixed School", 5, km_north=4, gender="mixed")
    girls = _setting(round_, "Girls School", 5, km_north=5, gender="girls")
    named = _setting(round_, "Named Special", 0, km_north=9, kind=SettingKind.SPECIAL)
    girl = _case(round_, named)
    girl.child.sex = "female"
    girl.child.save()
    unknown = _case(round_, named)
    compiled = round_compile(round_=round_)
    fallbacks = {
        key: [o.setting for o in child.options if compiled.options[(key, o.setting)].rank is None]
        for key, child in ((c.id, c) for c in compiled.problem.children)
    }
    assert fallbacks[str(girl.pk)][0] == str(mixed.pk)  # nearest she could attend
    assert str(girls.pk) not in fallbacks[str(unknown.pk)]  # sex not recorded: mixed only
    assert fallbacks[str(unknown.pk)][0] == str(mixed.pk)
