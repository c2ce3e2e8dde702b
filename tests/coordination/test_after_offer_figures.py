"""Round figures after offer day: placed by the start of the school year, appeals lodged
(rate, independent settings, outcomes) and mediations, on the page with charts and tables."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from offers.models import Release
from phasetransfer.coordination.figures import round_figures, year_on_year
from phasetransfer.coordination.providers import AppealResult
from phasetransfer.core.clock import LONDON
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, CaseState, Phase
from tests.conftest import signed_in
from tests.coordination.builders import (
    amend,
    appeals_and_mediations,
    told,
    told_no_decision_yet,
)
from tests.factories import RoundFactory, UserFactory
from tests.factories.offers import decided_case, undecided_case

pytestmark = pytest.mark.django_db

SUMMER = dt.datetime(2027, 8, 1, 12, 0, tzinfo=LONDON)  # before the school year starts
LAST_MOMENT = dt.datetime(2027, 9, 1, 23, 59, 59, tzinfo=LONDON)  # still 1 September
SCHOOL_YEAR_STARTS = dt.datetime(2027, 9, 2, 0, 0, tzinfo=LONDON)
AUTUMN = dt.datetime(2027, 10, 1, 12, 0, tzinfo=LONDON)


def test_placed_by_the_start_of_the_school_year() -> None:
    round_ = RoundFactory()
    told(round_)  # placed on offer day
    told(round_, type_only=True)  # a type of setting only: not a place
    summer = told(round_, type_only=True)
    amend(summer, at=dt.datetime(2027, 7, 1, 10, tzinfo=LONDON))  # named in July
    last_day = told(round_, type_only=True)
    just_late = told(round_, type_only=True)
    told_no_decision_yet(round_)  # told "no decision yet": not a place
    undecided_case(round_)  # never released
    withdrawn = told(round_)
    Case.objects.filter(pk=withdrawn.pk).update(state=CaseState.WITHDRAWN)

    so_far = round_figures(round_=round_, now=SUMMER)
    assert so_far.cohort == 7
    assert so_far.after.placed == 2
    assert not so_far.after.placed_final
    assert so_far.after.school_year_starts_on == dt.date(2027, 9, 1)
    assert so_far.remaining == 5

    amend(last_day, at=LAST_MOMENT)  # on 1 September: in time
    amend(just_late, at=SCHOOL_YEAR_STARTS)  # 2 September, 00:00: after the start
    final = round_figures(round_=round_, now=AUTUMN)
    assert final.after.placed_final
    assert final.after.told == 6  # every cohort case given a release
    assert final.after.placed == 3
    assert final.placed_share == pytest.approx(3 / 7)
    assert final.remaining == 4
    assert final.kent_placed == pytest.approx(0.98)


def test_a_later_release_naming_only_a_type_is_not_a_place() -> None:
    round_ = RoundFactory()
    changed = told(round_)
    amend(changed, at=dt.datetime(2027, 5, 1, 10, tzinfo=LONDON), names_setting=False)
    assert round_figures(round_=round_, now=AUTUMN).after.placed == 0


def test_appeals_lodged_independent_settings_and_outcomes() -> None:
    round_ = RoundFactory()
    appeals_and_mediations(round_)
    figures = round_figures(round_=round_, now=AUTUMN)
    after = figures.after
    assert figures.cohort == 8
    assert after.appeals_lodged == 5  # the withdrawn case's appeal is not counted
    assert figures.appeal_rate == pytest.approx(5 / 8)
    assert after.appeals_independent == 2
    assert after.independent_share == pytest.approx(2 / 5)
    assert dict(after.appeal_outcomes) == {
        AppealResult.DISMISSED: 1,
        AppealResult.CONCEDED: 1,
        AppealResult.UPHELD: 1,
        AppealResult.WITHDRAWN: 1,
        AppealResult.PENDING: 1,
    }
    assert [result for result, _ in after.appeal_outcomes] == [
        AppealResult.DISMISSED,
        AppealResult.CONCEDED,
        AppealResult.UPHELD,
        AppealResult.WITHDRAWN,
        AppealResult.PENDING,
    ]


def test_mediations_and_the_share_that_changed_the_decision() -> None:
    round_ = RoundFactory()
    appeals_and_mediations(round_)
    after = round_figures(round_=round_, now=AUTUMN).after
    assert after.mediations == 5
    assert after.mediations_concluded == 3  # agreed, not agreed, withdrawn
    assert after.mediations_open == 2  # pending, awaiting approval
    assert after.mediations_changed == 1
    assert after.mediation_changed_share == pytest.approx(1 / 3)


def test_no_appeals_or_mediations_have_no_shares() -> None:
    round_ = RoundFactory()
    told(round_)
    figures = round_figures(round_=round_, now=AUTUMN)
    assert figures.appeal_rate == 0
    assert figures.after.independent_share is None
    assert figures.after.mediation_changed_share is None


def test_year_on_year_places_each_round_by_its_own_school_year() -> None:
    this = RoundFactory()
    last = RoundFactory(
        entry_year=2026,
        preference_opens_at=dt.datetime(2025, 9, 1, 9, tzinfo=LONDON),
        preference_closes_at=dt.datetime(2025, 12, 11, 17, tzinfo=LONDON),
        offer_day_at=dt.datetime(2026, 2, 13, 16, tzinfo=LONDON),
    )
    RoundFactory(phase=Phase.POST16)
    told(last)
    late = told(last, type_only=True)
    # released() publishes on this round's offer day: last year's went out on its own.
    Release.objects.filter(round=last).update(completed_at=last.offer_day_at)
    # Named in October 2026: after the 2026 school year started, before the 2027 one.
    amend(late, at=dt.datetime(2026, 10, 1, 10, tzinfo=LONDON))
    told(this)
    history = year_on_year(round_=this, now=AUTUMN)
    assert [r.round for r in history] == [last, this]
    assert [r.after.placed for r in history] == [1, 1]
    assert [r.after.placed_final for r in history] == [True, True]


def test_the_figures_page_shows_after_offer_day_with_charts_and_tables(client: Client) -> None:
    round_ = RoundFactory()
    appeals_and_mediations(round_)
    told(round_, type_only=True)
    with time_machine.travel(SUMMER, tick=False):
        signed_in(client, UserFactory(roles=[Role.COORDINATOR]))
        html = client.get(f"/staff/rounds/{round_.pk}/figures/").content.decode()
    charts = (
        "stage-chart",
        "status-chart",
        "outcomes-chart",
        "mediation-chart",
        "answered-chart",
        "placed-chart",
        "appeal-rate-chart",
    )
    for chart in charts:
        assert f'id="{chart}"' in html
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
    for table in ("outcomes-table", "mediation-table", "year-on-year"):
        assert f'id="{table}"' in html
    assert "Placed so far (the school year starts 1 September 2027)" in html
    assert "Kent reported 98%" in html
    assert "Conceded by the council" in html
    lodged = html.split('id="appeals-lodged">', 1)[1].split("</dd>", 1)[0]
    assert lodged.startswith("5 (55.6% of the cohort)")  # 5 of 9
    independent = html.split('id="appeals-independent">', 1)[1].split("</dd>", 1)[0]
    assert independent.startswith("2 of 5 (40%)")
    mediations = html.split('id="mediations">', 1)[1].split("</dd>", 1)[0]
    assert "1 changed the decision (33% of those concluded)" in mediations
    placed = html.split('id="placed-share">', 1)[1].split("</dd>", 1)[0]
    assert placed.startswith("89% (8 of 9")
    assert "1 still being found a place" in placed
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_before_offer_day_the_page_says_nothing_is_released(client: Client) -> None:
    round_ = RoundFactory()
    decided_case(round_)
    with time_machine.travel(dt.datetime(2026, 12, 20, 12, tzinfo=LONDON), tick=False):
        signed_in(client, UserFactory(roles=[Role.COORDINATOR]))
        html = client.get(f"/staff/rounds/{round_.pk}/figures/").content.decode()
    assert 'id="after-offer-day-empty"' in html
    assert 'id="placed-chart"' not in html
