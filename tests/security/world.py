"""One round with every kind of row a URL can point at, and the people who may (not) see it.

The parent's case has been through the whole process: preferences, a consultation of
school A, a panel session (S1, where one member is recused from it), a decision, and an
offer released with its letter. Another family, a young person, a panel member of another
session (S2), school contacts of schools A and B, staff of each role and an integration
client without scopes stand around it. Time is after offer day, so the outcome is visible.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from offers.models import Letter, LetterKind, Release
from panels.models import Decision, PanelCase, PanelMember, PanelSession, Recusal
from phasetransfer.accounts.services import TOKEN_SALT
from phasetransfer.api.scopes import Scope
from phasetransfer.api.services import api_client_create
from phasetransfer.core.roles import Role
from phasetransfer.models import (
    AllocationRun,
    ApiClient,
    Case,
    CaseState,
    Consultation,
    OutboundEmail,
    Round,
    Setting,
    User,
)
from tests.factories import ContactFactory, RoundFactory, SettingFactory, UserFactory
from tests.factories_consultations import ConsultationFactory, SettingContactFactory
from tests.offers.support import OFFER_DAY, chair, decided_case, session_for
from tests.panels.factories import PanelMemberFactory, PanelSessionFactory, done_run

# After offer day: the family's outcome and letter exist for them.
NOW = OFFER_DAY + dt.timedelta(days=2)


@dataclass
class World:
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
    users: dict[str, User] = field(default_factory=dict)  # persona -> account
    api_token: str = ""  # an integration client with no scopes
    registration_token: str = ""
    reset_uid: str = ""
    reset_token: str = ""


def _family(round_: Round, email: str, role: Role, **case_fields: object) -> tuple[User, Case]:
    user = UserFactory(email=email, roles=[role])
    case = ContactFactory(user=user, email=email, case__round=round_, **case_fields).case
    return user, case


def _released(case: Case, decision: Decision) -> None:
    pdf = b"%PDF-1.7 synthetic letter"
    Letter.objects.create(
        case=case,
        kind=LetterKind.OFFER,
        decision=decision,
        template_version=1,
        html="<p>Synthetic letter</p>",
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        rendered_at=OFFER_DAY - dt.timedelta(days=2),
    )
    Release.objects.create(
        case=case,
        round=case.round,
        released_at=OFFER_DAY,
        dispatched_at=OFFER_DAY,
        completed_at=OFFER_DAY,
        kind=LetterKind.OFFER,
    )
    Case.objects.filter(pk=case.pk).update(state=CaseState.RELEASED)


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


def build_world() -> World:
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
    _released(case, decision)
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
    return World(
        round=round_,
        case=case,
        other_case=other_case,
        school_a=school_a,
        school_b=school_b,
        consultation=ConsultationFactory(case=case, setting=school_a),
        decision=decision,
        run=done_run(round_),
        email=email,
        users=users,
        api_token=_client_without_scopes(),
        registration_token=signing.dumps({"email": "new@family.example"}, salt=TOKEN_SALT),
        reset_uid=urlsafe_base64_encode(force_bytes(parent.pk)),
        reset_token=default_token_generator.make_token(parent),
        **panels,  # type: ignore[arg-type]
    )
