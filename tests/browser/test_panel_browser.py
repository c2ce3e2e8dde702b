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

from panels.models import Decision, PanelCase
from phasetransfer.models import CaseState
from tests.browser.conftest import staff_page
from tests.factories import RoundFactory, SettingFactory, SettingPlacesFactory
from tests.factories.panels import PanelSessionFactory, proposed_case

pytestmark = pytest.mark.browser


def test_a_chair_decides_every_case_of_a_session_and_signs_it_off(
    browser: Browser, live_server: LiveServer
) -> None:
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
    first, second = sorted(cases, key=lambda c: c.reference)
    chair = staff_page(browser, live_server, session.chair)

    chair.goto(f"/panels/sessions/{session.pk}/pack/")
    expect(chair.locator("#pack-counts")).to_contain_text("2 cases in this session: 0 decided")
    chair.get_by_role("link", name=first.reference).click()
    expect(chair.get_by_text("case 1 of 2")).to_be_visible()
    chair.get_by_role("link", name=re.compile("^Record the decision")).click()
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
