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

from offers.models import Letter, LetterKind, ProviderConfirmation, Release
from offers.services.letter_spec import MAX_ADDRESS_LINES
from panels.models import FINAL_OUTCOMES, Decision, Settled
from panels.selectors import current_decision
from phasetransfer.cohort.selectors import primary_contact
from phasetransfer.core import clock
from phasetransfer.core.conditions import Condition, Scale
from phasetransfer.models import (
    Case,
    CaseState,
    Contact,
    ContactRelationship,
    Round,
    Setting,
)

# 2: letters carry their date and say when they replace an earlier one.
# 3: laid out to GOV.UK Notify's precompiled letter specification (the recipient's name and
#    address in the envelope window, nothing in the margins: offers/services/letter_spec.py).
# 4: post-16 conditional offers (both branches and the condition in words, how the offer will
#    be settled, the letter settling one) and the programme of any offer naming one. Bumping
#    re-renders only letters not yet published: cases_needing_letters skips every case whose
#    offer-day release exists, and a release keeps the letter it published. A letter of a
#    conditional offer rendered before this version would not state its condition.
TEMPLATE_VERSION = 4
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
    """The preferences the decision does not name for certain. A conditional offer whose
    branches are different settings names each of them only if its branch is taken
    (``only``: "met" or "not_met")."""
    branches = {decision.setting_id: "met"}
    if decision.is_conditional and decision.otherwise_setting_id != decision.setting_id:
        branches[decision.otherwise_setting_id] = "not_met"
    unmet: list[dict[str, object]] = []
    for p in case.preferences.select_related("setting").order_by("rank"):
        if p.setting_id is None or p.setting_id not in branches:
            unmet.append({"rank": p.rank, "name": p.display_name, "only": ""})
        elif len(branches) > 1:
            unmet.append({"rank": p.rank, "name": p.display_name, "only": branches[p.setting_id]})
    return unmet


def _names_first_preference(case: Case, decision: Decision) -> bool:
    """Is the family's first preference named whatever happens (in every branch)?"""
    first = case.preferences.order_by("rank").first()
    if first is None or first.setting_id != decision.setting_id:
        return False
    return not decision.is_conditional or first.setting_id == decision.otherwise_setting_id


# --- What an offer names, in the words the letter and the family's page both use -------------


@dataclass(frozen=True)
class Placement:
    """A setting named, and the course or programme there (post-16), if the panel gave one."""

    name: str
    town: str = ""
    programme: str = ""

    @property
    def where(self) -> str:
        return f"{self.name}, {self.town}" if self.town else self.name

    def __str__(self) -> str:
        return f"{self.programme} at {self.where}" if self.programme else self.where


def _placement(setting: Setting | None, programme: str) -> Placement | None:
    if setting is None:
        return None
    return Placement(setting.name, setting.town.strip(), programme.strip())


@dataclass(frozen=True)
class OfferTerms:
    """What a decision offers: the placement, and for a conditional offer the other branch,
    the condition and how it will be settled; for the decision that settled one, which
    branch was taken and why."""

    placement: Placement | None  # None: a type of setting only; conditional: if met
    otherwise: Placement | None = None  # a conditional offer's placement if not met
    condition: str = ""  # the condition in words (of the offer, or of the offer settled)
    settles_when: str = ""  # a conditional offer: when and how it will be settled
    settled: str = ""  # Settled.MET / NOT_MET: this decision settled a conditional offer
    settled_because: str = ""  # "your results meet the entry requirements"
    settled_reason: str = ""  # the settlement's own words ("5 passes, 5 needed")
    settled_offer: OfferTerms | None = None  # the conditional offer this one settled

    @property
    def conditional(self) -> bool:
        return self.otherwise is not None


# Condition.describe() speaks to the young person ("if you get ..."); a parent or carer
# reads about them by name.
_YOU_TO_THEM = (("you get ", "{} gets "), ("you pass ", "{} passes "), ("you meet ", "{} meets "))


def condition_words(condition: Condition, about: str | None = None) -> str:
    """The condition in plain English, to the young person, or about them by first name
    ("if Zara gets 5 GCSEs ...") when ``about`` is given."""
    words = condition.describe()
    if about:
        for you, them in _YOU_TO_THEM:
            words = words.replace(you, them.format(about))
    return words


def _whose(about: str | None) -> str:
    return f"{about}'s" if about else "your"


def _settles_when(condition: Condition, round_: Round, about: str | None) -> str:
    if condition.provider_confirms:
        return "when the college or sixth form confirms it"
    results_day = round_.results_day
    if results_day is not None:
        day = f"on results day, {results_day.day} {results_day:%B %Y}"
    elif condition.scale == Scale.GCSE:
        day = "usually on GCSE results day in August"
    else:
        day = "usually in August"
    return (
        f"when {_whose(about)} results are known, {day}; "
        "the college or sixth form may confirm it instead"
    )


def _settled_because(decision: Decision, settled_offer: Decision | None, about: str | None) -> str:
    met = decision.settled == Settled.MET
    by_provider = (
        settled_offer is not None
        and ProviderConfirmation.objects.filter(decision=settled_offer).exists()
    )
    if by_provider:
        they = f"{about} meets" if about else "you meet"
        they_not = f"{about} does not meet" if about else "you do not meet"
        return (
            f"the college or sixth form has confirmed that {they} its entry requirements"
            if met
            else f"the college or sixth form has told us that {they_not} its entry requirements"
        )
    verb = "meet" if met else "do not meet"
    return f"{_whose(about)} results {verb} the entry requirements"


def offer_terms(decision: Decision, *, about: str | None = None) -> OfferTerms:
    """What ``decision`` offers, in words to the young person, or (``about``: their first
    name) to a parent or carer."""
    placement = _placement(decision.setting, decision.programme)
    if decision.is_conditional:
        condition = decision.the_condition()
        assert condition is not None  # the database refuses a conditional offer without one
        return OfferTerms(
            placement=placement,
            otherwise=_placement(decision.otherwise_setting, decision.otherwise_programme),
            condition=condition_words(condition, about),
            settles_when=_settles_when(condition, decision.case.round, about),
        )
    if decision.settled in (Settled.MET, Settled.NOT_MET):
        earlier = decision.supersedes
        settled_offer = earlier if earlier is not None and earlier.is_conditional else None
        condition = (settled_offer or decision).the_condition()
        return OfferTerms(
            placement=placement,
            condition=condition_words(condition, about) if condition else "",
            settled_offer=offer_terms(settled_offer, about=about) if settled_offer else None,
            settled=decision.settled,
            settled_because=_settled_because(decision, settled_offer, about),
            # Quoted in brackets mid-sentence: without its own full stop.
            settled_reason=decision.change_reason.strip().rstrip("."),
        )
    return OfferTerms(placement=placement)


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
        to_young_person = contact is not None and contact.relationship == (
            ContactRelationship.YOUNG_PERSON
        )
        context.update(
            decision=decision,
            terms=offer_terms(decision, about=None if to_young_person else case.child.first_name),
            to_young_person=to_young_person,
            named_first_preference=_names_first_preference(case, decision),
            unmet=_unmet_preferences(case, decision),
        )
    else:
        context["why"] = no_decision_reason(case)
    return context


def render_html(case: Case, spec: LetterSpec) -> str:
    if spec.decision is None:
        template = "offers/letter_no_decision.html"
    elif spec.decision.is_conditional:
        template = "offers/letter_conditional.html"
    else:
        template = "offers/letter_offer.html"
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
