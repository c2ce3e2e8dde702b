"""A panel chair's whole session in a real Chromium: the session's summary, each case on its
own page with previous and next, a decision recorded with a double click and a setting
chosen from the case's own (no URN typed), then the sign-off.

The live server runs on the real clock, so the session sat two hours ago."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from panels.models import Decision, PanelCase, PanelSession
from phasetransfer.models import CaseState, Setting
from tests.browser.conftest import staff_page
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


def _govuk_conditional_reveal(node: dict) -> bool:
    """GOV.UK Frontend's conditionally revealing radios set aria-expanded on the radio,
    which axe reports; GOV.UK keeps it on purpose, after research with screen reader users
    (a known issue: alphagov/govuk-frontend#979). Only that is let through."""
    html = node["html"]
    return "govuk-radios__input" in html and "aria-controls=" in html and "aria-expanded" in html


def _no_serious_violations(page: Page, name: str) -> None:
    violations = Axe().run(page).response["violations"]
    serious = [
        f"{v['id']}: " + "; ".join(n["html"] for n in v["nodes"])
        for v in violations
        if v["impact"] in {"serious", "critical"}
        and not (
            v["id"] == "aria-allowed-attr" and all(_govuk_conditional_reveal(n) for n in v["nodes"])
        )
    ]
    assert serious == [], f"{name}: {serious}"


def test_a_chair_decides_every_case_of_a_session_and_signs_it_off(
    browser: Browser, live_server: LiveServer
) -> None:
    session, (first, second), other = _session_with_two_cases()
    chair = staff_page(browser, live_server, session.chair)

    chair.goto(f"/panels/sessions/{session.pk}/pack/")
    expect(chair.locator("#pack-counts")).to_contain_text("2 cases in this session: 0 decided")
    _no_serious_violations(chair, "session summary")
    chair.get_by_role("link", name=first.reference).click()
    expect(chair.get_by_text("case 1 of 2")).to_be_visible()
    _no_serious_violations(chair, "case page")
    chair.get_by_role("link", name=re.compile("^Record the decision")).click()
    _no_serious_violations(chair, "decision form")
    chair.get_by_label("Agree the proposal").check()
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
    # Every revealed field is there to fill without JavaScript.
    chair.get_by_label("Name another setting").check()
    chair.get_by_label("Another setting: enter its URN").check()
    chair.get_by_label("URN of the other setting").fill(str(elsewhere.urn))
    chair.locator('input[name="ground"][value="unsuitable"]').check()
    chair.get_by_label("The panel's reasons").fill("Closer to home for this child.")
    chair.get_by_role("button", name="Record the decision").click()
    expect(chair.locator(".govuk-inset-text").first).to_contain_text("Elsewhere Academy")
    assert Decision.objects.get(case=first).setting == elsewhere
