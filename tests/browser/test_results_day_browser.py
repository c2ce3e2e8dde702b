"""Post-16 conditional offers in a real Chromium, with and without JavaScript, axe on every
page: the chair making one; on results day the caseworker imports a results file (a faulty
one first) and settles with a double click, and a college confirms entry for its own
student. The worker's part is run here as it would run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from offers.models import ProviderConfirmation, SettlementRun
from offers.services.settlement import settlement_execute
from panels.models import Decision, PanelCase
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, CaseState, Phase, Round
from tests.browser.conftest import no_serious_violations, staff_page
from tests.factories import RoundFactory, SettingFactory, SettingPlacesFactory, UserFactory
from tests.factories.consultations import SettingContactFactory
from tests.factories.offers import conditional_case, released
from tests.factories.panels import PanelSessionFactory, proposed_case
from tests.moments import AFTER_OFFER_DAY, OFFER_DAY

pytestmark = pytest.mark.browser

GOOD = "English Language,5\nMathematics,4\nHistory,6\nGeography,4\nArt and Design,7"


@pytest.fixture
def after_offer_day() -> Iterator[None]:
    with time_machine.travel(AFTER_OFFER_DAY, tick=True):
        yield


@pytest.fixture
def round_() -> Round:
    round_ = RoundFactory(phase=Phase.POST16)
    Round.objects.filter(pk=round_.pk).update(offer_day_published_at=OFFER_DAY)
    round_.refresh_from_db()
    return round_


def _published(round_: Round, **fields: object) -> Case:
    case = conditional_case(round_, **fields)
    released(case)
    return case


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_the_caseworker_imports_results_and_settles_once(
    browser: Browser,
    live_server: LiveServer,
    round_: Round,
    after_offer_day: None,
    js: bool,
    tmp_path: Path,
) -> None:
    ready = _published(round_)
    waiting = _published(round_)
    page = staff_page(browser, live_server, UserFactory(roles=[Role.CASEWORKER]), js=js)
    page.goto(f"/staff/rounds/{round_.pk}/results-day/")
    expect(page.locator("#unsettled-count")).to_have_text("2")
    no_serious_violations(page, "results day", js=js)

    bad = tmp_path / "bad.csv"
    bad.write_text(f"candidate,subject,grade\n{ready.reference},Mathematics,C\n")
    page.get_by_label("Results file (CSV)").set_input_files(str(bad))
    page.get_by_role("button", name="Import results").click()
    expect(page.locator("#results-rejected")).to_contain_text("row 2 [grade]: 'C' is not a grade")
    no_serious_violations(page, "results day with a faulty file", js=js)

    good = tmp_path / "good.csv"
    good.write_text(
        "candidate,subject,grade\n"
        + "\n".join(f"{ready.reference},{row}" for row in GOOD.splitlines())
        + f"\n{waiting.reference},English Language,6\n"
    )
    page.get_by_label("Results file (CSV)").set_input_files(str(good))
    page.get_by_role("button", name="Import results").click()
    expect(page.locator("#ready-count")).to_have_text("1")
    expect(page.locator("#unsettled-table")).to_contain_text("No result for maths")

    settle = page.get_by_role("button", name="Settle 1 offer")
    settle.dblclick() if js else settle.click()
    expect(page.get_by_text("Waiting for a worker")).to_be_visible()
    assert SettlementRun.objects.count() == 1
    settlement_execute(run_id=SettlementRun.objects.get().pk)  # what the worker does
    page.reload()
    expect(page.locator("#settled-count")).to_have_text("1")
    expect(page.locator("#settle-result")).to_contain_text("1 met, 0 not met, 1 could not")
    no_serious_violations(page, "results day after settling", js=js)


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_a_college_confirms_entry_for_its_own_student(
    browser: Browser, live_server: LiveServer, round_: Round, after_offer_day: None, js: bool
) -> None:
    ours = SettingFactory(name="Our College")
    mine = _published(round_, college=ours, condition={"provider_confirms": True})
    theirs = _published(round_)
    contact = UserFactory(roles=[Role.SCHOOL_CONTACT])
    SettingContactFactory(setting=ours, user=contact)
    page = staff_page(browser, live_server, contact, js=js)
    page.goto("/school/")
    page.locator("#results-day-link a").click()
    table = page.locator("#provider-offers")
    expect(table).to_contain_text(mine.reference)
    expect(table).not_to_contain_text(theirs.reference)
    no_serious_violations(page, "provider results day", js=js)
    confirm = page.get_by_role("button", name=f"Meets the entry requirements ({mine.reference})")
    confirm.dblclick() if js else confirm.click()
    expect(page.get_by_text(f"Recorded: {mine.reference} meets the entry")).to_be_visible()
    confirmation = ProviderConfirmation.objects.get()
    assert confirmation.decision == Decision.objects.get(case=mine)
    assert confirmation.met


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_a_post16_chair_makes_a_conditional_offer(
    browser: Browser, live_server: LiveServer, js: bool
) -> None:
    now = timezone.now()
    round_ = RoundFactory(phase=Phase.POST16)
    session = PanelSessionFactory(round=round_, starts_at=now - dt.timedelta(hours=2))
    college = SettingFactory(name="Mid Kent College")
    SettingPlacesFactory(round=round_, setting=college, places=5)
    case = proposed_case(round_, preferences=(college,), state=CaseState.AT_PANEL)
    PanelCase.objects.create(
        session=session,
        case=case,
        proposal=case.proposals.get(),
        scheduled_at=now - dt.timedelta(days=1),
    )
    chair = staff_page(browser, live_server, session.chair, js=js)
    chair.goto(f"/panels/sessions/{session.pk}/cases/{case.pk}/decision/")
    conditional = chair.locator("#conditional-group")
    if js:  # shown only once the outcome needs it
        expect(conditional).to_be_hidden()
    chair.get_by_label("Make a conditional offer (post-16)").check()
    expect(conditional).to_be_visible()
    chair.get_by_label("Preference 1: Mid Kent College", exact=False).first.check()
    chair.get_by_label("Programme or course", exact=True).fill("Level 3 Engineering")
    chair.get_by_label("Passes at a grade").check()
    chair.get_by_label("Number of passes").fill("5")
    chair.get_by_label("At grade, or above").fill("4")
    chair.get_by_label("Including English").check()
    chair.get_by_label("Including maths").check()
    chair.get_by_label("The same setting (another programme)").check()
    chair.get_by_label("Otherwise, the programme or course").fill("Level 2 Engineering")
    chair.get_by_label("The entry requirements will be met").check()
    chair.get_by_label("The panel's reasons").fill("Both courses meet the need.")
    no_serious_violations(chair, "conditional offer form", js=js)
    record = chair.get_by_role("button", name="Record the decision")
    record.dblclick() if js else record.click()
    expect(chair.get_by_text("Decision recorded for")).to_be_visible()
    decision = Decision.objects.get(case=case)
    assert decision.condition == {
        "scale": "gcse",
        "count": 5,
        "min_grade": "4",
        "including": ["english language", "mathematics"],
        "including_grade": "",
    }
    assert decision.otherwise_programme == "Level 2 Engineering"
