"""The family's journey in a real Chromium: the issue's scenario, an error, and no JavaScript.

"A parent signs in, goes through the journey, edits an answer from the check-answers
page, submits, sees the confirmation." Every step is a click or a keystroke on the
rendered page, so these tests also prove the pages' links, forms and GOV.UK Frontend's
CSS and JavaScript work together, which the HTTP-level tests cannot.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from phasetransfer.models import CaseState, OutboundEmail, PreferenceSubmission
from tests.browser.conftest import Family, sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

# GOV.UK Frontend's header is $govuk-black (#0b0c0c); without its CSS it would be transparent.
GOVUK_HEADER_BLACK = "rgb(11, 12, 12)"
REASONS_LABEL = "Why would you prefer this school or college?"


def _path(family: Family, tail: str = "") -> str:
    return f"/family/{family.case.reference}/{tail}"


def _url(family: Family, tail: str = "") -> re.Pattern[str]:
    """The page's full URL, exactly (no query string unless ``tail`` has one)."""
    return re.compile(re.escape(_path(family, tail)) + "$")


def _add_from_search(page: Page, query: str, name: str) -> None:
    page.get_by_role("button", name="Add a school or college").click()
    page.get_by_label("Search by school or college name, town or postcode").fill(query)
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name=f"Choose {name}").click()


def test_a_parent_signs_in_names_preferences_changes_one_from_check_answers_and_sends(
    page: Page, family: Family, page_problems: list[str]
) -> None:
    case = family.case
    page.goto("/")
    # GOV.UK Frontend's CSS and JavaScript came from node_modules through the live server.
    expect(page.locator(".govuk-header")).to_have_css("background-color", GOVUK_HEADER_BLACK)
    expect(page.locator("body")).to_have_class(re.compile(r"\bgovuk-frontend-supported\b"))

    page.get_by_role("button", name="Start now").click()
    expect(page).to_have_url(re.compile(r"/sign-in/$"))
    page.get_by_label("Email address").fill(family.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your applications")
    page.get_by_role("link", name=f"Open {case.child.full_name}'s application").click()
    expect(page).to_have_url(_url(family))

    # Check your details: yes.
    page.get_by_role("link", name="Check your details").click()
    page.get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Continue").click()

    # Nearest schools: a table of the nearest mainstream schools, nearest first, and the
    # special school designated for the child's need.
    expect(page).to_have_url(_url(family, "nearest/"))
    mainstream = page.get_by_role("table", name="Nearest mainstream schools")
    expect(mainstream.get_by_role("row")).to_have_count(4)  # the header and three schools
    expect(mainstream.get_by_role("row").nth(1)).to_contain_text("Maidstone Grammar School")
    expect(mainstream).to_contain_text("miles")
    expect(mainstream).not_to_contain_text(family.special.name)
    for_need = page.get_by_role("table", name="Nearest settings for the child's need")
    expect(for_need).to_contain_text(family.special.name)
    page.get_by_role("button", name="Continue").click()

    # Preferences: search, choose, give reasons.
    expect(page).to_have_url(_url(family, "preferences/"))
    expect(page.get_by_text("You have not named any yet.")).to_be_visible()
    _add_from_search(page, "grammar", "Maidstone Grammar School")
    expect(page).to_have_url(
        re.compile(re.escape(_path(family, "preferences/")) + r"\d+/reasons/$")
    )
    page.get_by_label(REASONS_LABEL).fill("Close to home")
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(_url(family, "preferences/"))

    # A second, without reasons (they are optional).
    _add_from_search(page, "oakwood", "Oakwood Park Grammar School")
    expect(page).to_have_url(
        re.compile(re.escape(_path(family, "preferences/")) + r"\d+/reasons/$")
    )
    page.get_by_role("button", name="Save and continue").click()

    # One that is not in the list.
    page.get_by_role("link", name="It is not in the list").click()
    page.get_by_label("Name of the school or college").fill("Marsh View School")
    page.get_by_label("Where is it? (optional)").fill("Medway")
    page.get_by_label(REASONS_LABEL).fill("Her brother goes there")
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(_url(family, "preferences/"))

    # Move the second one up.
    page.get_by_role("button", name="Move up Oakwood Park Grammar School").click()
    rows = page.locator(".govuk-summary-list__row")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("1st preference")
    expect(rows.nth(0)).to_contain_text("Oakwood Park Grammar School")
    expect(rows.nth(1)).to_contain_text("Maidstone Grammar School")
    expect(rows.nth(1)).to_contain_text("Your reasons: Close to home")
    expect(rows.nth(2)).to_contain_text("Marsh View School")
    expect(rows.nth(2)).to_contain_text("Not in our list: Medway")

    # Check answers.
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(_url(family, "check/"))
    preference_keys = page.locator("#preferences + .govuk-summary-list .govuk-summary-list__key")
    expect(preference_keys).to_have_text(
        [
            "1. Oakwood Park Grammar School",
            "2. Maidstone Grammar School",
            "3. Marsh View School",
        ]
    )

    # Change the reasons for one from check answers, and come back to check answers.
    page.get_by_role("link", name="Change reasons for Maidstone Grammar School").click()
    expect(page).to_have_url(
        re.compile(re.escape(_path(family, "preferences/")) + r"\d+/reasons/\?next=check$")
    )
    expect(page.get_by_role("link", name="Back")).to_have_attribute("href", _path(family, "check/"))
    reasons = page.get_by_label(REASONS_LABEL)
    expect(reasons).to_have_value("Close to home")
    reasons.fill("Close to home, and her friends are going there")
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(_url(family, "check/"))
    maidstone_row = page.locator(".govuk-summary-list__row", has_text="Maidstone Grammar School")
    expect(maidstone_row).to_contain_text("Close to home, and her friends are going there")

    # Send.
    page.get_by_role("button", name="Accept and send").click()
    expect(page).to_have_url(_url(family, "confirmation/"))
    submission = PreferenceSubmission.objects.get(case=case)
    panel = page.locator(".govuk-panel--confirmation")
    expect(panel.get_by_role("heading", level=1)).to_have_text("Preferences sent")
    expect(panel).to_contain_text("Your reference number")
    expect(panel.locator("strong")).to_have_text(submission.receipt)
    assert submission.receipt == f"{case.reference}-1"
    assert not submission.late
    assert [p["name"] for p in submission.snapshot] == [
        "Oakwood Park Grammar School",
        "Maidstone Grammar School",
        "Marsh View School",
    ]
    assert case.preferences.get(rank=2).reasons == "Close to home, and her friends are going there"
    case.refresh_from_db()
    assert case.state == CaseState.PREFERENCES_RECEIVED
    receipt = OutboundEmail.objects.get(case=case, kind="preferences_receipt")
    assert receipt.to == family.user.email
    assert submission.receipt in receipt.subject
    assert page_problems == []


def test_an_empty_other_setting_form_shows_the_error_summary_whose_link_focuses_the_field(
    page: Page, family: Family, page_problems: list[str]
) -> None:
    sign_in(page, family.user.email)
    page.goto(_path(family, "preferences/other/"))
    page.get_by_role("button", name="Save and continue").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: "))
    # GOV.UK Frontend focuses the summary when the page loads, so it is read out first.
    expect(summary).to_be_focused()
    expect(page.locator("#id_other_name-error")).to_have_text(
        "Error: Enter the name of the school or college"
    )

    summary.get_by_role("link", name="Enter the name of the school or college").click()
    field = page.get_by_label("Name of the school or college")
    expect(field).to_be_focused()
    # And the field's label is scrolled into view with it, as GOV.UK Frontend does.
    expect(page.locator("label[for=id_other_name]")).to_be_in_viewport()
    assert not family.case.preferences.exists()
    assert page_problems == []


def test_without_javascript_a_parent_can_name_preferences_reorder_and_send(
    page_without_js: Page, family: Family, page_problems: list[str]
) -> None:
    page = page_without_js
    sign_in(page, family.user.email)
    # Scripts really are off: GOV.UK Frontend's initialisation would have marked the body.
    expect(page.locator("body")).not_to_have_class(re.compile(r"govuk-frontend-supported"))
    page.get_by_role("link", name=f"Open {family.case.child.full_name}'s application").click()
    page.get_by_role("link", name="Name your preferences").click()

    _add_from_search(page, "grammar", "Maidstone Grammar School")
    page.get_by_label(REASONS_LABEL).fill("Close to home")
    page.get_by_role("button", name="Save and continue").click()
    _add_from_search(page, "oakwood", "Oakwood Park Grammar School")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("button", name="Move up Oakwood Park Grammar School").click()
    expect(page.locator(".govuk-summary-list__row").first).to_contain_text("Oakwood Park")

    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Accept and send").click()
    expect(page).to_have_url(_url(family, "confirmation/"))
    submission = PreferenceSubmission.objects.get(case=family.case)
    expect(page.locator(".govuk-panel--confirmation")).to_contain_text(submission.receipt)
    assert [p["name"] for p in submission.snapshot] == [
        "Oakwood Park Grammar School",
        "Maidstone Grammar School",
    ]
    assert page_problems == []
