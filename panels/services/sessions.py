"""Panel sessions and their members; recusals follow the members.

Sessions are set up by officers (chairs, caseworkers, administrators) one by one or
from a term's calendar (``panels.services.calendar``). A signed-off session is a record
and is not changed. Adding, removing or re-seating a member re-checks the conflicts of
interest of the session's undecided cases (``recusals_refresh``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from panels.conflicts import Interest, case_interests, conflict_reason
from panels.models import Decision, PanelCase, PanelMember, PanelSession, Recusal
from panels.selectors import live_count, settings_hosts_and_names
from phasetransfer.core import clock, geo
from phasetransfer.core.audit import audit_record
from phasetransfer.core.roles import FAMILY_ROLES, Role, grant_role, has_role
from phasetransfer.core.workdays import is_working_day
from phasetransfer.models import CaseState, Phase, Preference, Round, Setting, User

SEATED_ROLES = (Role.PANEL_MEMBER, Role.PANEL_CHAIR, Role.CASEWORKER, Role.ADMINISTRATOR)
LIMIT_RANGE = (1, 200)  # the database's panel_case_limit_range


class SessionRefused(Exception):
    """A change to a session the rules do not allow; the message is shown to the user."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SessionDetails:
    send_area: str
    starts_at: dt.datetime
    place: str
    online_link: str
    chair: User
    case_limit: int
    # Panels sit on working days (England: not weekends, not bank holidays) unless the
    # officer or the calendar says this one is meant to be outside them.
    outside_working_days: bool = False


def area_canonical(value: str) -> str | None:
    """'north' -> 'North'; None if it is not one of the SEND areas."""
    wanted = value.strip().lower()
    return next((a for a in geo.send_areas() if a.lower() == wanted), None)


def check_details(details: SessionDetails) -> list[tuple[str, str]]:
    """Every problem with the details, as (field, message); empty when they are fine."""
    problems: list[tuple[str, str]] = []
    if details.send_area not in geo.send_areas():
        areas = ", ".join(geo.send_areas())
        problems.append(("send_area", f"Choose a SEND area: {areas}"))
    if details.starts_at.tzinfo is None:
        problems.append(("starts_at", "The start needs a time zone"))
    if not details.place.strip() and not details.online_link.strip():
        problems.append(("place", "Give a place or an online link (or both)"))
    if details.online_link:
        try:
            URLValidator(schemes=["https", "http"])(details.online_link)
        except ValidationError:
            problems.append(("online_link", "Enter the online link as a full web address"))
    if not has_role(details.chair, Role.PANEL_CHAIR):
        problems.append(("chair", f"{details.chair.email} is not a panel chair"))
    if details.starts_at.tzinfo is not None and not details.outside_working_days:
        day = details.starts_at.astimezone(clock.LONDON).date()
        if not is_working_day(day):
            problems.append(
                (
                    "date",
                    f"{day:%A %-d %B %Y} is not a working day (a weekend or a bank holiday): "
                    "choose another day, or say the session is meant to be then",
                )
            )
    low, high = LIMIT_RANGE
    if not low <= details.case_limit <= high:
        problems.append(("case_limit", f"The case limit must be between {low} and {high}"))
    return problems


def _refuse_problems(details: SessionDetails) -> None:
    problems = check_details(details)
    if problems:
        field, message = problems[0]
        raise SessionRefused(message, field)


def session_create(*, round_: Round, details: SessionDetails) -> PanelSession:
    _refuse_problems(details)
    return PanelSession.objects.create(
        round=round_,
        send_area=details.send_area,
        starts_at=details.starts_at,
        place=details.place.strip(),
        online_link=details.online_link.strip(),
        chair=details.chair,
        case_limit=details.case_limit,
    )


def session_update(*, session: PanelSession, details: SessionDetails) -> PanelSession:
    """Change a session's details. Its cases stay; reschedule with rebuild to move them."""
    _refuse_problems(details)
    with transaction.atomic():
        locked = PanelSession.objects.select_for_update().get(pk=session.pk)
        if locked.is_signed_off:
            raise SessionRefused("This session has been signed off: it cannot be changed.")
        cases = live_count(locked)
        if cases and details.send_area != locked.send_area:
            raise SessionRefused(
                f"The session has {cases} case(s) of the {locked.send_area} area: "
                "its area cannot change.",
                "send_area",
            )
        if details.case_limit < cases:
            raise SessionRefused(
                f"The session already has {cases} case(s): the limit cannot be lower.",
                "case_limit",
            )
        for name in ("send_area", "starts_at", "case_limit", "chair"):
            setattr(locked, name, getattr(details, name))
        locked.place = details.place.strip()
        locked.online_link = details.online_link.strip()
        locked.save()
    return locked


def member_account(email: str) -> User:
    """The account of a would-be member; refused if there is none or it is a family's."""
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise SessionRefused(
            f"No account uses {email.strip()}. An administrator creates accounts for panel "
            "members first.",
            "email",
        )
    if has_role(user, *FAMILY_ROLES):
        raise SessionRefused(f"{user.email} is a family's account: it cannot sit on a panel.")
    return user


def member_seat(
    *,
    session: PanelSession,
    user: User,
    school: Setting | None,
    role_title: str = "",
    refresh: bool = True,
) -> PanelMember:
    """Add ``user`` to the session, or update their school and role if they sit already.

    ``refresh=False`` leaves the recusals to the caller, who seats several members and
    then calls :func:`recusals_refresh` once (a member's recusals do not depend on the
    other members).
    """
    if user.pk == session.chair_id:
        raise SessionRefused(f"{user.email} chairs this session.", "email")
    phase = session.round.phase
    if school is not None and not school.serves(phase):
        # A member sits for their school's phases: a primary head teacher does not decide
        # where a young person goes after Year 11. Members from no school (an educational
        # psychologist, an officer) sit on any.
        raise SessionRefused(
            f"{school.name} does not take children into {Phase(phase).label}: choose a "
            "member from a school or college of this phase, or leave the school out for a "
            "member who sits for no school.",
            "school_urn",
        )
    if not has_role(user, *SEATED_ROLES):
        grant_role(user, Role.PANEL_MEMBER)  # sitting on a panel is what the role is for
    with transaction.atomic():
        locked = PanelSession.objects.select_for_update().get(pk=session.pk)
        if locked.is_signed_off:
            raise SessionRefused("This session has been signed off: its members are a record.")
        member, _ = PanelMember.objects.update_or_create(
            session=locked,
            user=user,
            defaults={"school": school, "role_title": role_title.strip()[:100]},
        )
        if refresh:
            recusals_refresh(session=locked)
    return member


def membership_fixed(session: PanelSession) -> str:
    """Why members can no longer leave the session, or "" if they can."""
    if session.is_signed_off:
        return "This session has been signed off: its members are a record."
    if Decision.objects.filter(session=session).exists():
        return (
            "This panel has recorded decisions: who sat on it, and who was recused, is part "
            "of their record. Members cannot be removed."
        )
    return ""


def member_remove(*, member: PanelMember) -> None:
    with transaction.atomic():
        locked = PanelSession.objects.select_for_update().get(pk=member.session_id)
        reason = membership_fixed(locked)
        if reason:
            raise SessionRefused(reason)
        member.delete()  # its recusals go with it: the member no longer decides anything here


def _conflict_inputs(
    panel_cases: list[PanelCase], members: list[PanelMember]
) -> tuple[dict[int, list[Interest]], dict[int, int | None], dict[int, str]]:
    """Interests per panel case, and the hosts and names of every setting involved."""
    ids = [pc.case_id for pc in panel_cases]
    preferences: dict[int, list[tuple[int, int | None]]] = {i: [] for i in ids}
    for case_id, rank, setting_id in Preference.objects.filter(case_id__in=ids).values_list(
        "case_id", "rank", "setting_id"
    ):
        preferences[case_id].append((rank, setting_id))
    interests = {
        pc.pk: case_interests(
            proposal_setting_id=pc.proposal.setting_id if pc.proposal else None,
            preferences=preferences[pc.case_id],
        )
        for pc in panel_cases
    }
    involved = {i.setting_id for found in interests.values() for i in found}
    involved |= {m.school_id for m in members if m.school_id}
    return interests, *settings_hosts_and_names(involved)


def recusals_refresh(*, session: PanelSession, now: dt.datetime | None = None) -> int:
    """Make the recusals of the session's undecided cases match its members' schools.

    Decided cases keep theirs: they record who did not take part in the decision.
    Returns how many recusals were added.
    """
    moment = now or clock.now()
    panel_cases = list(
        PanelCase.objects.filter(
            session=session, removed_at=None, case__state=CaseState.AT_PANEL
        ).select_related("case", "proposal")
    )
    if not panel_cases:
        return 0
    members = list(session.members.all())
    interests, hosts, names = _conflict_inputs(panel_cases, members)
    existing = {
        (r.panel_case_id, r.member_id): r
        for r in Recusal.objects.filter(panel_case__in=panel_cases)
    }
    added = 0
    for pc in panel_cases:
        for member in members:
            reason = conflict_reason(
                school_id=member.school_id, interests=interests[pc.pk], hosts=hosts, names=names
            )
            current = existing.get((pc.pk, member.pk))
            if reason and current is None:
                Recusal.objects.create(panel_case=pc, member=member, reason=reason)
                audit_record(
                    case=pc.case,
                    action="panel.recused",
                    actor=None,
                    data={"session": session.pk, "member": member.user_id},
                    now=moment,
                )
                added += 1
            elif current is not None and not reason:
                current.delete()
    return added
