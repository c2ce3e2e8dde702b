"""axe-core on every page of the family's journey, in the state a family sees it.

Each page is reached the way a family reaches it (real forms, real session), so the
scan sees the page as rendered with GOV.UK Frontend's CSS and JavaScript, which matters
for rules such as colour contrast. Serious and critical violations fail the test; the
others are printed (``pytest -s`` shows them) for a person to judge: axe's moderate and
minor rules include best practices that GOV.UK's own patterns do not always follow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.conftest import Family, sign_in

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}


@dataclass
class Scan:
    page: Page
    problems: list[str]
    axe: Axe = field(default_factory=Axe)
    # Page name -> the violations axe found there.
    found: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __call__(self, name: str) -> None:
        assert name not in self.found, f"{name} scanned twice"
        # Every scanned page must be a real page of the journey, not an error page.
        assert self.problems == [], f"before scanning {name}: {self.problems}"
        self.found[name] = self.axe.run(self.page).response["violations"]

    def report(self) -> tuple[list[str], list[str]]:
        blocking: list[str] = []
        others: list[str] = []
        for name, violations in self.found.items():
            for violation in violations:
                targets = "; ".join(", ".join(node["target"]) for node in violation["nodes"])
                line = (
                    f"{name}: {violation['id']} ({violation['impact']}) {violation['help']}"
                    f" at {targets}"
                )
                (blocking if violation["impact"] in BLOCKING else others).append(line)
        return blocking, others


def _walk_accounts(page: Page, scan: Scan) -> None:
    page.goto("/")
    scan("start")
    page.get_by_role("button", name="Start now").click()
    scan("sign in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    scan("sign in, with errors")
    page.get_by_role("link", name="create an account").click()
    scan("create account")
    page.get_by_label("Email address").fill("new-family@example.org")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    scan("check email")


def _walk_journey(page: Page, scan: Scan, family: Family) -> None:
    case = f"/family/{family.case.reference}/"
    sign_in(page, family.user.email)
    scan("your applications")
    page.get_by_role("link", name="Link another child with an invitation code").click()
    scan("link child")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    scan("link child, with errors")
    page.goto(case)
    scan("case overview")
    page.get_by_role("link", name="Check your details").click()
    scan("details")
    page.goto(f"{case}details/change/")
    scan("details change")
    page.get_by_role("button", name="Save and continue").click()  # a complete form: saves
    expect(page.get_by_role("table").first).to_be_visible()
    scan("nearest schools")
    page.get_by_role("button", name="Continue").click()
    scan("preferences, none yet")
    page.get_by_role("button", name="Add a school or college").click()
    scan("search")
    page.get_by_label("Search by school or college name, town or postcode").fill("grammar")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("heading", name="2 results")).to_be_visible()
    scan("search with results")
    page.get_by_role("button", name=f"Choose {family.grammar.name}").click()
    scan("reasons")
    page.get_by_role("button", name="Save and continue").click()
    scan("preferences, one named")
    page.get_by_role("link", name="It is not in the list").click()
    scan("other")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    scan("other, with errors")
    page.goto(f"{case}preferences/")
    page.get_by_role("link", name=re.compile("^Remove")).first.click()
    scan("remove confirmation")
    page.goto(f"{case}check/")
    scan("check answers")
    page.get_by_role("button", name="Accept and send").click()
    expect(page.locator(".govuk-panel--confirmation")).to_be_visible()
    scan("confirmation")


def test_no_page_of_the_journey_has_a_serious_or_critical_accessibility_violation(
    page: Page, family: Family, page_problems: list[str]
) -> None:
    scan = Scan(page, page_problems)
    _walk_accounts(page, scan)
    _walk_journey(page, scan, family)

    blocking, others = scan.report()
    print(f"\naxe-core scanned {len(scan.found)} pages: {', '.join(scan.found)}")
    for line in others:
        print(f"  not blocking: {line}")
    assert blocking == [], "\n".join(blocking)
