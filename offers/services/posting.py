"""Letters to post: a print batch of every letter waiting, and marking a batch posted.

A contact with no email address is sent their case's letter by post (``LetterToPost``).
An officer asks for a print batch: a worker joins the published letter PDFs into one file,
each after a page with the recipient's address (for a window envelope); the officer prints
it, posts the letters and marks the batch posted. The letters are the very PDFs the
releases published (their hashes are on the releases), not new renders.
"""

from __future__ import annotations

import datetime as dt
import io
import logging

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from offers.models import LetterToPost, PrintBatch
from offers.services.letters import render_pdf
from phasetransfer.core import clock
from phasetransfer.models import Round, RunStatus, User

logger = logging.getLogger(__name__)


class PostingRefused(Exception):
    pass


def print_batch_request(
    *, round_: Round, actor: User, now: dt.datetime | None = None, queue: bool = True
) -> PrintBatch:
    """Queue a print batch of the round's letters waiting to be posted (one at a time)."""
    moment = now or clock.now()
    if not LetterToPost.objects.filter(
        release__round=round_, posted_at__isnull=True, batch__isnull=True
    ).exists():
        raise PostingRefused("There are no letters waiting to be printed.")
    try:
        with transaction.atomic():
            batch = PrintBatch.objects.create(round=round_, requested_by=actor, requested_at=moment)
    except IntegrityError:
        raise PostingRefused("A print batch is already being prepared: wait for it.") from None
    if queue:
        from offers.tasks import build_print_batch

        transaction.on_commit(lambda: build_print_batch.delay(batch.pk))
    return batch


def _join(address_pdf: bytes, letter_pdfs: list[bytes]) -> bytes:
    from pypdf import PdfReader, PdfWriter  # imported late: only the worker joins PDFs

    addresses = PdfReader(io.BytesIO(address_pdf))
    writer = PdfWriter()
    for index, letter in enumerate(letter_pdfs):
        writer.add_page(addresses.pages[index])
        for page in PdfReader(io.BytesIO(letter)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _published_pdf(item: LetterToPost) -> bytes:
    letter = item.release.letter
    assert letter is not None  # a completed release has its letter (a constraint)
    return bytes(letter.pdf)


def print_batch_build(*, batch_id: int, now: dt.datetime | None = None) -> PrintBatch | None:
    """Claim the batch (only one caller can), take the letters waiting, and build the PDF."""
    moment = now or clock.now()
    claimed = PrintBatch.objects.filter(pk=batch_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING
    )
    if not claimed:
        return None
    batch = PrintBatch.objects.get(pk=batch_id)
    try:
        with transaction.atomic():
            LetterToPost.objects.filter(
                release__round_id=batch.round_id, posted_at__isnull=True, batch__isnull=True
            ).update(batch=batch)
        letters = list(
            LetterToPost.objects.filter(batch=batch)
            .select_related("contact", "release__letter", "release__case")
            .order_by("release__case__reference", "contact_id")
        )
        address_pdf = render_pdf(
            render_to_string("offers/print_addresses.html", {"letters": letters})
        )
        pdf = _join(address_pdf, [_published_pdf(item) for item in letters])
    except Exception as exc:
        logger.exception("print batch %s failed", batch_id)
        with transaction.atomic():
            LetterToPost.objects.filter(batch_id=batch_id).update(batch=None)
            PrintBatch.objects.filter(pk=batch_id).update(
                status=RunStatus.FAILED, finished_at=clock.now(), error=type(exc).__name__
            )
        raise
    PrintBatch.objects.filter(pk=batch_id).update(
        status=RunStatus.DONE, finished_at=moment, pdf=pdf
    )
    batch.refresh_from_db()
    return batch


def print_batch_posted(*, batch: PrintBatch, actor: User, now: dt.datetime | None = None) -> int:
    """Record that the batch's letters went in the post. Returns how many were marked."""
    moment = now or clock.now()
    with transaction.atomic():
        locked = PrintBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != RunStatus.DONE:
            raise PostingRefused("The batch is not ready to print yet.")
        if locked.posted_at is not None:
            raise PostingRefused("This batch was already marked as posted.")
        PrintBatch.objects.filter(pk=locked.pk).update(posted_at=moment, posted_by=actor)
        return LetterToPost.objects.filter(batch=locked, posted_at__isnull=True).update(
            posted_at=moment, posted_by=actor
        )
