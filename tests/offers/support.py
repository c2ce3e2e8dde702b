"""Cases at the end of the pipeline, built directly for offer-day tests."""

from __future__ import annotations

import datetime as dt

from panels.models import Decision, Outcome, PanelSession
from phasetransfer.core.clock import LONDON
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, CaseState, Preference, Round, Setting, User
from tests.factories import ContactFactory, SettingFactory, UserFactory

OFFER_DAY = dt.datetime(2027, 2, 12, 16, 0, tzinfo=LONDON)
BEFORE = OFFER_DAY - dt.timedelta(seconds=1)
AFTER = OFFER_DAY + dt.timedelta(seconds=1)


def chair() -> User:
    found = User.objects.filter(email="chair@example.org").first()
    return found or UserFactory(email="chair@example.org", roles=[Role.PANEL_CHAIR])


def session_for(round_: Round) -> PanelSession:
    return PanelSession.objects.get_or_create(
        round=round_,
        send_area="West",
        defaults={
            "starts_at": dt.datetime(2027, 1, 20, 10, tzinfo=LONDON),
            "place": "Sessions House, Maidstone",
            "chair": chair(),
        },
    )[0]


def decided_case(
    round_: Round,
    *,
    setting: Setting | None = None,
    preferred: Setting | None = None,
    ground: str = "",
    email: str | None = None,
) -> Case:
    """A case whose panel decision is signed off (OFFER_APPROVED), with one contact."""
    kwargs = {"case__round": round_}
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
        decided_at=OFFER_DAY - dt.timedelta(days=20),
    )
    Case.objects.filter(pk=case.pk).update(state=CaseState.OFFER_APPROVED)
    case.refresh_from_db()
    return case


def undecided_case(round_: Round, state: str = CaseState.CONSULTING) -> Case:
    case = ContactFactory(case__round=round_).case
    Case.objects.filter(pk=case.pk).update(state=state)
    case.refresh_from_db()
    return case


def bulk_round(round_: Round, *, decided: int, undecided: int) -> list[Case]:
    """Many cases quickly (bulk inserts): ``decided`` signed off, ``undecided`` still consulting."""
    from phasetransfer.models import Child, Contact

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
            decided_at=OFFER_DAY - dt.timedelta(days=20),
        )
        for case in cases[:decided]
    )
    return cases
