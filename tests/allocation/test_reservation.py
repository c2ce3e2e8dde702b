"""Places held for post-16 conditional offers: the arithmetic under both rules, and that
the allocation model and the panel's places left both see it."""

from __future__ import annotations

from collections import Counter

import pytest

from panels.models import Decision, Outcome
from panels.selectors import places_left
from phasetransfer.allocation.compile import places_held, round_compile
from phasetransfer.allocation.reservation import (
    Hold,
    margin_places,
    places_committed,
    places_reserved,
)
from phasetransfer.allocation.selectors import policy_for
from phasetransfer.allocation.services import allocation_execute, allocation_request
from phasetransfer.core.conditions import Condition, Scale
from phasetransfer.models import (
    AllocationPolicy,
    AllocationRun,
    Case,
    CaseState,
    ConditionalHold,
    ConditionalPlaces,
    Phase,
    Preference,
    Proposal,
    Round,
    Setting,
    SettingKind,
)
from tests.factories import CaseFactory, RoundFactory, SettingFactory, SettingPlacesFactory
from tests.factories.panels import PanelSessionFactory, done_run
from tests.moments import PANEL_HAS_SAT

EACH = ConditionalPlaces.EACH_BRANCH
LIKELY = ConditionalPlaces.LIKELY_BRANCH

A, B, C = 1, 2, 3


# The arithmetic ------------------------------------------------------------------------


def test_each_branch_holds_a_place_in_both_settings() -> None:
    holds = [Hold(A, B, likely_met=True), Hold(A, C, likely_met=False)]
    assert places_reserved(holds, rule=EACH, margin=20) == Counter({A: 2, B: 1, C: 1})


def test_each_branch_holds_one_place_when_both_branches_are_the_same_setting() -> None:
    # Level 3 at the college if met, otherwise Level 2 at the same college: one young
    # person, one place there.
    assert places_reserved([Hold(A, A)], rule=EACH, margin=20) == Counter({A: 1})


def test_likely_branch_holds_the_likely_setting_and_rounds_the_margin_up() -> None:
    holds = [Hold(A, B, likely_met=True) for _ in range(6)]
    # 20% of 6 is 1.2: two places held for those who land in B.
    assert places_reserved(holds, rule=LIKELY, margin=20) == Counter({A: 6, B: 2})
    # 20% of 5 is exactly 1: no rounding up past it.
    assert places_reserved(holds[:5], rule=LIKELY, margin=20) == Counter({A: 5, B: 1})


def test_likely_branch_follows_the_panels_judgement() -> None:
    unlikely_met = [Hold(A, B, likely_met=False) for _ in range(3)]
    assert places_reserved(unlikely_met, rule=LIKELY, margin=50) == Counter({B: 3, A: 2})


def test_the_margin_is_counted_per_setting() -> None:
    holds = [Hold(A, B), Hold(A, B), Hold(A, C)]
    # B: ceil(10% x 2) = 1; C: ceil(10% x 1) = 1; never one place shared across settings.
    assert places_reserved(holds, rule=LIKELY, margin=10) == Counter({A: 3, B: 1, C: 1})


def test_margin_zero_holds_only_the_likely_branch_and_100_holds_both() -> None:
    holds = [Hold(A, B), Hold(C, B, likely_met=False), Hold(A, C)]
    assert places_reserved(holds, rule=LIKELY, margin=0) == Counter({A: 2, B: 1})
    # 100%: the same places as holding each branch.
    assert places_reserved(holds, rule=LIKELY, margin=100) == places_reserved(
        holds, rule=EACH, margin=0
    )


def test_likely_branch_adds_no_margin_when_both_branches_are_the_same_setting() -> None:
    assert places_reserved([Hold(A, A), Hold(A, A)], rule=LIKELY, margin=100) == Counter({A: 2})


def test_no_conditional_offers_hold_nothing() -> None:
    assert places_reserved([], rule=LIKELY, margin=100) == Counter()
    assert places_reserved([], rule=EACH, margin=100) == Counter()


@pytest.mark.parametrize(
    ("offers", "margin", "places"),
    [(0, 20, 0), (1, 0, 0), (1, 1, 1), (4, 25, 1), (5, 25, 2), (3, 100, 3), (7, 33, 3)],
)
def test_margin_places_is_the_ceiling_of_the_share(offers: int, margin: int, places: int) -> None:
    assert margin_places(offers, margin) == places


def test_an_unknown_rule_is_refused_not_read_as_one_of_the_two() -> None:
    with pytest.raises(ValueError, match="unknown rule"):
        places_reserved([Hold(A, B)], rule="both", margin=20)


# The round -----------------------------------------------------------------------------


def _post16() -> Round:
    return RoundFactory(phase=Phase.POST16, entry_year=2027)


def _places(round_: Round, places: int, **fields: object) -> Setting:
    setting = SettingFactory(**fields)
    SettingPlacesFactory(round=round_, setting=setting, places=places)
    return setting


def _policy(round_: Round, rule: str, margin: int = 20) -> AllocationPolicy:
    policy = policy_for(round_)
    policy.conditional_places = rule
    policy.conditional_margin = margin
    policy.save()
    return policy


def _conditional(
    round_: Round,
    met: Setting,
    otherwise: Setting,
    *,
    likely_met: bool = True,
    state: str = CaseState.DECIDED,
    proposal: Setting | None = None,
) -> Case:
    """A decided case whose current decision is a conditional offer (as the panel's service
    leaves it: the decision and its ConditionalHold); proposed ``proposal`` beforehand."""
    case = CaseFactory(round=round_)
    if proposal is not None:
        Proposal.objects.create(run=done_run(round_), case=case, setting=proposal)
    session = PanelSessionFactory(round=round_)
    Decision.objects.create(
        case=case,
        session=session,
        outcome=Outcome.CONDITIONAL,
        setting=met,
        programme="Level 3 Engineering",
        condition=Condition(
            scale=Scale.GCSE, count=5, min_grade="4", including=("English", "Maths")
        ).to_json(),
        otherwise_setting=otherwise,
        otherwise_programme="Level 2 Engineering",
        likely_met=likely_met,
        reasons="Meets need; course depends on results",
        decided_by=session.chair,
        decided_at=PANEL_HAS_SAT,
    )
    ConditionalHold.objects.create(
        case=case, met_setting=met, otherwise_setting=otherwise, likely_met=likely_met
    )
    Case.objects.filter(pk=case.pk).update(state=state)
    return case


def _consulting(round_: Round, *prefs: Setting) -> Case:
    case = CaseFactory(round=round_)
    for rank, setting in enumerate(prefs, start=1):
        Preference.objects.create(case=case, rank=rank, setting=setting)
    Case.objects.filter(pk=case.pk).update(state=CaseState.CONSULTING)
    return case


def _capacity(round_: Round) -> dict[int, int]:
    return {int(s.id): s.capacity for s in round_compile(round_=round_).problem.settings}


@pytest.mark.django_db
def test_a_conditional_offer_holds_places_by_the_rule_not_by_its_proposal() -> None:
    round_ = _post16()
    level3, level2, proposed = _places(round_, 2), _places(round_, 2), _places(round_, 2)
    _conditional(round_, level3, level2, proposal=proposed)
    # Any other case before a panel or decided still holds its latest proposal.
    other = CaseFactory(round=round_)
    Proposal.objects.create(run=done_run(round_), case=other, setting=proposed)
    Case.objects.filter(pk=other.pk).update(state=CaseState.AT_PANEL)

    _policy(round_, EACH)
    assert places_held(round_) == Counter({level3.pk: 1, level2.pk: 1, proposed.pk: 1})
    _policy(round_, LIKELY, margin=0)
    assert places_held(round_) == Counter({level3.pk: 1, proposed.pk: 1})


@pytest.mark.django_db
def test_a_withdrawn_case_holds_no_place_for_its_conditional_offer() -> None:
    round_ = _post16()
    level3, level2 = _places(round_, 2), _places(round_, 2)
    _conditional(round_, level3, level2, state=CaseState.WITHDRAWN)
    assert places_held(round_) == Counter()


@pytest.mark.django_db
def test_the_model_sees_both_branch_settings_lose_a_place_under_each_branch() -> None:
    round_ = _post16()
    level3, level2, spare = _places(round_, 2), _places(round_, 2), _places(round_, 2)
    _conditional(round_, level3, level2)
    _policy(round_, EACH)
    assert _capacity(round_) == {level3.pk: 1, level2.pk: 1, spare.pk: 2}


@pytest.mark.django_db
def test_the_model_sees_only_the_likely_setting_lose_a_place_plus_the_margin() -> None:
    round_ = _post16()
    level3, level2 = _places(round_, 2), _places(round_, 2)
    _conditional(round_, level3, level2, likely_met=True)
    _policy(round_, LIKELY, margin=0)
    assert _capacity(round_) == {level3.pk: 1, level2.pk: 2}
    _policy(round_, LIKELY, margin=20)  # 20% of one offer, rounded up: one place
    assert _capacity(round_) == {level3.pk: 1, level2.pk: 1}
    ConditionalHold.objects.update(likely_met=False)
    _policy(round_, LIKELY, margin=0)
    assert _capacity(round_) == {level3.pk: 2, level2.pk: 1}


@pytest.mark.django_db
def test_a_site_shared_by_a_school_and_its_provision_sees_the_held_places() -> None:
    round_ = _post16()
    school = SettingFactory(name="Host School")
    SettingPlacesFactory(round=round_, setting=school, places=5, site_places=3)
    provision = _places(round_, 2, host=school, kind=SettingKind.RESOURCED_PROVISION)
    _conditional(round_, provision, school)
    _policy(round_, EACH)
    (site,) = round_compile(round_=round_).problem.groups
    assert site.capacity == 1  # 3 across the site, one held in each branch's setting


def _run(round_: Round) -> AllocationRun:
    run = allocation_request(round_=round_, actor=None, queue=False)
    done = allocation_execute(run_id=run.pk)
    assert done is not None
    return done


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rule", "margin", "placed_at_level2"),
    [(EACH, 20, 1), (LIKELY, 0, 2), (LIKELY, 50, 1)],
)
def test_a_run_places_children_only_in_the_places_conditional_offers_leave(
    rule: str, margin: int, placed_at_level2: int
) -> None:
    round_ = _post16()
    level3, level2 = _places(round_, 2), _places(round_, 2)
    _conditional(round_, level3, level2, likely_met=True)
    _policy(round_, rule, margin)
    wanting = [_consulting(round_, level2) for _ in range(3)]

    run = _run(round_)

    assert run.policy["conditional_places"] == rule
    placed = Proposal.objects.filter(run=run, case__in=wanting, setting=level2).count()
    assert placed == placed_at_level2
    # The case holding the conditional offer is not reallocated.
    assert Proposal.objects.filter(run=run).count() == 3


# The panel's places left ----------------------------------------------------------------


@pytest.mark.django_db
def test_places_left_counts_conditional_offers_by_the_rounds_rule() -> None:
    round_ = _post16()
    level3, level2 = _places(round_, 3), _places(round_, 3)
    offer = _conditional(round_, level3, level2, likely_met=True)

    _policy(round_, EACH)
    at_level3 = places_left(round_=round_, setting=level3)
    at_level2 = places_left(round_=round_, setting=level2)
    assert (at_level3.decided, at_level3.conditional, at_level3.left) == (0, 1, 2)
    assert (at_level2.conditional, at_level2.left) == (1, 2)
    # the offer being changed is not counted against itself
    assert places_left(round_=round_, setting=level2, exclude_case=offer).left == 3

    _policy(round_, LIKELY, margin=0)
    assert places_left(round_=round_, setting=level3).left == 2
    assert places_left(round_=round_, setting=level2).left == 3


@pytest.mark.django_db
def test_places_left_adds_conditional_offers_to_the_decisions_naming_the_setting() -> None:
    round_ = _post16()
    college = _places(round_, 2)
    _conditional(round_, college, _places(round_, 3))
    _policy(round_, EACH)
    named = CaseFactory(round=round_)
    session = PanelSessionFactory(round=round_)
    Decision.objects.create(
        case=named,
        session=session,
        outcome=Outcome.OTHER_SETTING,
        setting=college,
        reasons="Meets need",
        decided_by=session.chair,
        decided_at=PANEL_HAS_SAT,
    )
    Case.objects.filter(pk=named.pk).update(state=CaseState.DECIDED)
    places = places_left(round_=round_, setting=college)
    assert (places.decided, places.conditional, places.left) == (1, 1, 0)
    assert places.over_if_named


# What officers see ----------------------------------------------------------------------


@pytest.mark.django_db
def test_places_committed_lists_only_settings_with_conditional_offers() -> None:
    round_ = _post16()
    level3, level2, untouched = (
        _places(round_, 4, name="A College"),
        _places(round_, 3, name="B Sixth Form"),
        _places(round_, 9),
    )
    _conditional(round_, level3, level2, likely_met=True)
    _conditional(round_, level3, level2, likely_met=True)
    held = CaseFactory(round=round_)
    Proposal.objects.create(run=done_run(round_), case=held, setting=level3)
    Case.objects.filter(pk=held.pk).update(state=CaseState.RELEASED)
    _policy(round_, LIKELY, margin=20)

    rows = places_committed(round_)

    assert [row.setting for row in rows] == [level3, level2]
    first, second = rows
    assert (first.capacity, first.held_by_others, first.met_here, first.otherwise_here) == (
        4,
        1,
        2,
        0,
    )
    assert (first.reserved, first.left) == (2, 1)
    assert (second.met_here, second.otherwise_here, second.reserved, second.left) == (0, 2, 1, 2)
    assert untouched not in [row.setting for row in rows]


@pytest.mark.django_db
def test_no_conditional_offers_commit_nothing() -> None:
    round_ = _post16()
    _places(round_, 4)
    assert places_committed(round_) == []
