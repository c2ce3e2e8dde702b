"""After offer day, built directly: releases (amended ones too), appeals and mediations.

Shared by the co-ordination and API tests of the board and the round figures.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from offers.models import Appeal, Letter, LetterKind, Mediation, Release
from offers.services.letters import TEMPLATE_VERSION
from panels.models import Decision, Outcome, SettingType
from phasetransfer.coordination.providers import AppealResult, MediationResult
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, CaseState, Round, User
from tests.factories import SettingFactory, UserFactory
from tests.factories.offers import decided_case, released, undecided_case
from tests.factories.panels import chair, session_for
from tests.moments import OFFER_DAY


def _pdf(text: str) -> tuple[bytes, str]:
    pdf = f"%PDF-1.7 {text}".encode()
    return pdf, hashlib.sha256(pdf).hexdigest()


def told(round_: Round, *, type_only: bool = False) -> Case:
    """Release 1 on offer day: a setting named, or only a type of setting."""
    case = decided_case(round_)
    if type_only:
        Decision.objects.filter(case=case).update(
            outcome=Outcome.TYPE_ONLY, setting=None, setting_type=SettingType.SPECIAL
        )
    released(case)
    case.refresh_from_db()
    return case


def amend(case: Case, *, at: dt.datetime, names_setting: bool = True) -> Release:
    """A later, numbered release: the decision changed (a setting named, or a type only)."""
    old = Decision.objects.get(case=case, superseded_by__isnull=True)
    decision = Decision.objects.create(
        case=case,
        session=session_for(case.round),
        outcome=Outcome.OTHER_SETTING if names_setting else Outcome.TYPE_ONLY,
        setting=SettingFactory() if names_setting else None,
        setting_type="" if names_setting else SettingType.SPECIAL,
        decided_by=chair(),
        decided_at=at - dt.timedelta(days=1),
        supersedes=old,
        change_reason="Agreed at mediation",
    )
    Letter.objects.filter(case=case, superseded_at__isnull=True).update(superseded_at=at)
    pdf, sha = _pdf(f"amended {case.pk}")
    letter = Letter.objects.create(
        case=case,
        kind=LetterKind.OFFER,
        decision=decision,
        template_version=TEMPLATE_VERSION,
        dated=at.date(),
        amended=True,
        html="<p>amended</p>",
        pdf=pdf,
        sha256=sha,
        rendered_at=at,
    )
    number = Release.objects.filter(case=case).count() + 1
    return Release.objects.create(
        case=case,
        round=case.round,
        number=number,
        released_at=at,
        dispatched_at=at,
        completed_at=at,
        reason="Mediation agreed",
        kind=LetterKind.OFFER,
        decision=decision,
        letter=letter,
        letter_sha256=sha,
    )


def told_no_decision_yet(round_: Round) -> Case:
    case = undecided_case(round_, state=CaseState.NO_DECISION_YET)
    pdf, sha = _pdf(f"no decision {case.pk}")
    letter = Letter.objects.create(
        case=case,
        kind=LetterKind.NO_DECISION,
        template_version=TEMPLATE_VERSION,
        dated=OFFER_DAY.date(),
        html="<p>not yet</p>",
        pdf=pdf,
        sha256=sha,
        rendered_at=OFFER_DAY,
    )
    Release.objects.create(
        case=case,
        round=round_,
        released_at=OFFER_DAY,
        dispatched_at=OFFER_DAY,
        completed_at=OFFER_DAY,
        kind=LetterKind.NO_DECISION,
        letter=letter,
        letter_sha256=sha,
    )
    return case


def appeal_row(case: Case, by: User, outcome: str, *, independent: bool = False) -> Appeal:
    ordered = outcome in (AppealResult.CONCEDED, AppealResult.UPHELD)
    return Appeal.objects.create(
        case=case,
        tribunal_reference=f"EH886/27/{case.pk:05d}",
        lodged_on=dt.date(2027, 3, 1),
        independent_requested=independent,
        response_due_on=dt.date(2027, 4, 13),
        outcome=outcome,
        decided_on=None if outcome == AppealResult.PENDING else dt.date(2027, 6, 1),
        ordered_setting=SettingFactory() if ordered else None,
        order_due_on=dt.date(2027, 7, 6) if ordered else None,
        recorded_by=by,
    )


def mediation_row(case: Case, by: User, outcome: str) -> Mediation:
    ended = outcome != MediationResult.PENDING
    agreed = outcome in (MediationResult.AGREED, MediationResult.AWAITING_APPROVAL)
    return Mediation.objects.create(
        case=case,
        requested_on=dt.date(2027, 2, 20),
        ended_on=dt.date(2027, 3, 10) if ended else None,
        outcome=outcome,
        certificate_issued_on=(
            dt.date(2027, 3, 12) if outcome == MediationResult.NOT_AGREED else None
        ),
        agreed_setting=SettingFactory() if agreed else None,
        changed_decision=(
            Decision.objects.get(case=case) if outcome == MediationResult.AGREED else None
        ),
        recorded_by=by,
    )


def appeals_and_mediations(round_: Round) -> None:
    """8 cohort cases: 5 appeals (2 asking for an independent setting), 5 mediations (1
    changed the decision, 3 concluded); a withdrawn case's appeal and mediation."""
    by = UserFactory(roles=[Role.CASEWORKER])
    cases = [told(round_) for _ in range(8)]
    appeal_row(cases[0], by, AppealResult.DISMISSED, independent=True)
    appeal_row(cases[1], by, AppealResult.UPHELD)
    appeal_row(cases[2], by, AppealResult.CONCEDED, independent=True)
    appeal_row(cases[3], by, AppealResult.PENDING)
    appeal_row(cases[4], by, AppealResult.WITHDRAWN)
    mediation_row(cases[0], by, MediationResult.NOT_AGREED)
    mediation_row(cases[2], by, MediationResult.AGREED)
    mediation_row(cases[5], by, MediationResult.WITHDRAWN)
    mediation_row(cases[6], by, MediationResult.PENDING)
    mediation_row(cases[7], by, MediationResult.AWAITING_APPROVAL)
    gone = told(round_)
    appeal_row(gone, by, AppealResult.PENDING, independent=True)
    mediation_row(gone, by, MediationResult.AGREED)
    Case.objects.filter(pk=gone.pk).update(state=CaseState.WITHDRAWN)
