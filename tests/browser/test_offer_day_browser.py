"""The officer's SEN offer day page in a real Chromium, with and without JavaScript, axe on
every page: setting the moment (a mistake first), a rehearsal started with a double click,
then, after offer day, the letters to post printed in a batch and marked as posted.

The work a worker does (the rehearsal, the print batch) is run here as the worker would run
it; the live server and the test share the travelled clock (``tick=True``: time moves on)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from offers.models import LetterToPost, PrintBatch, RehearsalRun
from offers.services.posting import print_batch_build
from offers.services.rehearsal import rehearsal_execute
from offers.services.release import release_complete, release_due
from phasetransfer.core.roles import Role
from phasetransfer.models import Round
from tests.browser.conftest import no_serious_violations, staff_page
from tests.factories import RoundFactory, UserFactory
from tests.factories.offers import decided_case, undecided_case
from tests.moments import BEFORE_PANELS, JUST_AFTER_OFFER_DAY

pytestmark = pytest.mark.browser


@pytest.fixture
def round_() -> Round:
    round_ = RoundFactory()
    decided_case(round_)  # told by email
    decided_case(round_, email="")  # no email: a letter to post
    undecided_case(round_)
    return round_


def _officer(browser: Browser, live_server: LiveServer, js: bool) -> Page:
    return staff_page(browser, live_server, UserFactory(roles=[Role.CASEWORKER]), js=js)


@pytest.fixture
def before_offer_day() -> Iterator[None]:
    with time_machine.travel(BEFORE_PANELS, tick=True):
        yield


@pytest.fixture
def after_offer_day() -> Iterator[None]:
    with time_machine.travel(JUST_AFTER_OFFER_DAY, tick=True):
        yield


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_the_officer_sets_offer_day_and_rehearses_it_once(
    browser: Browser, live_server: LiveServer, round_: Round, before_offer_day: None, js: bool
) -> None:
    officer = _officer(browser, live_server, js)
    officer.goto(f"/staff/rounds/{round_.pk}/offer-day/")
    expect(officer.locator("#decided")).to_have_text("2 of 3")
    no_serious_violations(officer, "offer day page", js=js)

    # A mistake: the error summary says what to fix and what was typed is still there.
    officer.get_by_label("Date").fill("2027-02-30")
    officer.get_by_label("Time (London)").fill("16:00")
    officer.get_by_role("button", name="Save offer day").click()
    expect(officer.locator(".govuk-error-summary")).to_contain_text(
        "Enter the date as year-month-day"
    )
    expect(officer.get_by_label("Date")).to_have_value("2027-02-30")
    expect(officer.get_by_label("Time (London)")).to_have_value("16:00")
    no_serious_violations(officer, "offer day page with an error", js=js)
    officer.get_by_label("Date").fill("2027-02-11")
    officer.get_by_role("button", name="Save offer day").click()
    expect(officer.locator(".govuk-summary-list").first).to_contain_text(
        "Thursday 11 February 2027, 16:00"
    )

    # A double click (or a second request) joins the rehearsal already waiting.
    rehearse = officer.get_by_role("button", name="Rehearse offer day")
    rehearse.dblclick() if js else rehearse.click()
    expect(officer.get_by_text("Waiting for a worker")).to_be_visible()
    run = RehearsalRun.objects.get()
    rehearsal_execute(run_id=run.pk)  # what the worker does
    officer.reload()
    expect(officer.locator("#no-decision-count")).to_have_text("1")
    no_serious_violations(officer, "rehearsal result", js=js)
    assert RehearsalRun.objects.count() == 1


@pytest.mark.parametrize("js", [True, False], ids=["javascript", "no-javascript"])
def test_after_offer_day_the_officer_prints_and_posts_the_letters(
    browser: Browser, live_server: LiveServer, round_: Round, after_offer_day: None, js: bool
) -> None:
    summary = release_due(now=JUST_AFTER_OFFER_DAY)
    for pk in summary.dispatched:
        release_complete(release_id=pk, now=JUST_AFTER_OFFER_DAY)
    officer = _officer(browser, live_server, js)
    officer.goto(f"/staff/rounds/{round_.pk}/offer-day/")
    status = officer.locator("#release-status")
    expect(status).to_contain_text("3 of 3")  # told: two offers and one "no decision yet"
    expect(status).to_contain_text("0 posted of 1")
    no_serious_violations(officer, "offer day page after release", js=js)

    prepare = officer.get_by_role("button", name="Prepare a print batch")
    prepare.dblclick() if js else prepare.click()
    expect(officer.locator("#print-batches")).to_be_visible()
    batch = PrintBatch.objects.get()  # one batch for a double click
    print_batch_build(batch_id=batch.pk)  # what the worker does
    officer.goto(f"/staff/rounds/{round_.pk}/offer-day/")
    expect(officer.get_by_role("link", name="Download to print")).to_be_visible()
    no_serious_violations(officer, "offer day page with a print batch", js=js)
    officer.get_by_role("button", name="Mark as posted").click()
    expect(officer.locator("#print-batches")).to_contain_text(re.compile(r"Posted \d+ \w+ 2027"))
    expect(status).to_contain_text("1 posted of 1")
    assert LetterToPost.objects.filter(posted_at__isnull=False).count() == 1
