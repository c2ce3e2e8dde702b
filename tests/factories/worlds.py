"""Whole rounds built at once: a case at each stage (API), every row a URL can name (security)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from offers.models import (
    Appeal,
    FollowUp,
    FollowUpKind,
    Mediation,
    PrintBatch,
    RehearsalRun,
)
from panels.models import Decision, PanelCase, PanelMember, PanelSession, Recusal
from phasetransfer.accounts.services import TOKEN_SALT
from phasetransfer.api.scopes import Scope
from phasetransfer.api.services import api_client_create
from phasetransfer.consultations.services import consultation_due_at
from phasetransfer.core.roles import Role
from phasetransfer.models import (
    AllocationRun,
    ApiClient,
    Case,
    CaseState,
    Consultation,
    OutboundEmail,
    Round,
    RunStatus,
    Setting,
    User,
)
from tests.factories.common import (
    CaseFactory,
    ContactFactory,
    RoundFactory,
    SettingFactory,
    UserFactory,
)
from tests.factories.consultations import ConsultationFactory, SettingContactFactory
from tests.factories.offers import decided_case, released
from tests.factories.panels import (
    PanelMemberFactory,
    PanelSessionFactory,
    chair,
    done_run,
    proposed_case,
    session_for,
)
from tests.moments import BEFORE_PANELS, FIRST_WORKING_DAY_AFTER_CLOSE, OFFER_DAY

# --- The API's world: a small round with a case at each stage -----------------------------


@dataclass
class ApiWorld:
    round: Round
    caseworker: User
    identified: Case
    consulting: Case
    at_panel: Case
    approved: Case
    released: Case
    appealed: Case


def world_for_api() -> ApiWorld:
    """A small round with a case at each stage, for the API and co-ordination tests."""
    round_ = RoundFactory()
    worker = UserFactory(email="cw-world@example.org", roles=[Role.CASEWORKER])
    identified = CaseFactory(round=round_, caseworker=worker, send_area="North", district="ME15")
    consulting = CaseFactory(round=round_, send_area="West", district="CT1")
    Case.objects.filter(pk=consulting.pk).update(state=CaseState.CONSULTING)
    Consultation.objects.create(
        case=consulting,
        setting=SettingFactory(),
        sent_at=FIRST_WORKING_DAY_AFTER_CLOSE,
        due_at=consultation_due_at(sent_at=FIRST_WORKING_DAY_AFTER_CLOSE, days=15),  # 29 Dec
    )
    at_panel = proposed_case(
        round_, area="West", preferences=(SettingFactory(),), state=CaseState.AT_PANEL
    )
    PanelCase.objects.create(
        session=session_for(round_),
        case=at_panel,
        proposal=at_panel.proposals.first(),
        scheduled_at=BEFORE_PANELS,
    )
    approved = decided_case(round_)
    accepted = decided_case(round_)
    released(accepted, answer="accept")
    appealed = decided_case(round_)
    released(appealed, answer="appeal")
    return ApiWorld(
        round=round_,
        caseworker=worker,
        identified=identified,
        consulting=consulting,
        at_panel=at_panel,
        approved=approved,
        released=accepted,
        appealed=appealed,
    )


# --- The security tests' world: every kind of row a URL can point at ---------------------


@dataclass
class SecurityWorld:
    """One round with every kind of row a URL can point at, and the people who may (not) see it.

    The parent's case has been through the whole process: preferences, a consultation of
    school A, a panel session (S1, where one member is recused from it), a decision, and an
    offer released with its letter. Another family, a young person, a panel member of another
    session (S2), school contacts of schools A and B, staff of each role and an integration
    client without scopes stand around it. Tests look at it after offer day
    (tests.moments.AFTER_OFFER_DAY), when the outcome is visible.
    """

    round: Round
    case: Case  # the parent's
    other_case: Case  # another family's
    school_a: Setting
    school_b: Setting
    consultation: Consultation  # of school A, about the parent's case
    s1: PanelSession  # decides the parent's case
    s2: PanelSession  # another panel
    recused_seat: PanelMember
    decision: Decision
    run: AllocationRun
    email: OutboundEmail
    rehearsal: RehearsalRun  # a finished rehearsal of the round
    mediation: Mediation  # the parent's case's, in progress
    appeal: Appeal  # the parent's case's, lodged
    follow_up: FollowUp  # the caseworker's task on the parent's case
    print_batch: PrintBatch  # a print batch ready to download
    users: dict[str, User] = field(default_factory=dict)  # persona -> account
    api_token: str = ""  # an integration client with no scopes
    registration_token: str = ""
    reset_uid: str = ""
    reset_token: str = ""


def _family(round_: Round, email: str, role: Role, **case_fields: object) -> tuple[User, Case]:
    user = UserFactory(email=email, roles=[role])
    case = ContactFactory(user=user, email=email, case__round=round_, **case_fields).case
    return user, case


def _panels(world_round: Round, case: Case, users: dict[str, User]) -> dict[str, object]:
    s1 = session_for(world_round)  # the session decided_case() put the decision in
    users["chair"] = chair()
    panel_case = PanelCase.objects.create(session=s1, case=case, scheduled_at=s1.starts_at)
    seat = PanelMemberFactory(session=s1, user=users["recused_member"])
    Recusal.objects.create(panel_case=panel_case, member=seat, reason="Their school")
    s2 = PanelSessionFactory(round=world_round, send_area="East")
    PanelMemberFactory(session=s2, user=users["member_of_another_panel"])
    return {"s1": s1, "s2": s2, "recused_seat": seat}


def _client_without_scopes() -> str:
    """An integration client whose scopes were all withdrawn (the service wants one to start)."""
    client, token = api_client_create(name="No scopes", scopes=[Scope.OFFERS_READ])
    ApiClient.objects.filter(pk=client.pk).update(scopes=[])
    return token


def world_for_security() -> SecurityWorld:
    round_ = RoundFactory()
    users: dict[str, User] = {}
    school_a = SettingFactory(name="School A")
    school_b = SettingFactory(name="School B")
    case = decided_case(round_, setting=school_a, email="parent@family.example")
    parent = UserFactory(email="parent@family.example", roles=[Role.PARENT])
    case.contacts.update(user=parent)
    users["parent"] = parent
    users["another_parent"], other_case = _family(round_, "other@family.example", Role.PARENT)
    users["young_person"], _own = _family(round_, "yp@family.example", Role.YOUNG_PERSON)
    for persona, role in [
        ("caseworker", Role.CASEWORKER),
        ("administrator", Role.ADMINISTRATOR),
        ("coordinator", Role.COORDINATOR),
        ("recused_member", Role.PANEL_MEMBER),
        ("member_of_another_panel", Role.PANEL_MEMBER),
    ]:
        users[persona] = UserFactory(email=f"{persona}@kent.example", roles=[role])
    users["school_a"] = SettingContactFactory(setting=school_a).user
    users["school_b"] = SettingContactFactory(setting=school_b).user
    panels = _panels(round_, case, users)
    decision = Decision.objects.get(case=case)
    released(case)
    email = OutboundEmail.objects.create(
        key=f"offer:{case.pk}:test",
        kind="offer_day",
        to="parent@family.example",
        subject="Your child's school place",
        body="Sign in to see the outcome.",
        case=case,
        status="failed",
        created_at=OFFER_DAY,
        next_attempt_at=OFFER_DAY,
    )
    return SecurityWorld(
        round=round_,
        case=case,
        other_case=other_case,
        school_a=school_a,
        school_b=school_b,
        consultation=ConsultationFactory(case=case, setting=school_a),
        decision=decision,
        run=done_run(round_),
        email=email,
        mediation=Mediation.objects.create(
            case=case, requested_on=OFFER_DAY.date(), recorded_by=users["caseworker"]
        ),
        appeal=Appeal.objects.create(
            case=case,
            tribunal_reference="SE886/27/00001",
            lodged_on=OFFER_DAY.date(),
            response_due_on=OFFER_DAY.date() + dt.timedelta(days=42),
            recorded_by=users["caseworker"],
        ),
        follow_up=FollowUp.objects.create(
            case=case,
            kind=FollowUpKind.APPEAL,
            created_at=OFFER_DAY,
            due_on=OFFER_DAY.date() + dt.timedelta(days=7),
        ),
        rehearsal=RehearsalRun.objects.create(
            round=round_, requested_at=OFFER_DAY, status=RunStatus.DONE, result={"counts": {}}
        ),
        print_batch=PrintBatch.objects.create(
            round=round_,
            requested_by=users["caseworker"],
            requested_at=OFFER_DAY,
            status=RunStatus.DONE,
            pdf=b"%PDF-1.7 batch",
        ),
        users=users,
        api_token=_client_without_scopes(),
        registration_token=signing.dumps({"email": "new@family.example"}, salt=TOKEN_SALT),
        reset_uid=urlsafe_base64_encode(force_bytes(parent.pk)),
        reset_token=default_token_generator.make_token(parent),
        **panels,  # type: ignore[arg-type]
    )
