"""Who sees what, over HTTP: a member sees only their sessions' cases, minus recusals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from panels.models import Outcome, PackPdf, PanelCase, PanelMember, PanelSession, Recusal
from panels.services.decisions import DecisionInput, decision_record
from panels.services.pack_pdf import pack_pdf_render
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, CaseState, Round, User
from tests.conftest import signed_in
from tests.factories import RoundFactory, SettingFactory, UserFactory
from tests.factories.panels import PanelMemberFactory, PanelSessionFactory, proposed_case
from tests.moments import BEFORE_PANELS, PANEL_HAS_SAT, PANEL_SITS

pytestmark = pytest.mark.django_db


@dataclass
class World:
    round: Round
    a: PanelSession
    b: PanelSession
    recused_member: PanelMember
    other_member: PanelMember
    b_member: PanelMember
    open_case: Case  # in A, nobody recused
    recused_case: Case  # in A, the recused member's school is involved
    b_case: Case  # in B


def _place(case: Case, session: PanelSession) -> PanelCase:
    Case.objects.filter(pk=case.pk).update(state=CaseState.AT_PANEL)
    return PanelCase.objects.create(
        session=session, case=case, proposal=case.proposals.first(), scheduled_at=BEFORE_PANELS
    )


@pytest.fixture
def world() -> World:
    round_ = RoundFactory()
    school = SettingFactory(name="Oakwood School")
    a = PanelSessionFactory(round=round_, starts_at=PANEL_SITS)
    b = PanelSessionFactory(round=round_, starts_at=PANEL_SITS.replace(day=12))
    recused_member = PanelMemberFactory(session=a, school=school)
    other_member = PanelMemberFactory(session=a)
    b_member = PanelMemberFactory(session=b)
    open_case = proposed_case(round_, preferences=(SettingFactory(),))
    # A name no other text on the pack contains, so its absence means something.
    recused_case = proposed_case(round_, preferences=(school,), child__unmistakable=True)
    b_case = proposed_case(round_, preferences=(SettingFactory(),))
    _place(open_case, a)
    placement = _place(recused_case, a)
    Recusal.objects.create(
        panel_case=placement, member=recused_member, reason="Oakwood School is the proposed setting"
    )
    _place(b_case, b)
    return World(
        round_, a, b, recused_member, other_member, b_member, open_case, recused_case, b_case
    )


def _get(client: Client, user: User, name: str, *args: Any) -> Any:
    with time_machine.travel(PANEL_HAS_SAT, tick=False):
        return signed_in(client, user).get(reverse(name, args=args))


def test_member_sees_their_session_minus_cases_they_are_recused_from(
    client: Client, world: World
) -> None:
    page = _get(client, world.recused_member.user, "panels-pack", world.a.pk)
    assert page.status_code == 200
    text = page.content.decode()
    assert world.open_case.reference in text
    assert escape(world.open_case.child.full_name) in text  # as the page shows it (O'Neil)
    assert world.recused_case.reference not in text
    assert world.recused_case.child.full_name not in text
    assert world.b_case.reference not in text


def test_member_cannot_open_another_session(client: Client, world: World) -> None:
    user = world.recused_member.user
    for name in ("panels-pack", "panels-pack-pdf", "panels-minutes-csv", "panels-minutes-pdf"):
        assert _get(client, user, name, world.b.pk).status_code == 404


def test_member_cannot_reach_a_recused_case_through_the_decision_page(
    client: Client, world: World
) -> None:
    user = world.recused_member.user
    assert _get(client, user, "panels-decide", world.a.pk, world.recused_case.pk).status_code == 403
    assert _get(client, user, "panels-session", world.a.pk).status_code == 403


def test_other_member_sees_both_cases_and_the_recusal(client: Client, world: World) -> None:
    text = _get(client, world.other_member.user, "panels-pack", world.a.pk).content.decode()
    assert world.open_case.reference in text
    assert world.recused_case.reference in text
    case_page = _get(
        client, world.other_member.user, "panels-pack-case", world.a.pk, world.recused_case.pk
    ).content.decode()
    assert "Oakwood School is the proposed setting" in case_page
    # The recused member cannot open that case's page.
    assert (
        _get(
            client, world.recused_member.user, "panels-pack-case", world.a.pk, world.recused_case.pk
        ).status_code
        == 404
    )


def test_pdf_pack_and_minutes_follow_the_same_rule(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def fake_pdf(template: str, context: dict[str, Any]) -> bytes:
        seen[template] = context
        return b"%PDF-1.7 fake"

    monkeypatch.setattr("panels.views.pack.render_pdf", fake_pdf)
    monkeypatch.setattr("panels.services.pack_pdf.render_pdf", fake_pdf)
    chair = world.a.chair
    for pc in PanelCase.objects.filter(session=world.a):
        decision_record(
            panel_case=pc, data=DecisionInput(outcome=Outcome.AGREE), actor=chair, now=PANEL_HAS_SAT
        )
    user = world.recused_member.user
    waiting = _get(client, user, "panels-pack-pdf", world.a.pk)
    assert "Preparing the pack PDF" in waiting.content.decode()
    pack_pdf_render(pdf_id=PackPdf.objects.get(session=world.a).pk)  # the worker's job
    pdf = _get(client, user, "panels-pack-pdf", world.a.pk)
    assert pdf.content.startswith(b"%PDF")
    entries = seen["panels/pack_print.html"]["entries"]
    assert [e.case.pk for e in entries] == [world.open_case.pk]
    minutes = _get(client, user, "panels-minutes-csv", world.a.pk).content.decode()
    assert world.open_case.reference in minutes
    assert world.recused_case.reference not in minutes
    _get(client, user, "panels-minutes-pdf", world.a.pk)
    lines = seen["panels/minutes_print.html"]["lines"]
    assert [line.decision.case_id for line in lines] == [world.open_case.pk]


def test_chairs_see_their_own_sessions_only(client: Client, world: World) -> None:
    text = _get(client, world.a.chair, "panels-pack", world.a.pk).content.decode()
    assert world.recused_case.reference in text
    assert _get(client, world.b.chair, "panels-pack", world.a.pk).status_code == 404
    decide = _get(client, world.b.chair, "panels-decide", world.a.pk, world.open_case.pk)
    assert decide.status_code == 404


def test_caseworkers_and_administrators_see_every_session(client: Client, world: World) -> None:
    for role in (Role.CASEWORKER, Role.ADMINISTRATOR):
        user = UserFactory(roles=[role])
        text = _get(client, user, "panels-pack", world.a.pk).content.decode()
        assert world.recused_case.reference in text
        assert _get(client, user, "panels-pack", world.b.pk).status_code == 200
        # but only the session's chair records decisions
        decide = _get(client, user, "panels-decide", world.a.pk, world.open_case.pk)
        assert decide.status_code == 403


def test_families_and_strangers_are_kept_out(client: Client, world: World) -> None:
    parent = UserFactory(roles=[Role.PARENT])
    assert _get(client, parent, "panels-pack", world.a.pk).status_code == 403
    assert _get(client, parent, "panel-home").status_code == 403
    client.logout()
    with time_machine.travel(PANEL_HAS_SAT, tick=False):
        anonymous = client.get(reverse("panels-pack", args=[world.a.pk]))
    assert anonymous.status_code == 302
    assert "/sign-in/" in anonymous["Location"]


def test_panel_members_land_on_their_panels(client: Client, world: World) -> None:
    user = world.recused_member.user
    with time_machine.travel(PANEL_HAS_SAT, tick=False):
        landing = signed_in(client, user).get(reverse("home"))
    assert landing["Location"] == reverse("panel-home")
    page = _get(client, user, "panel-home")
    assert page.status_code == 200
    assert reverse("panels-pack", args=[world.a.pk]) in page.content.decode()
    assert reverse("panels-pack", args=[world.b.pk]) not in page.content.decode()
