"""Every scheduling rule, checked on what the service wrote for generated rounds."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from django.db.models import Max

from panels.models import PanelCase, PanelMember, PanelSession, Recusal
from panels.selectors import scheduling_cutoff
from panels.services.scheduling import panels_schedule
from phasetransfer.core.clock import LONDON
from phasetransfer.models import Case, CaseState, Consultation, Phase, Preference, Round
from tests.factories import RoundFactory, SettingFactory, UserFactory
from tests.factories.consultations import ConsultationFactory
from tests.factories.panels import PanelSessionFactory, proposed_case
from tests.moments import BEFORE_PANELS

pytestmark = pytest.mark.django_db
AREAS = ["North", "East", "South", "West"]


def _generate(seed: int) -> tuple[list[Round], list]:
    rng = random.Random(seed)
    rounds = [RoundFactory(), RoundFactory(phase=Phase.POST16)]
    schools = SettingFactory.create_batch(12)
    members = UserFactory.create_batch(6)
    for round_ in rounds:
        for _ in range(rng.randint(3, 7)):
            start = dt.datetime(2027, 1, 4, 10, tzinfo=LONDON) + dt.timedelta(
                days=rng.randint(0, 40)
            )
            session = PanelSessionFactory(
                round=round_,
                send_area=rng.choice(AREAS),
                starts_at=start,
                case_limit=rng.randint(1, 6),
            )
            for user in rng.sample(members, rng.randint(0, 3)):
                PanelMember.objects.create(
                    session=session, user=user, school=rng.choice([None, *schools])
                )
        for _ in range(rng.randint(10, 30)):
            case = proposed_case(
                round_,
                area=rng.choice([*AREAS, "Outside Kent"]),
                preferences=tuple(rng.sample(schools, rng.randint(1, 3))),
            )
            if rng.random() < 0.6:
                sent = dt.datetime(2026, 12, 1, 9, tzinfo=LONDON) + dt.timedelta(
                    days=rng.randint(0, 60)
                )
                ConsultationFactory(case=case, setting=schools[0], sent_at=sent)
    return rounds, schools


def _involved(case: Case) -> set[int]:
    found = set(Preference.objects.filter(case=case).values_list("setting_id", flat=True))
    proposal = case.proposals.first()
    return found | ({proposal.setting_id} if proposal else set())


def _check_placements(round_: Round) -> None:
    cutoff = scheduling_cutoff(round_)
    due = dict(
        Consultation.objects.filter(case__round=round_)
        .values("case_id")
        .annotate(d=Max("due_at"))
        .values_list("case_id", "d")
    )
    fill: Counter[int] = Counter()
    for pc in PanelCase.objects.filter(session__round=round_, removed_at=None).select_related(
        "session", "case"
    ):
        fill[pc.session_id] += 1
        assert pc.session.send_area == pc.case.send_area
        assert pc.case.round_id == pc.session.round_id
        assert BEFORE_PANELS < pc.session.starts_at < cutoff
        assert pc.case_id not in due or pc.session.starts_at >= due[pc.case_id]
        assert pc.case.state == CaseState.AT_PANEL
        conflicted = {m.pk for m in pc.session.members.all() if m.school_id in _involved(pc.case)}
        recused = set(Recusal.objects.filter(panel_case=pc).values_list("member_id", flat=True))
        assert recused == conflicted
    for session in PanelSession.objects.filter(round=round_):
        assert fill[session.pk] <= session.case_limit


def _open_with_room(case: Case, *, room: bool = True) -> list[PanelSession]:
    """Sessions the case could go to (that still have room after scheduling)."""
    due = Consultation.objects.filter(case=case).aggregate(d=Max("due_at"))["d"] or BEFORE_PANELS
    cutoff = scheduling_cutoff(case.round)
    return [
        s
        for s in PanelSession.objects.filter(round=case.round, send_area=case.send_area)
        if max(due, BEFORE_PANELS) <= s.starts_at < cutoff
        and s.starts_at > BEFORE_PANELS
        and (not room or s.panel_cases.filter(removed_at=None).count() < s.case_limit)
    ]


@pytest.mark.parametrize("seed", range(4))
def test_generated_rounds(seed: int) -> None:
    rounds, _ = _generate(seed)
    for round_ in rounds:
        report = panels_schedule(round_=round_, actor=None, now=BEFORE_PANELS)
        _check_placements(round_)
        proposed = set(
            Case.objects.filter(round=round_, state=CaseState.PROPOSED).values_list(
                "reference", flat=True
            )
        )
        assert proposed == {u.reference for u in report.unplaced}, "a case was dropped silently"
        for unplaced in report.unplaced:
            if unplaced.area not in AREAS:
                assert unplaced.reason.startswith("home outside Kent's SEND areas")
            elif unplaced.reason.startswith("all sessions"):
                case = Case.objects.get(reference=unplaced.reference)
                assert _open_with_room(case) == [], "reported full but a session has room"
            else:
                assert unplaced.reason.startswith("no session for area")
                case = Case.objects.get(reference=unplaced.reference)
                assert _open_with_room(case, room=False) == []
