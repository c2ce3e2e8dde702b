"""A small round with a case at each stage, for the API and co-ordination tests."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from offers.models import FamilyResponse, Letter, LetterKind, Release
from panels.models import PanelCase
from phasetransfer.core.clock import LONDON
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, CaseState, Consultation, Round, User
from tests.factories import CaseFactory, RoundFactory, SettingFactory, UserFactory
from tests.offers.support import OFFER_DAY, decided_case, session_for
from tests.panels.factories import proposed_case

BEFORE_OFFER_DAY = dt.datetime(2027, 1, 5, 12, 0, tzinfo=LONDON)
AFTER_OFFER_DAY = OFFER_DAY + dt.timedelta(days=3)


@dataclass
class World:
    round: Round
    caseworker: User
    identified: Case
    consulting: Case
    at_panel: Case
    approved: Case
    released: Case
    appealed: Case


def _release(case: Case, *, answer: str | None = None) -> None:
    letter = case.letters.first() or Letter.objects.create(
        case=case,
        kind=LetterKind.OFFER,
        decision=case.decisions.first(),
        template_version=1,
        html="<p>letter</p>",
        pdf=b"%PDF-1.7 letter",
        sha256=hashlib.sha256(b"%PDF-1.7 letter").hexdigest(),
        rendered_at=OFFER_DAY - dt.timedelta(days=2),
    )
    Release.objects.create(
        case=case,
        round=case.round,
        released_at=OFFER_DAY,
        dispatched_at=OFFER_DAY,
        completed_at=OFFER_DAY,
        kind=letter.kind,
    )
    state = CaseState.RELEASED
    if answer is not None:
        FamilyResponse.objects.create(
            case=case,
            answer=answer,
            wants_independent=answer != "accept",
            comments="Personal words that must never leave through the API.",
            responded_by=UserFactory(roles=[Role.PARENT]),
            responded_at=OFFER_DAY + dt.timedelta(days=1),
        )
        state = CaseState.ACCEPTED if answer == "accept" else CaseState.APPEALED
    Case.objects.filter(pk=case.pk).update(state=state)


def world_for_api() -> World:
    round_ = RoundFactory()
    worker = UserFactory(email="cw-world@example.org", roles=[Role.CASEWORKER])
    identified = CaseFactory(round=round_, caseworker=worker, send_area="North", district="ME15")
    consulting = CaseFactory(round=round_, send_area="West", district="CT1")
    Case.objects.filter(pk=consulting.pk).update(state=CaseState.CONSULTING)
    Consultation.objects.create(
        case=consulting,
        setting=SettingFactory(),
        sent_at=dt.datetime(2026, 12, 14, 10, tzinfo=LONDON),
        due_at=dt.datetime(2026, 12, 30, 0, tzinfo=LONDON),
    )
    at_panel = proposed_case(
        round_, area="West", preferences=(SettingFactory(),), state=CaseState.AT_PANEL
    )
    PanelCase.objects.create(
        session=session_for(round_),
        case=at_panel,
        proposal=at_panel.proposals.first(),
        scheduled_at=dt.datetime(2026, 12, 20, 9, tzinfo=LONDON),
    )
    approved = decided_case(round_)
    released = decided_case(round_)
    _release(released, answer="accept")
    appealed = decided_case(round_)
    _release(appealed, answer="appeal")
    return World(
        round=round_,
        caseworker=worker,
        identified=identified,
        consulting=consulting,
        at_panel=at_panel,
        approved=approved,
        released=released,
        appealed=appealed,
    )
