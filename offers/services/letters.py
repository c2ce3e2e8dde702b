"""Rendering decision letters (HTML and PDF): ahead of offer day, and for each amended release.

What a letter must say comes from the SEND Regulations 2014 (regs 5, 14, 32)
and the Code of Practice: the setting (or type of setting) named, why a
preference was not named, the right of appeal to the First-tier Tribunal (SEND)
and its time limits, that a placement-only appeal needs no mediation
certificate, and where to get mediation and independent advice.

A letter is fixed by what it says: the decision (or "no decision yet"), the date printed on
it (the appeal deadline runs from it), and whether it tells the family their outcome has
changed. The current letter of a case is re-rendered whenever one of those moves (a changed
decision, offer day moved, a new template); a release points at the letter it published,
which is never changed afterwards.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string

from offers.models import Letter, LetterKind, Release
from offers.services.letter_spec import MAX_ADDRESS_LINES
from panels.models import FINAL_OUTCOMES, Decision
from panels.selectors import current_decision
from phasetransfer.cohort.selectors import primary_contact
from phasetransfer.core import clock
from phasetransfer.models import Case, CaseState, Contact, Round

# 2: letters carry their date and say when they replace an earlier one.
# 3: laid out to GOV.UK Notify's precompiled letter specification (the recipient's name and
#    address in the envelope window, nothing in the margins: offers/services/letter_spec.py).
TEMPLATE_VERSION = 3
# Final-decision states: the panel's decision is signed off.
APPROVED = (CaseState.OFFER_APPROVED, CaseState.RELEASED, CaseState.ACCEPTED, CaseState.APPEALED)


@dataclass(frozen=True)
class LetterSpec:
    """What a letter says: the letter for a release must match it exactly."""

    decision: Decision | None
    dated: dt.date
    amended: bool = False
    replaces: dt.date | None = None  # the date of the letter an amended one replaces

    @property
    def kind(self) -> str:
        return LetterKind.OFFER if self.decision is not None else LetterKind.NO_DECISION


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def final_decision(case: Case) -> Decision | None:
    """The case's current (not superseded) decision, if the panel has signed it off: what a
    release made now would publish."""
    if case.state not in APPROVED:
        return None
    decision = current_decision(case)
    if decision is None or not decision.is_final_placement:
        return None
    return decision


def offer_day_date(round_: Round) -> dt.date:
    """The date an offer-day letter carries: the day of the moment in London."""
    offer_day = round_.offer_day_at
    moment = offer_day if offer_day is not None else clock.now()
    return moment.astimezone(clock.LONDON).date()


def _unmet_preferences(case: Case, decision: Decision) -> list[dict[str, object]]:
    named = decision.setting_id
    return [
        {"rank": p.rank, "name": p.display_name}
        for p in case.preferences.select_related("setting").order_by("rank")
        if p.setting_id != named or p.setting_id is None
    ]


def no_decision_reason(case: Case) -> str:
    if case.state in (CaseState.IDENTIFIED, CaseState.INVITED, CaseState.PREFERENCES_RECEIVED):
        return "we are still gathering the information we need, including your preferences"
    if case.state == CaseState.CONSULTING:
        return (
            "we are still waiting for schools or colleges to tell us whether they can meet "
            "the needs set out in the plan"
        )
    return "the decision panel has not yet made a final decision"


def address_lines(contact: Contact | None) -> list[str]:
    """The lines printed in the envelope window: the contact's name, then the address.

    The address is one free-text field, typed with newlines or commas ("1 High Street,
    Maidstone"): each part is a line, and the postcode (a field of its own) the last one
    unless the address already ends with it. Notify refuses more than 7 lines, so the first
    parts are joined ("Flat 2, 14 Station Road") rather than any being lost.
    """
    if contact is None:
        return []
    parts = [part.strip() for part in re.split(r"[\r\n,]", contact.address) if part.strip()]
    postcode = contact.postcode.strip()
    if postcode and (not parts or _squashed(parts[-1]) != _squashed(postcode)):
        parts.append(postcode)
    while len(parts) > MAX_ADDRESS_LINES - 1:
        parts[0:2] = [f"{parts[0]}, {parts[1]}"]
    return [line for line in (contact.name.strip(), *parts) if line]


def _squashed(text: str) -> str:
    return "".join(text.split()).upper()


def letter_context(case: Case, spec: LetterSpec) -> dict[str, object]:
    contact = primary_contact(case)
    context: dict[str, object] = {
        "case": case,
        "child": case.child,
        "round": case.round,
        "contact": contact,
        "address_lines": address_lines(contact),
        "dated": spec.dated,
        "amended": spec.amended,
        "replaces": spec.replaces,
        "deadline": case.round.statutory_deadline,
        "local_authority_name": settings.LOCAL_AUTHORITY_NAME,
        "mediation_contact": settings.MEDIATION_CONTACT,
        "advice_contact": settings.ADVICE_CONTACT,
        "appeal_by": add_months(spec.dated, 2),
        "template_version": TEMPLATE_VERSION,
    }
    decision = spec.decision
    if decision is not None:
        first = case.preferences.order_by("rank").first()
        context.update(
            decision=decision,
            named_first_preference=first is not None and first.setting_id == decision.setting_id,
            unmet=_unmet_preferences(case, decision),
        )
    else:
        context["why"] = no_decision_reason(case)
    return context


def render_html(case: Case, spec: LetterSpec) -> str:
    template = "offers/letter_offer.html" if spec.decision else "offers/letter_no_decision.html"
    return render_to_string(template, letter_context(case, spec))


def render_pdf(html: str) -> bytes:
    import weasyprint  # imported late: it is slow to import and only workers render

    return bytes(weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf())


def current_letters() -> QuerySet[Letter]:
    """Letters no newer render has superseded (at most one per case, by constraint)."""
    return Letter.objects.filter(superseded_at__isnull=True)


def _current(case: Case) -> Letter | None:
    return current_letters().filter(case=case).first()


def letter_is_current(letter: Letter | None, spec: LetterSpec) -> bool:
    if letter is None or letter.template_version != TEMPLATE_VERSION:
        return False
    if letter.dated != spec.dated or letter.amended != spec.amended:
        return False
    decision = spec.decision
    if decision is None:
        return letter.kind == LetterKind.NO_DECISION
    return letter.kind == LetterKind.OFFER and letter.decision_id == decision.pk


def letter_render(*, case: Case, spec: LetterSpec, now: dt.datetime | None = None) -> Letter:
    """Store the letter ``spec`` describes, unless the current one already says it.

    Safe to run twice and concurrently: the database allows one current letter per case.
    The PDF is rendered first, with no lock; storing it takes the case's row lock, as a
    release of the case does, so a render and a release of one case queue up rather than
    deadlock on each other's new letter.
    """
    moment = now or clock.now()
    existing = _current(case)
    if letter_is_current(existing, spec):
        assert existing is not None
        return existing
    html = render_html(case, spec)
    pdf = render_pdf(html)
    try:
        with transaction.atomic():
            Case.objects.select_for_update().filter(pk=case.pk).values_list("pk").first()
            existing = _current(case)  # again, under the lock: another may have stored it
            if letter_is_current(existing, spec):
                assert existing is not None
                return existing
            if existing is not None:
                Letter.objects.filter(pk=existing.pk, superseded_at__isnull=True).update(
                    superseded_at=moment
                )
            return Letter.objects.create(
                case=case,
                kind=spec.kind,
                decision=spec.decision,
                template_version=TEMPLATE_VERSION,
                dated=spec.dated,
                amended=spec.amended,
                html=html,
                pdf=pdf,
                sha256=hashlib.sha256(pdf).hexdigest(),
                rendered_at=moment,
            )
    except IntegrityError:
        # Someone rendered it at the same moment; theirs stands if it says the same.
        current = _current(case)
        assert current is not None
        return current


def offer_day_spec(case: Case) -> LetterSpec:
    """The letter the case's offer-day release would publish if it happened now."""
    return LetterSpec(decision=final_decision(case), dated=offer_day_date(case.round))


def cases_needing_letters(round_id: int) -> list[int]:
    """Cases of the round not yet told on offer day whose letter is missing or out of date.

    Amended releases render their own letters (dated the day they are issued).
    """
    round_ = Round.objects.get(pk=round_id)
    dated = offer_day_date(round_)
    cases = (
        Case.objects.filter(round=round_)
        .exclude(state=CaseState.WITHDRAWN)
        .exclude(pk__in=Release.objects.filter(round=round_, number=1).values("case_id"))
    )
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
        if not letter_is_current(current.get(case_id), LetterSpec(decision, dated)):
            due.append(case_id)
    return due
