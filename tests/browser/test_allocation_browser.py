"""The allocation policy page in a real Chromium: an officer chooses families' order first
and the published rule, runs the model with a double click, reads what each policy would
mean for families, and sees whose claim came first at a full school."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from phasetransfer.allocation.services import allocation_execute
from phasetransfer.core.roles import Role
from phasetransfer.models import (
    AllocationPolicy,
    AllocationRun,
    Case,
    CaseState,
    Preference,
    RunStatus,
)
from tests.browser.conftest import staff_page
from tests.factories import (
    CaseFactory,
    RoundFactory,
    SettingFactory,
    SettingPlacesFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser
LOOKED_AFTER_RULE = (
    "Looked-after and previously looked-after children; then the children who live nearest"
)


def test_an_officer_sets_the_policy_runs_the_model_once_and_compares_policies(
    browser: Browser, live_server: LiveServer
) -> None:
    round_ = RoundFactory()
    wanted = SettingFactory(name="Wanted Academy", latitude=51.40, longitude=0.52)
    near = SettingFactory(name="Near Academy", latitude=51.28, longitude=0.52)
    SettingPlacesFactory(round=round_, setting=wanted, places=1)
    SettingPlacesFactory(round=round_, setting=near, places=5)
    cases = []
    for index in range(3):
        case = CaseFactory(
            round=round_,
            child__home_latitude=51.27 + index * 0.01,
            child__home_longitude=0.52,
            child__looked_after=index == 2,
        )
        Preference.objects.create(case=case, rank=1, setting=wanted)
        Preference.objects.create(case=case, rank=2, setting=near)
        cases.append(case)
    Case.objects.filter(round=round_).update(state=CaseState.CONSULTING)
    officer = staff_page(browser, live_server, UserFactory(roles=[Role.CASEWORKER]))

    officer.goto(f"/staff/rounds/{round_.pk}/allocation/")
    expect(officer.get_by_label("Families' order first (rank-maximal)")).to_be_checked()
    officer.get_by_role("radio", name=LOOKED_AFTER_RULE, exact=True).check()
    officer.get_by_label("Cost difference that refuses an independent preference").fill("-1")
    officer.get_by_role("button", name="Save policy").click()
    expect(officer.locator(".govuk-error-summary")).to_be_visible()
    assert not AllocationPolicy.objects.filter(round=round_).exists()  # nothing saved
    officer.get_by_label("Cost difference that refuses an independent preference").fill("20000")
    officer.get_by_role("button", name="Save policy").click()
    expect(officer.locator("#published-rule")).to_contain_text("Looked-after and previously")
    assert AllocationPolicy.objects.get(round=round_).oversubscription_rule == "lac_distance"

    officer.get_by_role("button", name="Run the allocation model").dblclick()
    expect(officer.locator("h1")).to_contain_text("Allocation run")
    assert AllocationRun.objects.filter(round=round_).count() == 1  # a double click, one run
    run = AllocationRun.objects.get(round=round_)
    allocation_execute(run_id=run.pk)  # what the worker does
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    officer.reload()
    policies = officer.locator("#policies")
    expect(policies).to_contain_text("Families' order first (this run)")
    expect(policies).to_contain_text("Least total cost")
    expect(policies).to_contain_text("Deferred acceptance")
    expect(officer.locator("#policy-chart")).to_be_visible()

    # The looked-after child got the one place; the others see whose claim came first.
    officer.get_by_role("link", name="Not first preference").click()
    holders = officer.get_by_text("Who holds the places at Wanted Academy").first
    holders.click()
    expect(officer.locator("details[open]").first).to_contain_text(
        f"{cases[2].reference}: preference 1, group 0"
    )
    expect(officer.locator("details[open]").first).to_contain_text("came first")
