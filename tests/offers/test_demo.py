"""The full demo pipeline: every stage driven by the same services staff use."""

from __future__ import annotations

import datetime as dt

import pytest

from offers.services.demo import full_demo_seed
from offers.services.rehearsal import offer_day_rehearse
from panels.models import Decision, PanelSession
from phasetransfer.models import Case, CaseState, Consultation, Phase, PreferenceSubmission

TODAY = dt.date(2026, 11, 27)


@pytest.mark.django_db
def test_through_decided_leaves_every_post16_case_decided_and_signed_off() -> None:
    full_demo_seed(secondary_children=30, post16_children=60, today=TODAY, through="decided")

    post16 = Case.objects.filter(round__phase=Phase.POST16)
    assert post16.count() == 60
    assert set(post16.values_list("state", flat=True)) == {CaseState.OFFER_APPROVED}
    assert Decision.objects.filter(case__in=post16, superseded_by__isnull=True).count() == 60
    assert not PanelSession.objects.filter(signed_off_at__isnull=True, panel_cases__isnull=False)
    counts = offer_day_rehearse(round_=post16.first().round).result["counts"]
    assert (counts["offer_letters"], counts.get("no_decision_letters", 0)) == (60, 0)


@pytest.mark.django_db
def test_the_default_demo_has_every_stage_for_someone_to_work_on() -> None:
    full_demo_seed(secondary_children=120, post16_children=80, today=TODAY)

    secondary = Case.objects.filter(round__phase=Phase.SECONDARY)
    sent = PreferenceSubmission.objects.filter(case__in=secondary).values("case").distinct()
    assert 0.45 < sent.count() / secondary.count() < 0.75  # the window is open: about 60% in
    demo_parent_case = Case.objects.get(contacts__user__email="parent@family.example")
    assert not demo_parent_case.submissions.exists()  # left for the demo's family to do
    post16_states = set(
        Case.objects.filter(round__phase=Phase.POST16).values_list("state", flat=True)
    )
    assert {CaseState.AT_PANEL, CaseState.OFFER_APPROVED} <= post16_states
    assert Consultation.objects.filter(status="pending").exists()  # a school still to answer
    assert Consultation.objects.filter(status="cannot_meet").exists()
