"""Round figures: answered by the deadline, preferences met, appeals, and year on year."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from panels.models import Decision, Outcome, SettingType
from phasetransfer.coordination.figures import round_figures, year_on_year
from phasetransfer.core.clock import LONDON
from phasetransfer.core.roles import Role
from phasetransfer.models import AuditEvent, Case, CaseState, Phase, Preference
from tests.conftest import signed_in
from tests.factories import CaseFactory, RoundFactory, SettingFactory, UserFactory
from tests.factories.offers import decided_case
from tests.factories.panels import chair, session_for
from tests.moments import AFTER_DEADLINE, OFFER_DAY, STATUTORY_DEADLINE_ENDS

pytestmark = pytest.mark.django_db


def _released(case: Case, at: dt.datetime, state: str = CaseState.RELEASED) -> None:
    AuditEvent.objects.create(
        case=case,
        at=at,
        actor_label="system",
        action="state.release_offer",
        from_state=CaseState.OFFER_APPROVED,
        to_state=CaseState.RELEASED,
    )
    Case.objects.filter(pk=case.pk).update(state=state)


def test_answered_by_the_deadline_counts_releases_before_it_ends() -> None:
    round_ = RoundFactory()
    on_time = decided_case(round_)
    last_minute = decided_case(round_)
    late = decided_case(round_)
    appealed = decided_case(round_)
    waiting = CaseFactory(round=round_)
    withdrawn = decided_case(round_)
    _released(on_time, OFFER_DAY)
    _released(last_minute, STATUTORY_DEADLINE_ENDS - dt.timedelta(seconds=1))
    _released(late, STATUTORY_DEADLINE_ENDS)  # 16 February, 00:00: the day after the deadline
    _released(appealed, OFFER_DAY, CaseState.APPEALED)
    _released(withdrawn, OFFER_DAY, CaseState.WITHDRAWN)
    assert waiting.state == CaseState.IDENTIFIED

    figures = round_figures(round_=round_, now=AFTER_DEADLINE)
    assert figures.cohort == 5  # the withdrawn case is not counted
    assert figures.withdrawn == 1
    assert figures.answered_by_deadline == 3
    assert figures.answered_share == pytest.approx(3 / 5)
    assert figures.released == 4
    assert figures.appeals == 1
    assert figures.appeal_share == pytest.approx(1 / 4)
    assert figures.kent_answered == pytest.approx(0.92)


def test_first_and_any_preference_from_decisions() -> None:
    round_ = RoundFactory()
    first_school, second_school, other = SettingFactory(), SettingFactory(), SettingFactory()
    decided_case(round_, setting=first_school)  # names the first preference
    second = decided_case(round_, setting=second_school, preferred=first_school)
    Preference.objects.create(case=second, rank=2, setting=second_school)  # any, not first
    decided_case(round_, setting=other, preferred=first_school)  # names none of them
    type_only = decided_case(round_)
    Decision.objects.filter(case=type_only).update(
        outcome=Outcome.TYPE_ONLY, setting=None, setting_type=SettingType.SPECIAL
    )
    deferred = decided_case(round_)
    Decision.objects.filter(case=deferred).update(outcome=Outcome.DEFER)
    # A superseded decision does not count; its replacement does.
    changed = decided_case(round_, setting=other, preferred=first_school)
    old = Decision.objects.get(case=changed)
    Decision.objects.create(
        case=changed,
        session=session_for(round_),
        outcome=Outcome.OTHER_SETTING,
        setting=first_school,
        decided_by=chair(),
        decided_at=old.decided_at + dt.timedelta(days=1),
        supersedes=old,
        change_reason="A place came up",
    )

    figures = round_figures(round_=round_, now=AFTER_DEADLINE)
    assert figures.decided_with_preferences == 5  # deferred is not a final decision
    assert figures.first_preference == 2
    assert figures.any_preference == 3
    assert figures.first_preference_share == pytest.approx(2 / 5)


def test_year_on_year_compares_rounds_of_the_same_phase() -> None:
    this = RoundFactory()
    last = RoundFactory(
        entry_year=2026,
        preference_opens_at=dt.datetime(2025, 9, 1, 9, tzinfo=LONDON),
        preference_closes_at=dt.datetime(2025, 12, 11, 17, tzinfo=LONDON),
        offer_day_at=dt.datetime(2026, 2, 13, 16, tzinfo=LONDON),
    )
    RoundFactory(phase=Phase.POST16)
    history = year_on_year(round_=this, now=AFTER_DEADLINE)
    assert [r.round for r in history] == [last, this]


def test_the_figures_page_draws_charts_with_table_alternatives(client: Client) -> None:
    round_ = RoundFactory()
    decided_case(round_)
    CaseFactory(round=round_)
    with time_machine.travel(dt.datetime(2026, 12, 20, 12, tzinfo=LONDON), tick=False):
        signed_in(client, UserFactory(roles=[Role.COORDINATOR]))
        html = client.get(f"/staff/rounds/{round_.pk}/figures/").content.decode()
    for chart in ("engagement-chart", "stage-chart", "status-chart", "answered-chart"):
        assert f'id="{chart}"' in html
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in html
    assert html.count('role="img"') == 4
    for table in ("engagement-table", "stage-table", "status-table", "year-on-year"):
        assert f'id="{table}"' in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert "Kent reported 92%" in html
