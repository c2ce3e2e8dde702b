"""Factories for panels, and a helper that makes a case ready for panel scheduling."""

from __future__ import annotations

import datetime as dt

import factory

from panels.models import PanelMember, PanelSession
from phasetransfer.core.clock import LONDON
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
)
from tests.factories import CaseFactory, RoundFactory, UserFactory

# The round factory's offer day is Friday 12 February 2027: with the default 5 approval
# days the last panel day is Sunday 7 February.
JAN = dt.datetime(2027, 1, 11, 10, 0, tzinfo=LONDON)
BEFORE = dt.datetime(2026, 12, 15, 9, 0, tzinfo=LONDON)  # "now" in most tests


class PanelSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PanelSession

    round = factory.SubFactory(RoundFactory)
    send_area = "North"
    starts_at = factory.Sequence(lambda n: JAN + dt.timedelta(days=n % 20))
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


def done_run(round_: Round) -> AllocationRun:
    """The round's latest finished allocation run (made if there is none)."""
    run = AllocationRun.objects.filter(round=round_, status=RunStatus.DONE).first()
    if run is None:
        run = AllocationRun.objects.create(
            round=round_,
            status=RunStatus.DONE,
            requested_at=BEFORE,
            finished_at=BEFORE,
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
