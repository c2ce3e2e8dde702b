"""Fixtures for the browser tests: Debian's Chromium, driven by Playwright, against the live server.

``playwright install`` cannot download browsers on this machine, so the tests use
``/usr/bin/chromium`` (``make browser-deps`` installs it). They fail rather than skip
without it: a skipped browser suite looks the same as a passing one in CI.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Request,
    Response,
    expect,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer

from phasetransfer.core.clock import LONDON
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, Need, Setting, SettingKind, User
from phasetransfer.security.two_factor import code_now
from tests.factories import PASSWORD, ContactFactory, RoundFactory, SettingFactory, UserFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    # The tests run as root in CI, where Chromium's sandbox cannot start.
    "--no-sandbox",
    "--disable-gpu",
    # No calls home: the machine may have no route out, and they slow start-up.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Long enough for a slow CI machine, short enough that a hung page fails the test quickly.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="package", autouse=True)
def _allow_orm_beside_playwright() -> Iterator[None]:
    """Let the test thread use the ORM while Playwright's sync API is running.

    Playwright's sync API runs an asyncio event loop in the test's own thread (in a
    greenlet), so Django's guard against blocking ORM calls from async code refuses the
    factories and the database assertions these tests make, although nothing here is
    async: every call is a plain blocking call made between browser steps. The live
    server answers in its own threads, which have no event loop and are unaffected. Set
    only while this package's tests run, and restored afterwards, so the guard still
    protects every other test.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    # Package scope: the event loop stops when the last browser test is done, before
    # other packages' tests (which must not see a running loop) carry on.
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not at {CHROMIUM}: run `make browser-deps` (apt-get install chromium)"
        )
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def page_problems() -> list[str]:
    """Error pages, static files that failed to load and JavaScript errors, seen by ``page``."""
    return []


def _watch(page: Page, problems: list[str]) -> None:
    def on_response(response: Response) -> None:
        static = "/static/" in response.url or "/assets/" in response.url
        # A page the test reached must not be an error page (404, 500...) either.
        if (static or response.request.is_navigation_request()) and response.status >= 400:
            problems.append(f"{response.status} {response.url}")

    def on_request_failed(request: Request) -> None:
        # A browser fetches the tab's icon on the side and drops the request when the test
        # moves on to the next page (net::ERR_ABORTED): not a failure of the page. A missing
        # icon still shows as a 404 response above.
        if (
            request.resource_type != "document"
            and "favicon" in request.url
            and ("ERR_ABORTED" in (request.failure or ""))
        ):
            return
        problems.append(f"failed: {request.url} ({request.failure})")

    page.on("response", on_response)
    page.on("requestfailed", on_request_failed)
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))


def _new_page(
    browser: Browser, live_server: LiveServer, problems: list[str], *, js: bool
) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(base_url=live_server.url, java_script_enabled=js)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    _watch(page, problems)
    yield page
    context.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, page_problems: list[str]) -> Iterator[Page]:
    """A fresh browser context (no cookies) with JavaScript on, at the live server."""
    yield from _new_page(browser, live_server, page_problems, js=True)


@pytest.fixture
def page_without_js(
    browser: Browser, live_server: LiveServer, page_problems: list[str]
) -> Iterator[Page]:
    """The same, with JavaScript off: the service must work for people who have it off."""
    yield from _new_page(browser, live_server, page_problems, js=False)


@dataclass(frozen=True)
class Family:
    user: User
    case: Case
    grammar: Setting
    oakwood: Setting
    special: Setting


@pytest.fixture
def family(live_server: LiveServer) -> Family:
    """A parent with one Year 6 -> 7 case, in a round open now (the live server's real clock).

    ``live_server`` is requested so pytest-django gives the test a transactional
    database, committed for the server's threads to see and flushed afterwards.
    """
    now = timezone.now()
    # Offer day, 12 February of the entry year, must fall before the statutory deadline
    # (15 February) and after the window closes, whatever the real date is.
    entry_year = now.year + 1
    round_ = RoundFactory(
        entry_year=entry_year,
        preference_opens_at=now - dt.timedelta(days=7),
        preference_closes_at=now + dt.timedelta(days=14),
        offer_day_at=dt.datetime(entry_year, 2, 12, 16, 0, tzinfo=LONDON),
    )
    user = UserFactory(email="parent@example.org", roles=[Role.PARENT])
    contact = ContactFactory(
        user=user, email=user.email, case__round=round_, case__child__primary_need=Need.ASD
    )
    # The child lives at 51.26, 0.53 (the factories' default home).
    grammar = SettingFactory(name="Maidstone Grammar School", latitude=51.265, longitude=0.525)
    oakwood = SettingFactory(name="Oakwood Park Grammar School", latitude=51.27, longitude=0.50)
    SettingFactory(name="Cornwallis Academy", latitude=51.24, longitude=0.53)
    special = SettingFactory(
        name="Five Acre Wood School",
        kind=SettingKind.SPECIAL,
        designated_needs=[Need.ASD],
        latitude=51.28,
        longitude=0.54,
    )
    return Family(user=user, case=contact.case, grammar=grammar, oakwood=oakwood, special=special)


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Use the real sign-in form, as a family would."""
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/family/")


def staff_page(browser: Browser, live_server: LiveServer, user: User, *, js: bool = True) -> Page:
    """A separate browser (its own cookies), signed in with password and authenticator code;
    ``js=False`` for one with JavaScript off."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=js)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code from your authenticator app").fill(code_now(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("Code from your authenticator app")).to_have_count(0)
    return page


def _govuk_conditional_reveal(node: dict[str, Any]) -> bool:
    """GOV.UK Frontend's conditionally revealing radios set aria-expanded on the radio,
    which axe reports; GOV.UK keeps it on purpose, after research with screen reader users
    (a known issue: alphagov/govuk-frontend#979). Only that is let through."""
    html = node["html"]
    return "govuk-radios__input" in html and "aria-controls=" in html and "aria-expanded" in html


def _as_without_javascript(page: Page) -> Page:
    """The page as a browser without JavaScript has it, in a scratch page where axe can run
    (axe is a script: it cannot run where scripts are off). The page's own scripts are left
    out, so the DOM stays as the server sent it; a <base> keeps its styles for the contrast
    checks."""
    origin = re.match(r"https?://[^/]+", page.url)
    assert origin is not None
    html = re.sub(r"<script\b.*?</script>", "", page.content(), flags=re.S | re.I)
    html = html.replace("<head>", f'<head><base href="{origin.group(0)}/">', 1)
    browser = page.context.browser
    assert browser is not None
    scratch = browser.new_context().new_page()
    scratch.set_content(html, wait_until="load")
    return scratch


def no_serious_violations(page: Page, name: str, *, js: bool = True) -> None:
    """axe finds nothing serious or critical on the page as it is now (``js=False``: the
    page of a browser with JavaScript off)."""
    target = page if js else _as_without_javascript(page)
    try:
        violations = Axe().run(target).response["violations"]
    finally:
        if not js:
            target.context.close()
    serious = [
        f"{v['id']}: " + "; ".join(n["html"] for n in v["nodes"])
        for v in violations
        if v["impact"] in {"serious", "critical"}
        and not (
            v["id"] == "aria-allowed-attr" and all(_govuk_conditional_reveal(n) for n in v["nodes"])
        )
    ]
    assert serious == [], f"{name}: {serious}"
