"""A panel chair's whole session in a real Chromium: the session's summary, each case on its
own page with previous and next, a decision recorded with a double click and a setting
chosen from the case's own (no URN typed), then the sign-off.

The live server runs on the real clock, so the session sat two hours ago."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from panels.models import Decision, PanelCase, PanelSession
from phasetransfer.models import CaseState, Setting
from tests.browser.conftest import no_serious_violations, staff_page
from tests.factories import RoundFactory, SettingFactory, SettingPlacesFactory
from tests.factories.panels import PanelSessionFactory, proposed_case

pytestmark = pytest.mark.browser


def _session_with_two_cases() -> tuple[PanelSession, list, Setting]:
    now = timezone.now()
    round_ = RoundFactory()
    session = PanelSessionFactory(round=round_, starts_at=now - dt.timedelta(hours=2))
    near = SettingFactory(name="Near Academy")
    other = SettingFactory(name="Other Academy")
    for setting in (near, other):
        SettingPlacesFactory(round=round_, setting=setting, places=5)
    cases = [
        proposed_case(round_, preferences=(near, other), proposal=near, state=CaseState.AT_PANEL)
        for _ in range(2)
    ]
    for case in cases:
        PanelCase.objects.create(
            session=session,
            case=case,
            proposal=case.proposals.get(),
            scheduled_at=now - dt.timedelta(days=1),
        )
    return session, sorted(cases, key=lambda c: c.reference), other


def test_a_chair_decides_every_case_of_a_session_and_signs_it_off(
    browser: Browser, live_server: LiveServer
) -> None:
    session, (first, second), other = _session_with_two_cases()
    chair = staff_page(browser, live_server, session.chair)

    chair.goto(f"/panels/sessions/{session.pk}/pack/")
    expect(chair.locator("#pack-counts")).to_contain_text("2 cases in this session: 0 decided")
    no_serious_violations(chair, "session summary")
    chair.get_by_role("link", name=first.reference).click()
    expect(chair.get_by_text("case 1 of 2")).to_be_visible()
    no_serious_violations(chair, "case page")
    chair.get_by_role("link", name=re.compile("^Record the decision")).click()
    no_serious_violations(chair, "decision form")
    # Only the fields the chosen outcome needs: the setting for "another" or "consult
    # further", the ground for a final decision.
    chair.get_by_label("Defer to a later session").check()
    expect(chair.locator("#setting-choice-group")).to_be_hidden()
    expect(chair.locator("#ground-group")).to_be_hidden()
    chair.get_by_label("Request a further consultation").check()
    expect(chair.locator("#setting-choice-group")).to_be_visible()
    expect(chair.locator("#ground-group")).to_be_hidden()
    chair.get_by_label("Agree the proposal").check()
    expect(chair.locator("#setting-choice-group")).to_be_hidden()
    expect(chair.locator("#ground-group")).to_be_visible()
    chair.get_by_role("button", name="Record the decision").dblclick()
    expect(chair.locator(".govuk-inset-text").first).to_contain_text("Decided: Agree the proposal")
    assert Decision.objects.filter(case=first).count() == 1  # a double click, one decision

    chair.get_by_role("link", name=re.compile("Next")).click()
    expect(chair.get_by_text("case 2 of 2")).to_be_visible()
    chair.get_by_role("link", name=re.compile("^Record the decision")).click()
    chair.get_by_label("Name another setting").check()
    chair.get_by_label(re.compile(r"^Preference 2: Other Academy")).check()
    chair.locator('input[name="ground"][value="unsuitable"]').check()
    chair.get_by_label("The panel's reasons").fill("The smaller site suits the child better.")
    chair.get_by_role("button", name="Record the decision").click()
    expect(chair.locator(".govuk-inset-text").first).to_contain_text("Other Academy")

    chair.get_by_role("link", name="Back to the session's cases").click()
    expect(chair.locator("#pack-counts")).to_contain_text("2 decided, 0 to decide")
    chair.get_by_role("link", name="Sign the session off").click()
    chair.get_by_role("button", name="Sign off the session").click()
    session.refresh_from_db()
    assert session.is_signed_off
    assert Decision.objects.get(case=second).setting == other


def test_without_javascript_the_chair_names_another_setting_by_urn(
    browser: Browser, live_server: LiveServer
) -> None:
    session, (first, _second), _other = _session_with_two_cases()
    elsewhere = SettingFactory(name="Elsewhere Academy")
    SettingPlacesFactory(round=session.round, setting=elsewhere, places=5)
    chair = staff_page(browser, live_server, session.chair, js=False)
    chair.goto(f"/panels/sessions/{session.pk}/cases/{first.pk}/decision/")
    no_serious_violations(chair, "decision form without JavaScript", js=False)
    # Every revealed field is there to fill without JavaScript.
    expect(chair.locator("#setting-choice-group")).to_be_visible()
    expect(chair.locator("#ground-group")).to_be_visible()
    chair.get_by_label("Name another setting").check()
    chair.get_by_label("Another setting: enter its URN").check()
    chair.get_by_label("URN of the other setting").fill(str(elsewhere.urn))
    chair.locator('input[name="ground"][value="unsuitable"]').check()
    chair.get_by_label("The panel's reasons").fill("Closer to home for this child.")
    chair.get_by_role("button", name="Record the decision").click()
    expect(chair.locator(".govuk-inset-text").first).to_contain_text("Elsewhere Academy")
    assert Decision.objects.get(case=first).setting == elsewhere
