"""Rendering decision letters (HTML and PDF), ahead of offer day where the decision is final.

What a letter must say comes from the SEND Regulations 2014 (regs 5, 14, 32)
and the Code of Practice: the setting (or type of setting) named, why a
preference was not named, the right of appeal to the First-tier Tribunal (SEND)
and its time limits, that a placement-only appeal needs no mediation
certificate, and where to get mediation and independent advice.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string

from offers.models import Letter, LetterKind
from panels.models import FINAL_OUTCOMES, Decision
from panels.selectors import current_decision
from phasetransfer.cohort.selectors import primary_contact
from phasetransfer.core import clock
from phasetransfer.models import Case, CaseState

TEMPLATE_VERSION = 1
# Final-decision states: the panel's decision is signed off.
APPROVED = (CaseState.OFFER_APPROVED, CaseState.RELEASED, CaseState.ACCEPTED, CaseState.APPEALED)


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def final_decision(case: Case) -> Decision | None:
    """The case's current (not superseded) decision, if the panel has signed it off."""
    if case.state not in APPROVED:
        return None
    decision = current_decision(case)
    if decision is None or not decision.is_final_placement:
        return None
    return decision


def letter_date(case: Case) -> dt.date:
    offer_day = case.round.offer_day_at
    moment = offer_day if offer_day is not None else clock.now()
    return moment.astimezone(clock.LONDON).date()


def _unmet_preferences(case: Case, decision: Decision) -> list[dict[str, object]]:
    named = decision.setting_id
    return [
        {"rank": p.rank, "name": p.display_name}
        for p in case.preferences.select_related("setting").order_by("rank")
        if p.setting_id != named or p.setting_id is None
    ]


def _no_decision_reason(case: Case) -> str:
    if case.state in (CaseState.IDENTIFIED, CaseState.INVITED, CaseState.PREFERENCES_RECEIVED):
        return "we are still gathering the information we need, including your preferences"
    if case.state == CaseState.CONSULTING:
        return (
            "we are still waiting for schools or colleges to tell us whether they can meet "
            "the needs set out in the plan"
        )
    return "the decision panel has not yet made a final decision"


def letter_context(case: Case, decision: Decision | None) -> dict[str, object]:
    dated = letter_date(case)
    contact = primary_contact(case)
    context: dict[str, object] = {
        "case": case,
        "child": case.child,
        "round": case.round,
        "contact": contact,
        "dated": dated,
        "deadline": case.round.statutory_deadline,
        "local_authority_name": settings.LOCAL_AUTHORITY_NAME,
        "mediation_contact": settings.MEDIATION_CONTACT,
        "advice_contact": settings.ADVICE_CONTACT,
        "appeal_by": add_months(dated, 2),
        "template_version": TEMPLATE_VERSION,
    }
    if decision is not None:
        first = case.preferences.order_by("rank").first()
        context.update(
            decision=decision,
            named_first_preference=first is not None and first.setting_id == decision.setting_id,
            unmet=_unmet_preferences(case, decision),
        )
    else:
        context["why"] = _no_decision_reason(case)
    return context


def render_html(case: Case, decision: Decision | None) -> str:
    template = "offers/letter_offer.html" if decision else "offers/letter_no_decision.html"
    return render_to_string(template, letter_context(case, decision))


def render_pdf(html: str) -> bytes:
    import weasyprint  # imported late: it is slow to import and only workers render

    return bytes(weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf())


def current_letters() -> QuerySet[Letter]:
    """Letters no newer render has superseded (at most one per case, by constraint)."""
    return Letter.objects.filter(superseded_at__isnull=True)


def _current(case: Case) -> Letter | None:
    return current_letters().filter(case=case).first()


def letter_ready(case: Case) -> bool:
    """Whether the family's letter can be downloaded; reads no letter content."""
    return current_letters().filter(case=case).exists()


def letter_pdf_bytes(case: Case) -> bytes | None:
    """The current letter's PDF, or None while it is being prepared; the HTML stays in
    the database (offer day opens every family's letter at once)."""
    pdf = current_letters().filter(case=case).values_list("pdf", flat=True).first()
    return None if pdf is None else bytes(pdf)


def letter_is_current(letter: Letter | None, decision: Decision | None) -> bool:
    if letter is None or letter.template_version != TEMPLATE_VERSION:
        return False
    if decision is None:
        return letter.kind == LetterKind.NO_DECISION
    return letter.kind == LetterKind.OFFER and letter.decision_id == decision.pk


def letter_render(*, case: Case, now: dt.datetime | None = None) -> Letter:
    """Store the letter the case needs now, unless the current one already says it.

    Safe to run twice and concurrently: the database allows one current letter per case.
    """
    moment = now or clock.now()
    decision = final_decision(case)
    existing = _current(case)
    if letter_is_current(existing, decision):
        assert existing is not None
        return existing
    html = render_html(case, decision)
    pdf = render_pdf(html)
    try:
        with transaction.atomic():
            if existing is not None:
                Letter.objects.filter(pk=existing.pk, superseded_at__isnull=True).update(
                    superseded_at=moment
                )
            return Letter.objects.create(
                case=case,
                kind=LetterKind.OFFER if decision else LetterKind.NO_DECISION,
                decision=decision,
                template_version=TEMPLATE_VERSION,
                html=html,
                pdf=pdf,
                sha256=hashlib.sha256(pdf).hexdigest(),
                rendered_at=moment,
            )
    except IntegrityError:
        # Someone rendered it at the same moment; theirs stands.
        current = _current(case)
        assert current is not None
        return current


def cases_needing_letters(round_id: int) -> list[int]:
    """Cases of the round whose current letter is missing or out of date."""
    from phasetransfer.models import Round

    round_ = Round.objects.get(pk=round_id)
    cases = Case.objects.filter(round=round_).exclude(state=CaseState.WITHDRAWN)
    current = {letter.case_id: letter for letter in current_letters().filter(case__round=round_)}
    decisions = {
        d.case_id: d
        for d in Decision.objects.filter(
            case__round=round_,
            superseded_by__isnull=True,
            outcome__in=FINAL_OUTCOMES,
        ).order_by("case_id", "decided_at", "id")
    }
    due = []
    for case_id, state in cases.values_list("pk", "state"):
        decision = decisions.get(case_id) if state in APPROVED else None
        if not letter_is_current(current.get(case_id), decision):
            due.append(case_id)
    return due
