"""Panels: sessions and members, cases made ready for scheduling, at panel, decided, signed off."""

from __future__ import annotations

import datetime as dt

import factory

from panels.models import Outcome, PanelCase, PanelMember, PanelSession
from panels.services.decisions import DecisionInput, decision_record, session_sign_off
from panels.services.scheduling import panels_schedule
from phasetransfer.core.roles import Role
from phasetransfer.models import (
    AllocationRun,
    Case,
    CaseState,
    Preference,
    Proposal,
    Round,
    RunStatus,
    Setting,
    User,
)
from tests.factories.common import (
    CaseFactory,
    RoundFactory,
    SettingFactory,
    SettingPlacesFactory,
    UserFactory,
)
from tests.moments import BEFORE_PANELS, DECIDING_PANEL_SITS, PANEL_HAS_SAT, PANEL_SITS


class PanelSessionFactory(factory.django.DjangoModelFactory):
    """Sessions one a day from PANEL_SITS, all before the round's last panel day."""

    class Meta:
        model = PanelSession

    round = factory.SubFactory(RoundFactory)
    send_area = "North"
    starts_at = factory.Sequence(lambda n: PANEL_SITS + dt.timedelta(days=n % 20))
    place = "Sessions House, Maidstone"
    chair = factory.SubFactory(UserFactory, roles=[Role.PANEL_CHAIR])
    case_limit = 40


class PanelMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PanelMember

    session = factory.SubFactory(PanelSessionFactory)
    user = factory.SubFactory(UserFactory, roles=[Role.PANEL_MEMBER])
    school = None
    role_title = "SENCO"


def chair() -> User:
    """The one panel chair, chair@example.org (made on first use)."""
    found = User.objects.filter(email="chair@example.org").first()
    return found or UserFactory(email="chair@example.org", roles=[Role.PANEL_CHAIR])


def session_for(round_: Round) -> PanelSession:
    """The round's West session, sitting at DECIDING_PANEL_SITS (made on first use)."""
    return PanelSession.objects.get_or_create(
        round=round_,
        send_area="West",
        defaults={
            "starts_at": DECIDING_PANEL_SITS,
            "place": "Sessions House, Maidstone",
            "chair": chair(),
        },
    )[0]


def done_run(round_: Round) -> AllocationRun:
    """The round's latest finished allocation run (made if there is none)."""
    run = AllocationRun.objects.filter(round=round_, status=RunStatus.DONE).first()
    if run is None:
        run = AllocationRun.objects.create(
            round=round_,
            status=RunStatus.DONE,
            requested_at=BEFORE_PANELS,
            finished_at=BEFORE_PANELS,
            policy={"band_mainstream": 0, "band_special": 40, "band_independent": 250},
        )
    return run


def proposed_case(
    round_: Round,
    *,
    area: str = "North",
    proposal: Setting | None = None,
    preferences: tuple[Setting, ...] = (),
    rank: int | None = None,
    state: str = CaseState.PROPOSED,
    **case_fields: object,
) -> Case:
    """A case with preferences and a proposal in the latest run, in ``state``."""
    case = CaseFactory(round=round_, send_area=area, **case_fields)
    for number, setting in enumerate(preferences, start=1):
        Preference.objects.create(
            case=case, rank=number, setting=setting, reasons=f"Reason {number} for {setting}"
        )
    if proposal is not None or preferences:
        named = proposal or preferences[0]
        found = next((i for i, s in enumerate(preferences, start=1) if s == named), None)
        Proposal.objects.create(
            run=done_run(round_),
            case=case,
            setting=named,
            preference_rank=rank if rank is not None else found,
            is_fallback=found is None,
            distance_km=3.2,
            reasons=[{"rank": 1, "text": "Higher preference had no places left.", "code": "full"}]
            if found != 1
            else [],
        )
    Case.objects.filter(pk=case.pk).update(state=state)
    case.refresh_from_db()
    return case


def at_panel(
    round_: Round,
    *,
    session: PanelSession | None = None,
    preferences: tuple[Setting, ...] | None = None,
    proposal: Setting | None = None,
    places: int = 5,
) -> PanelCase:
    """A case scheduled (by the scheduler) into ``session``; its settings have places."""
    session = session or PanelSessionFactory(round=round_, starts_at=PANEL_SITS)
    preferences = preferences if preferences is not None else (SettingFactory(),)
    for setting in {*preferences, *([proposal] if proposal else [])}:
        if not setting.places.filter(round=round_).exists():
            SettingPlacesFactory(round=round_, setting=setting, places=places)
    case = proposed_case(round_, preferences=preferences, proposal=proposal)
    panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
    return PanelCase.objects.select_related("session", "case", "proposal__setting").get(
        case=case, removed_at=None
    )


def agree(panel_case: PanelCase) -> None:
    """The chair agrees the proposal, once the panel has sat."""
    decision_record(
        panel_case=panel_case,
        data=DecisionInput(outcome=Outcome.AGREE),
        actor=panel_case.session.chair,
        now=PANEL_HAS_SAT,
    )


def signed_off(panel_case: PanelCase) -> PanelSession:
    """Agreed, and its session signed off by the chair."""
    agree(panel_case)
    session_sign_off(session=panel_case.session, actor=panel_case.session.chair, now=PANEL_HAS_SAT)
    panel_case.session.refresh_from_db()
    return panel_case.session
