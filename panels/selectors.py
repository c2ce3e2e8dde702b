"""Read queries for panels. What each role may see of a session is decided here.

* Caseworkers and administrators see every session and every case in it.
* A chair sees the sessions they chair, with all their cases.
* A member sees the sessions they sit on, minus the cases they are recused from.

Anything else is "not found", so a member cannot learn which cases another panel has.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from panels.models import (
    FINAL_OUTCOMES,
    NAMING_OUTCOMES,
    Decision,
    Ground,
    PanelCase,
    PanelMember,
    PanelSession,
    PanelSettings,
    Recusal,
)
from phasetransfer.allocation import codes
from phasetransfer.allocation.reservation import conditional_reserved
from phasetransfer.consultations.selectors import entry_requirements_in_words, programmes_offered
from phasetransfer.core import clock
from phasetransfer.core.roles import Role, has_role
from phasetransfer.models import Case, CaseState, Proposal, Round, Setting, SettingPlaces, User

SEES_ALL = (Role.CASEWORKER, Role.ADMINISTRATOR)


def sees_all(user: User) -> bool:
    return has_role(user, *SEES_ALL)


def sessions_for_user(user: User) -> QuerySet[PanelSession]:
    sessions = PanelSession.objects.select_related("round", "chair")
    if sees_all(user):
        return sessions
    return sessions.filter(Q(chair=user) | Q(members__user=user)).distinct()


def session_for_user(user: User, session_id: int) -> PanelSession:
    session = sessions_for_user(user).filter(pk=session_id).first()
    if session is None:
        raise Http404("No such panel session")
    return session


def seat_of(user: User, session: PanelSession) -> PanelMember | None:
    return PanelMember.objects.filter(session=session, user=user).first()


def is_chair(user: User, session: PanelSession) -> bool:
    return session.chair_id == user.pk


def panel_cases_for_user(user: User, session: PanelSession) -> QuerySet[PanelCase]:
    """The session's live cases that ``user`` may read."""
    live = PanelCase.objects.filter(session=session, removed_at=None)
    if sees_all(user) or is_chair(user, session):
        return live
    member = seat_of(user, session)
    if member is None:
        return live.none()
    return live.exclude(recusals__member=member)


def panel_case_for_user(user: User, session: PanelSession, case_id: int) -> PanelCase:
    found = panel_cases_for_user(user, session).filter(case_id=case_id).first()
    if found is None:
        raise Http404("No such case in this session")
    return found


def decisions_for_user(user: User, session: PanelSession) -> QuerySet[Decision]:
    """Every decision the session made (superseded ones too) that ``user`` may read."""
    decisions = Decision.objects.filter(session=session)
    if sees_all(user) or is_chair(user, session):
        return decisions
    member = seat_of(user, session)
    if member is None:
        return decisions.none()
    recused = Recusal.objects.filter(member=member).values("panel_case__case_id")
    return decisions.exclude(case_id__in=recused)


def decisions_for_round(round_: Round) -> dict[int, Decision]:
    """case id -> the case's latest decision not superseded, for every decided case."""
    latest: dict[int, Decision] = {}
    for decision in (
        Decision.objects.filter(case__round=round_, superseded_by__isnull=True)
        .select_related("setting", "session")
        .order_by("case_id", "decided_at", "id")
    ):
        latest[decision.case_id] = decision
    return latest


@dataclass(frozen=True)
class PlacesLeft:
    setting: Setting
    places: int | None  # None: no places recorded for the round
    decided: int  # latest decisions naming it (agree or another setting), signed off or not
    at_panel: int  # cases at a panel, not yet decided, whose proposal is this setting
    # places held here for conditional offers, by the round's rule (both branches, or the
    # likely one with a margin: phasetransfer.allocation.reservation)
    conditional: int = 0

    @property
    def left(self) -> int:
        return (self.places or 0) - self.decided - self.at_panel - self.conditional

    @property
    def over_if_named(self) -> bool:
        return self.left < 1


def places_left(*, round_: Round, setting: Setting, exclude_case: Case | None = None) -> PlacesLeft:
    """Places left in ``setting`` this round if one more child were named there.

    Counted against the places recorded for the round: every case whose latest decision
    names the setting (withdrawn cases do not count), and every case at a panel but not
    yet decided whose proposal is the setting; and the places held for conditional offers
    by the round's rule, as the allocation model holds them. Cases still only proposed
    are not counted: their proposals change with each allocation run. ``exclude_case`` is
    the case being decided, so its own proposal or earlier decision is not counted twice.
    """
    row = SettingPlaces.objects.filter(round=round_, setting=setting).first()
    skip = exclude_case.pk if exclude_case else None
    naming = Decision.objects.filter(
        case__round=round_, superseded_by__isnull=True, outcome__in=NAMING_OUTCOMES, setting=setting
    ).exclude(case__state=CaseState.WITHDRAWN)
    latest: dict[int, Decision] = {}
    for decision in Decision.objects.filter(
        case_id__in=naming.values("case_id"), superseded_by__isnull=True
    ).order_by("case_id", "decided_at", "id"):
        latest[decision.case_id] = decision
    decided = sum(
        1
        for case_id, decision in latest.items()
        if decision.outcome in NAMING_OUTCOMES
        and decision.setting_id == setting.pk
        and case_id != skip
    )
    at_panel = PanelCase.objects.filter(
        session__round=round_,
        removed_at=None,
        case__state=CaseState.AT_PANEL,
        proposal__setting=setting,
    )
    if exclude_case is not None:
        at_panel = at_panel.exclude(case=exclude_case)
    # A case whose current decision is conditional holds places by the reservation only.
    at_panel = at_panel.exclude(case__conditional_hold__isnull=False)
    conditional = conditional_reserved(round_, exclude_case=exclude_case)[setting.pk]
    return PlacesLeft(setting, row.places if row else None, decided, at_panel.count(), conditional)


def current_decision(case: Case, session: PanelSession | None = None) -> Decision | None:
    """The case's latest decision that no other has superseded (in ``session``, if given)."""
    decisions = Decision.objects.filter(case=case, superseded_by__isnull=True)
    if session is not None:
        decisions = decisions.filter(session=session)
    return decisions.select_related("setting", "session").order_by("-decided_at", "-id").first()


def panel_settings_for(round_: Round) -> PanelSettings:
    """The round's panel settings; until someone saves them, the defaults (not saved: a read)."""
    return PanelSettings.objects.filter(round=round_).first() or PanelSettings(round=round_)


def last_panel_day(round_: Round, approval_days: int | None = None) -> dt.date:
    """The last London day a panel may sit and still leave ``approval_days`` before offer day.

    Without an offer day the statutory deadline stands in for it.
    """
    days = panel_settings_for(round_).approval_days if approval_days is None else approval_days
    if round_.offer_day_at is not None:
        anchor = round_.offer_day_at.astimezone(clock.LONDON).date()
    else:
        anchor = round_.statutory_deadline
    return anchor - dt.timedelta(days=days)


def scheduling_cutoff(round_: Round, approval_days: int | None = None) -> dt.datetime:
    """Sessions must start before this instant (the end of the last panel day, London)."""
    return clock.end_of_day_in_london(last_panel_day(round_, approval_days))


def live_count(session: PanelSession) -> int:
    return PanelCase.objects.filter(session=session, removed_at=None).count()


def settings_hosts_and_names(
    setting_ids: set[int],
) -> tuple[dict[int, int | None], dict[int, str]]:
    """The host site and the name of each setting, as ``conflict_reason`` wants them."""
    rows = Setting.objects.filter(pk__in=setting_ids).values_list("pk", "host_id", "name")
    return {pk: host for pk, host, _ in rows}, {pk: name for pk, _, name in rows}


@dataclass(frozen=True)
class SignOffReadiness:
    decided: list[int]  # case ids a sign-off approves
    waiting: int  # cases still without a decision: the session cannot be signed off


def sign_off_readiness(session: PanelSession) -> SignOffReadiness:
    """Which of the session's cases a sign-off would approve, and how many still wait.

    A case the family was told had no decision yet (offer day came first) counts as decided
    if this session has a final decision for it, else as waiting, like one at panel.
    """
    live = PanelCase.objects.filter(session=session, removed_at=None)
    told_none = set(
        live.filter(case__state=CaseState.NO_DECISION_YET).values_list("case_id", flat=True)
    )
    decided_here = set(
        Decision.objects.filter(
            session=session,
            case_id__in=told_none,
            superseded_by__isnull=True,
            outcome__in=FINAL_OUTCOMES,
        ).values_list("case_id", flat=True)
    )
    decided = list(live.filter(case__state=CaseState.DECIDED).values_list("case_id", flat=True))
    at_panel = live.filter(case__state=CaseState.AT_PANEL).count()
    return SignOffReadiness(
        decided=decided + sorted(decided_here), waiting=at_panel + len(told_none - decided_here)
    )


def setting_options(panel_case: PanelCase) -> list[tuple[str, str]]:
    """The settings a chair chooses from for this case, as (URN, label): the family's
    preferences in their order, then the proposal if it is not one of them, each with the
    distance from home in miles as the family sees it."""
    from phasetransfer.preferences.nearest import distance_to

    case = panel_case.case
    options: list[tuple[str, str]] = []
    seen: set[int] = set()

    def add(setting: Setting, what: str) -> None:
        if setting.pk in seen:
            return
        seen.add(setting.pk)
        near = distance_to(case, setting)
        miles = f", {near.miles:.1f} miles" if near is not None else ""
        options.append((str(setting.urn), f"{what}: {setting.name}{miles}"))

    for preference in case.preferences.select_related("setting").order_by("rank"):
        if preference.setting is not None:
            add(preference.setting, f"Preference {preference.rank}")
    proposal = panel_case.proposal
    if proposal is not None and proposal.setting is not None:
        add(proposal.setting, "The proposal")
    return options


# Which s39(4) ground the model's reason for passing over the first preference points to:
# a chair's starting point, which they change where the panel sees it otherwise. A setting
# that said on consultation it cannot meet the need gave its own ground; a full setting
# could take this child only at the expense of the children it has placed (the efficient
# education of others); an independent place that fails the cost test is the efficient use
# of resources. Other reasons (not listed, wrong phase, no places recorded) suggest nothing.
GROUND_OF_REASON = {
    codes.FULL_CAME_FIRST: Ground.OTHERS,
    codes.FULL_PLACING_OTHERS: Ground.OTHERS,
    codes.COST_TEST: Ground.RESOURCES,
}


def suggested_ground(reasons: list[dict[str, Any]]) -> str:
    """The ground to start the decision form with, from the proposal's reasons; "" (none:
    the first preference is named) when the model passed over no first preference."""
    first = next((reason for reason in reasons if reason.get("rank") == 1), None)
    if first is None:
        return ""
    if first.get("grounds"):
        return str(first["grounds"][0])
    return str(GROUND_OF_REASON.get(first.get("code", ""), ""))


@dataclass(frozen=True)
class ProgrammeOffered:
    setting: Setting
    name: str
    requirements: str  # in words: the condition, or "Open entry"
    can_meet_need: bool


def programmes_of_case(case: Case) -> list[ProgrammeOffered]:
    """The programmes the case's post-16 providers gave in their consultation answers (its
    preferences' and its proposal's), for the chair to name one in a decision."""
    settings: list[Setting] = []
    for preference in case.preferences.select_related("setting").order_by("rank"):
        if preference.setting is not None and preference.setting not in settings:
            settings.append(preference.setting)
    proposal = (
        Proposal.objects.filter(case=case, setting__isnull=False)
        .select_related("setting")
        .order_by("-run__requested_at", "-run_id")
        .first()
    )
    if proposal is not None and proposal.setting is not None and proposal.setting not in settings:
        settings.append(proposal.setting)
    return [
        ProgrammeOffered(
            setting, programme.name, entry_requirements_in_words(programme), programme.can_meet_need
        )
        for setting in settings
        for programme in programmes_offered(case, setting)
    ]
