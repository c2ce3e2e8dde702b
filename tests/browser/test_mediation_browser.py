"""After offer day in a real Chromium: a caseworker records a mediation that changes the offer,
a panel chair approves it, and the family reads the amended letter.

The live server runs on the real clock, so the round here is built around today: its offer
day was two days ago and its letters went out then.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from pytest_django.live_server_helper import LiveServer

from offers.models import Mediation, MediationOutcome, Release
from offers.services.outcomes import family_respond
from offers.services.release import release_complete, release_due
from panels.models import Decision, PanelCase, PanelSession
from phasetransfer.core.clock import LONDON
from phasetransfer.core.roles import Role
from phasetransfer.models import AuditEvent, Case, CaseState, OutboundEmail, User
from tests.browser.conftest import sign_in, staff_page
from tests.factories import RoundFactory, SettingFactory, UserFactory
from tests.factories.offers import decided_case

pytestmark = pytest.mark.browser


def _release_now() -> None:
    """What the beat's release job does on its next tick."""
    now = timezone.now()
    for pk in release_due(now=now).dispatched:
        release_complete(release_id=pk, now=now)


def _released_case(parent: User, caseworker: User) -> Case:
    now = timezone.now()
    round_ = RoundFactory(
        entry_year=now.year + 1,
        preference_opens_at=now - dt.timedelta(days=90),
        preference_closes_at=now - dt.timedelta(days=60),
        offer_day_at=now - dt.timedelta(days=2),
    )
    first_choice = SettingFactory(name="Cornwallis Academy")
    case = decided_case(round_, setting=first_choice, user=parent, email=parent.email)
    decision = Decision.objects.get(case=case)
    decided_at = now - dt.timedelta(days=20)
    Decision.objects.filter(pk=decision.pk).update(decided_at=decided_at)
    PanelCase.objects.create(session=decision.session, case=case, scheduled_at=decided_at)
    PanelSession.objects.filter(pk=decision.session_id).update(
        signed_off_at=decided_at, signed_off_by=decision.decided_by
    )
    Case.objects.filter(pk=case.pk).update(caseworker=caseworker)
    _release_now()
    release = Release.objects.get(case=case, number=1)
    family_respond(case=case, release=release, actor=parent, answer="mediation", now=now)
    case.refresh_from_db()
    return case


def test_a_mediation_agreed_and_approved_reaches_the_family_as_one_amended_letter(
    browser: Browser, live_server: LiveServer, page: Page, page_problems: list[str]
) -> None:
    parent = UserFactory(email="parent@example.org", roles=[Role.PARENT])
    caseworker = UserFactory(email="caseworker@kent.example", roles=[Role.CASEWORKER])
    chair = UserFactory(email="chair@kent.example", roles=[Role.PANEL_CHAIR])
    case = _released_case(parent, caseworker)
    assert case.state == CaseState.APPEALED  # "we want mediation"
    agreed = SettingFactory(name="Agreed Academy")
    today = timezone.now().astimezone(LONDON).date().isoformat()

    # The caseworker finds the family's answer in the round's queue, as a task.
    officer = staff_page(browser, live_server, caseworker)
    officer.goto(f"/staff/rounds/{case.round_id}/after-offer-day/")
    officer.get_by_role("link", name=re.compile(case.reference)).first.click()
    expect(officer.locator("#tasks + ul")).to_contain_text("Wants mediation: arrange it")

    # A date in the wrong shape is refused with an error summary, and nothing is recorded.
    officer.get_by_label("Date the family asked for mediation").fill("next Tuesday")
    officer.get_by_role("button", name="Record a mediation request").click()
    expect(officer.locator(".govuk-error-summary")).to_contain_text("year-month-day")
    assert not Mediation.objects.filter(case=case).exists()
    page_problems.clear()  # the refused form is answered 400 on purpose (GOV.UK pattern)

    officer.get_by_label("Date the family asked for mediation").fill(today)
    officer.get_by_role("button", name="Record a mediation request").click()
    expect(officer.locator("#mediation + .govuk-summary-card")).to_contain_text("Not concluded yet")

    officer.get_by_label("Agreed: the council names another setting").check()
    officer.get_by_label("Date the mediation ended").fill(today)
    officer.get_by_label("URN of the school or college").fill(str(agreed.urn))
    officer.get_by_label("What was agreed and why").fill(
        "The smaller site meets the sensory needs in section F."
    )
    officer.get_by_role("button", name="Record the result").click()
    expect(officer.get_by_text("Waiting for a panel chair or an administrator")).to_be_visible()
    officer.context.close()

    # A panel chair approves it; a double click changes the decision once.
    approver = staff_page(browser, live_server, chair)
    approver.goto(f"/staff/cases/{case.reference}/after-offer-day/")
    approver.get_by_role("button", name="Approve the change").dblclick()
    card = approver.locator("#mediation + .govuk-summary-card")
    expect(card).to_contain_text("Agreed: the decision changed")
    approver.context.close()
    mediation = Mediation.objects.get(case=case)
    assert (mediation.outcome, mediation.approved_by) == (MediationOutcome.AGREED, chair)
    assert AuditEvent.objects.filter(case=case, action="mediation.approved").count() == 1

    # The next release tick tells the family once; a second tick tells them nothing more.
    _release_now()
    _release_now()
    assert list(Release.objects.filter(case=case).values_list("number", flat=True)) == [1, 2]
    changed = OutboundEmail.objects.filter(to=parent.email, subject__icontains="changed")
    assert changed.count() == 1

    # The family reads the amended offer and its letter.
    sign_in(page, parent.email)
    page.goto(f"/family/{case.reference}/outcome/")
    expect(page.locator("#amended")).to_contain_text("This replaces what we told you before")
    expect(page.locator(".govuk-panel__title")).to_have_text("Agreed Academy")
    expect(page.locator("#after")).to_be_visible()
    expect(page.locator("#earlier")).to_contain_text("Cornwallis Academy")
    href = page.get_by_role("link", name="Download your letter (PDF)").get_attribute("href")
    assert href
    letter = page.request.get(href)
    assert letter.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(letter.body())).pages)
    assert "Agreed Academy" in text
    assert page_problems == []
