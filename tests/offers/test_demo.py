"""The full demo pipeline: every stage driven by the same services staff use."""

from __future__ import annotations

import datetime as dt

import pytest

from offers.models import (
    Appeal,
    AppealOutcome,
    FollowUp,
    LetterKind,
    Mediation,
    MediationOutcome,
    Release,
)
from offers.selectors import places_after_offer_day
from offers.services.demo import full_demo_seed
from offers.services.rehearsal import offer_day_rehearse
from panels.models import Decision, PanelSession
from phasetransfer.models import (
    Case,
    CaseState,
    Consultation,
    OutboundEmail,
    Phase,
    PreferenceSubmission,
)

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
    # The chair's day: one session sat on the last working day and waits for its decisions
    # and sign-off; every earlier one is signed off.
    sat = PanelSession.objects.filter(
        starts_at__date__lt=TODAY, signed_off_at__isnull=True, panel_cases__isnull=False
    ).distinct()
    assert sat.count() == 1
    assert sat.get().starts_at.date() == dt.date(2026, 11, 26)  # Thursday, before Friday 27th
    assert not Decision.objects.filter(session=sat.get()).exists()


@pytest.mark.django_db
def test_after_offer_day_shows_every_state_of_the_weeks_since() -> None:
    full_demo_seed(
        secondary_children=20, post16_children=90, today=TODAY, through="after-offer-day"
    )

    round_ = Case.objects.filter(round__phase=Phase.POST16).first().round
    assert round_.offer_day_at.date() <= TODAY - dt.timedelta(weeks=5)
    # Every family told once on offer day; the late arrivals told "no decision yet".
    first = Release.objects.filter(round=round_, number=1)
    assert first.count() == Case.objects.filter(round=round_).count()
    assert first.filter(kind=LetterKind.NO_DECISION).count() >= 3
    # Mediations and appeals in every state.
    assert set(Mediation.objects.values_list("outcome", flat=True)) == set(MediationOutcome.values)
    assert Mediation.objects.filter(outcome="pending", ended_on__isnull=False).exists()
    assert set(Appeal.objects.values_list("outcome", flat=True)) == set(AppealOutcome.values)
    [over] = Appeal.objects.filter(over_capacity=True)
    assert over.outcome == AppealOutcome.UPHELD
    assert over.implemented_on is not None
    assert Appeal.objects.filter(outcome="upheld", implemented_on__isnull=True).exists()
    [row] = places_after_offer_day(round_)
    assert row.orders == [over.tribunal_reference]
    # Every change since went out as one amended release, with its letter and email.
    changed = (
        Mediation.objects.filter(outcome="agreed").count()
        + Appeal.objects.filter(changed_decision__isnull=False).count()
    )
    amended = Release.objects.filter(round=round_, number=2, completed_at__isnull=False)
    assert amended.count() == changed
    assert not Release.objects.filter(round=round_, number__gt=2).exists()
    # Each contact of each: an email where there is an address, a letter to post where not
    # (which families have no email falls out of the demo's random draw).
    for release in amended:
        contacts = release.case.contacts.all()
        emailed = OutboundEmail.objects.filter(key__contains=":r2:email:", case=release.case)
        assert emailed.count() == contacts.exclude(email="").count()
        assert release.letter_id is not None
        assert release.letters_to_post == contacts.filter(email="").count()
    # The caseworkers have tasks left, and the demo's young person is left to answer.
    assert FollowUp.objects.filter(done_at__isnull=True, kind="no_answer").exists()
    assert FollowUp.objects.filter(done_at__isnull=False).exists()
    young = Case.objects.get(contacts__user__email="youngperson@family.example")
    assert young.state == CaseState.RELEASED
    assert not young.family_responses.exists()
