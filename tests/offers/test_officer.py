"""The officer's offer-day work that runs off the request: the rehearsal, print batches of
letters to post, and the emails that need a person (an alert, and retrying them at once)."""

from __future__ import annotations

import io
from typing import Any

import pytest
import time_machine
from django.test import Client
from pypdf import PdfReader

from offers.models import LetterToPost, PrintBatch, RehearsalRun
from offers.services.posting import PostingRefused, print_batch_build, print_batch_posted
from offers.services.rehearsal import rehearsal_execute
from offers.services.release import release_complete, release_due
from phasetransfer.core.roles import Role
from phasetransfer.models import EmailStatus, OutboundEmail, RunStatus
from tests.conftest import signed_in
from tests.factories import RoundFactory, UserFactory
from tests.factories.offers import decided_case, undecided_case
from tests.moments import JUST_AFTER_OFFER_DAY, WINDOW_OPEN

pytestmark = pytest.mark.django_db


def _release_all() -> None:
    summary = release_due(now=JUST_AFTER_OFFER_DAY)
    for pk in summary.dispatched:
        release_complete(release_id=pk, now=JUST_AFTER_OFFER_DAY)


def test_rehearse_returns_at_once_a_second_request_joins_the_first_and_the_result_lists(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    round_ = RoundFactory()
    decided_case(round_)
    waiting = undecided_case(round_)
    officer = UserFactory(roles=[Role.CASEWORKER])
    with time_machine.travel(WINDOW_OPEN, tick=False):
        signed_in(client, officer)
        with django_capture_on_commit_callbacks() as queued:
            first = client.post(f"/staff/rounds/{round_.pk}/offer-day/rehearse/")
        second = client.post(f"/staff/rounds/{round_.pk}/offer-day/rehearse/")  # double click
    run = RehearsalRun.objects.get()
    assert run.status == RunStatus.QUEUED  # nothing was rendered in the request
    assert len(queued) == 1
    assert (
        first["Location"]
        == second["Location"]
        == (f"/staff/rounds/{round_.pk}/offer-day/rehearsals/{run.pk}/")
    )
    with time_machine.travel(WINDOW_OPEN, tick=False):
        waiting_page = client.get(first["Location"]).content.decode()
        assert "Waiting for a worker" in waiting_page
        rehearsal_execute(run_id=run.pk)
        assert rehearsal_execute(run_id=run.pk) is None  # claimed once
        done = client.get(first["Location"]).content.decode()
    assert 'id="no-decision-count">1<' in done
    assert waiting.reference in done  # listed with its reason
    assert "waiting for schools or colleges" in done
    assert "Letters not rendered yet (2)" in done


def test_letters_to_post_are_printed_in_one_batch_address_first_and_marked_posted(
    client: Client,
) -> None:
    round_ = RoundFactory()
    by_post = [decided_case(round_, email="") for _ in range(2)]
    decided_case(round_)  # emailed, not posted
    _release_all()
    assert LetterToPost.objects.count() == 2
    officer = UserFactory(roles=[Role.CASEWORKER])
    with time_machine.travel(JUST_AFTER_OFFER_DAY, tick=False):
        signed_in(client, officer)
        client.post(f"/staff/rounds/{round_.pk}/offer-day/print-batches/")
        client.post(f"/staff/rounds/{round_.pk}/offer-day/print-batches/")  # a second tab
    batch = PrintBatch.objects.get()
    assert batch.status == RunStatus.QUEUED
    print_batch_build(batch_id=batch.pk)
    batch.refresh_from_db()
    pdf = PdfReader(io.BytesIO(bytes(batch.pdf)))
    pages = [page.extract_text() for page in pdf.pages]
    # Each letter follows a page with its recipient's address, in reference order.
    letters = sorted(by_post, key=lambda c: c.reference)
    address_pages = [i for i, text in enumerate(pages) if "Private and confidential" in text]
    assert len(address_pages) == 2
    for index, case in zip(address_pages, letters, strict=True):
        assert "1 High Street" in pages[index]
        assert case.reference in pages[index + 1]
    with time_machine.travel(JUST_AFTER_OFFER_DAY, tick=False):
        download = client.get(f"/staff/rounds/{round_.pk}/offer-day/print-batches/{batch.pk}.pdf")
        assert download.content == bytes(batch.pdf)
        client.post(f"/staff/rounds/{round_.pk}/offer-day/print-batches/{batch.pk}/posted/")
    assert LetterToPost.objects.filter(posted_at__isnull=False, posted_by=officer).count() == 2
    with pytest.raises(PostingRefused, match="already marked"):
        print_batch_posted(batch=batch, actor=officer)


def test_abandoned_emails_raise_an_alert_and_are_retried_at_once(client: Client) -> None:
    round_ = RoundFactory()
    cases = [decided_case(round_) for _ in range(3)]
    _release_all()
    OutboundEmail.objects.filter(kind="offer_day").update(status=EmailStatus.ABANDONED)
    unknown = OutboundEmail.objects.filter(case=cases[0]).get()
    OutboundEmail.objects.filter(pk=unknown.pk).update(
        status=EmailStatus.UNKNOWN, handed_over_at=JUST_AFTER_OFFER_DAY
    )
    officer = UserFactory(roles=[Role.PANEL_CHAIR])
    with time_machine.travel(JUST_AFTER_OFFER_DAY, tick=False):
        signed_in(client, officer)
        page = client.get(f"/staff/rounds/{round_.pk}/offer-day/").content.decode()
        assert "2 emails could not be sent after every retry" in page
        assert "1 email may or may not have been delivered" in page
        client.post(f"/staff/rounds/{round_.pk}/offer-day/emails/retry-all/")
    statuses = dict(OutboundEmail.objects.values_list("case_id", "status"))
    # The two that certainly failed go again; the one that may have arrived waits for a person.
    assert statuses[cases[0].pk] == EmailStatus.UNKNOWN
    assert {statuses[cases[1].pk], statuses[cases[2].pk]} == {EmailStatus.PENDING}
