"""A new member of staff sets up two factors in a real browser: mailbox first, then the app."""

from __future__ import annotations

import re
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from phasetransfer.core.roles import Role
from phasetransfer.models import OutboundEmail
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser


def _blocking_violations(page: Page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in {"serious", "critical"}]


def _emailed_code(email: str) -> str:
    body = OutboundEmail.objects.filter(kind="two_factor_enrolment", to=email).latest("id").body
    match = re.search(r"^(\d{6})$", body, re.MULTILINE)
    assert match, body
    return match.group(1)


def _app_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def test_a_new_caseworker_proves_the_mailbox_then_sets_up_the_app(
    page: Page, live_server: LiveServer, page_problems: list[str]
) -> None:
    user = UserFactory(email="new.caseworker@kent.example", roles=[Role.CASEWORKER])
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_text("ne" + "*" * 12 + "@kent.example")).to_be_visible()  # masked
    assert _blocking_violations(page) == []
    code = _emailed_code(user.email)
    page.get_by_label("Code from the email").fill(f"{(int(code) + 1) % 10**6:06d}")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The code is not right")
    # The refused code is answered with 400 on purpose (GOV.UK error pattern), nothing else.
    assert [problem.split()[0] for problem in page_problems] == ["400"]
    page_problems.clear()
    assert not TOTPDevice.objects.filter(user=user).exists()

    page.get_by_label("Code from the email").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    assert _blocking_violations(page) == []
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.get_by_label("Code from your authenticator app").fill(_app_code(device))
    page.get_by_role("button", name="Continue").click()

    expect(page).not_to_have_url(re.compile(r"/account/two-factor/"))
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert page_problems == []
