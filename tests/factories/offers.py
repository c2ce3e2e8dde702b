"""Cases at the end of the pipeline, built directly: decided, released, and many at once."""

from __future__ import annotations

import datetime as dt
import hashlib

from offers.models import FamilyResponse, Letter, LetterKind, Release
from offers.services.letters import TEMPLATE_VERSION
from panels.models import Decision, Outcome, PanelCase, PanelSession
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, CaseState, Child, Contact, Preference, Round, Setting
from tests.factories.common import ContactFactory, SettingFactory, UserFactory
from tests.factories.panels import chair, session_for
from tests.moments import OFFER_DAY

# When decided_case()'s panel decided (in the session of session_for()), and when the
# letters of released() were rendered ahead of the day.
DECIDED_AT = OFFER_DAY - dt.timedelta(days=20)
LETTERS_RENDERED_AT = OFFER_DAY - dt.timedelta(days=2)


def decided_case(
    round_: Round,
    *,
    setting: Setting | None = None,
    preferred: Setting | None = None,
    ground: str = "",
    email: str | None = None,
    **contact_fields: object,
) -> Case:
    """A case whose panel decision is signed off (OFFER_APPROVED), with one contact.

    ``contact_fields`` go to ContactFactory (``case__child__unmistakable=True``...).
    """
    kwargs: dict[str, object] = {"case__round": round_, **contact_fields}
    if email is not None:
        kwargs["email"] = email
        kwargs["address"] = "1 High Street, Maidstone"  # a family without email gets post
    contact = ContactFactory(**kwargs)
    case = contact.case
    named = setting or SettingFactory()
    Preference.objects.create(case=case, rank=1, setting=preferred or named)
    outcome = Outcome.AGREE if preferred is None else Outcome.OTHER_SETTING
    Decision.objects.create(
        case=case,
        session=session_for(round_),
        outcome=outcome,
        setting=named,
        ground=ground,
        reasons="The panel considered the consultation responses.",
        decided_by=chair(),
        decided_at=DECIDED_AT,
    )
    Case.objects.filter(pk=case.pk).update(state=CaseState.OFFER_APPROVED)
    case.refresh_from_db()
    return case


def undecided_case(
    round_: Round, state: str = CaseState.CONSULTING, **contact_fields: object
) -> Case:
    """A case with one contact, still in ``state`` (no decision)."""
    case = ContactFactory(case__round=round_, **contact_fields).case
    Case.objects.filter(pk=case.pk).update(state=state)
    case.refresh_from_db()
    return case


def released(case: Case, *, answer: str | None = None) -> None:
    """Release a decided case at OFFER_DAY with its letter; ``answer``: the family's reply."""
    pdf = b"%PDF-1.7 letter"
    letter = case.letters.first() or Letter.objects.create(
        case=case,
        kind=LetterKind.OFFER,
        decision=case.decisions.first(),
        template_version=TEMPLATE_VERSION,
        dated=OFFER_DAY.date(),
        html="<p>letter</p>",
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        rendered_at=LETTERS_RENDERED_AT,
    )
    release = Release.objects.create(
        case=case,
        round=case.round,
        released_at=OFFER_DAY,
        dispatched_at=OFFER_DAY,
        completed_at=OFFER_DAY,
        kind=letter.kind,
        decision=letter.decision,
        letter=letter,
        letter_sha256=letter.sha256,
    )
    state = CaseState.RELEASED
    if answer is not None:
        FamilyResponse.objects.create(
            case=case,
            release=release,
            answer=answer,
            wants_independent=answer != "accept",
            comments="Personal words that must never leave through the API.",
            responded_by=UserFactory(roles=[Role.PARENT]),
            responded_at=OFFER_DAY + dt.timedelta(days=1),
        )
        state = CaseState.ACCEPTED if answer == "accept" else CaseState.APPEALED
    Case.objects.filter(pk=case.pk).update(state=state)


def bulk_round(round_: Round, *, decided: int, undecided: int) -> list[Case]:
    """Many cases quickly (bulk inserts): ``decided`` signed off, ``undecided`` still consulting."""
    school = SettingFactory(name="Bulk Academy")
    total = decided + undecided
    children = Child.objects.bulk_create(
        Child(
            first_name=f"Child{n}",
            last_name="Bulk",
            date_of_birth=dt.date(2015, 10, 1),
            ehcp_reference=f"BULK-{round_.pk}-{n:05d}",
            primary_need="ASD",
            home_postcode="ME15 6LX",
            home_latitude=51.26,
            home_longitude=0.53,
        )
        for n in range(total)
    )
    cases = Case.objects.bulk_create(
        Case(
            reference=f"B{round_.pk}-{n:05d}",
            child=child,
            round=round_,
            state=CaseState.OFFER_APPROVED if n < decided else CaseState.CONSULTING,
        )
        for n, child in enumerate(children)
    )
    Contact.objects.bulk_create(
        Contact(
            case=case,
            name=f"Parent {n}",
            relationship="parent",
            email=f"family{n:05d}@example.org",
            is_primary=True,
        )
        for n, case in enumerate(cases)
    )
    Preference.objects.bulk_create(
        Preference(case=case, rank=1, setting=school) for case in cases[:decided]
    )
    session, by = session_for(round_), chair()
    Decision.objects.bulk_create(
        Decision(
            case=case,
            session=session,
            outcome=Outcome.AGREE,
            setting=school,
            decided_by=by,
            decided_at=DECIDED_AT,
        )
        for case in cases[:decided]
    )
    return cases


def conditional_case(
    round_: Round,
    *,
    college: Setting | None = None,
    otherwise: Setting | None = None,
    condition: dict[str, object] | None = None,
    email: str | None = "family@example.org",
    **contact_fields: object,
) -> Case:
    """A post-16 case whose signed-off decision is a conditional offer (OFFER_APPROVED):
    ``college`` (Level 3) if ``condition`` is met (five GCSEs at 4 including English and
    maths unless said), otherwise ``otherwise`` (Level 2 at the same college unless said)."""
    from phasetransfer.core.conditions import Condition, Scale
    from phasetransfer.models import ConditionalHold

    kwargs: dict[str, object] = {"case__round": round_, **contact_fields}
    kwargs["email"] = email or ""
    kwargs["address"] = "1 High Street, Maidstone"
    contact = ContactFactory(**kwargs)
    case = contact.case
    named = college or SettingFactory(name="Test College")
    other = otherwise or named
    Preference.objects.create(case=case, rank=1, setting=named)
    session = session_for(round_)
    # Signed off: its placement in the session stays (a later change is made there).
    PanelCase.objects.create(session=session, case=case, scheduled_at=DECIDED_AT)
    PanelSession.objects.filter(pk=session.pk, signed_off_at=None).update(
        signed_off_at=DECIDED_AT, signed_off_by=chair()
    )
    decision = Decision.objects.create(
        case=case,
        session=session,
        outcome=Outcome.CONDITIONAL,
        setting=named,
        programme="Level 3 Extended Diploma in IT",
        condition=condition
        or Condition(
            scale=Scale.GCSE, count=5, min_grade="4", including=("English", "maths")
        ).to_json(),
        otherwise_setting=other,
        otherwise_programme="Level 2 Diploma in IT",
        reasons="Both courses meet the need; results decide which.",
        decided_by=chair(),
        decided_at=DECIDED_AT,
    )
    ConditionalHold.objects.create(
        case=case, met_setting=named, otherwise_setting=other, likely_met=decision.likely_met
    )
    Case.objects.filter(pk=case.pk).update(state=CaseState.OFFER_APPROVED)
    case.refresh_from_db()
    return case
