"""After offer day: every answer is a task, mediation and appeals keep their statutory
clocks, and every change they make reaches the family as one amended release."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from offers.models import (
    Appeal,
    AppealOutcome,
    FamilyResponse,
    FollowUp,
    FollowUpKind,
    Mediation,
    MediationOutcome,
    Release,
)
from offers.selectors import (
    appeal_due,
    family_appeal_by,
    mediation_due,
    places_after_offer_day,
)
from offers.services.appeals import (
    AppealDetails,
    AppealRefused,
    appeal_carry_out,
    appeal_decide,
    appeal_register,
)
from offers.services.followups import follow_ups_no_answer
from offers.services.mediation import (
    MediationRefused,
    mediation_agreed,
    mediation_approve,
    mediation_meeting,
    mediation_not_agreed,
    mediation_request,
    mediation_withdrawn,
)
from offers.services.outcomes import family_respond
from offers.services.release import release_complete, release_due
from panels.models import Decision, PanelCase
from phasetransfer.core.clock import LONDON
from phasetransfer.core.roles import Role
from phasetransfer.models import AuditEvent, Case, CaseState, OutboundEmail, SettingPlaces
from tests.conftest import signed_in
from tests.factories import RoundFactory, SettingFactory, UserFactory
from tests.factories.offers import decided_case
from tests.factories.panels import chair
from tests.moments import JUST_AFTER_OFFER_DAY, WINDOW_OPEN

pytestmark = pytest.mark.django_db

WEEK_LATER = JUST_AFTER_OFFER_DAY + dt.timedelta(days=7)


def _released(case: Case) -> Release:
    """Published on offer day, its decision in a signed-off session, as a panel leaves it."""
    decision = Decision.objects.get(case=case)
    PanelCase.objects.create(session=decision.session, case=case, scheduled_at=WINDOW_OPEN)
    type(decision.session).objects.filter(pk=decision.session_id).update(
        signed_off_at=decision.decided_at, signed_off_by=chair()
    )
    _release_all(JUST_AFTER_OFFER_DAY)
    case.refresh_from_db()
    return Release.objects.get(case=case, number=1)


def _release_all(now: dt.datetime) -> int:
    summary = release_due(now=now)
    return sum(release_complete(release_id=pk, now=now) for pk in summary.dispatched)


def _caseworker_case() -> tuple[Case, object]:
    round_ = RoundFactory()
    caseworker = UserFactory(roles=[Role.CASEWORKER])
    case = decided_case(round_)
    Case.objects.filter(pk=case.pk).update(caseworker=caseworker)
    case.refresh_from_db()
    return case, caseworker


def test_each_answer_is_one_task_for_the_caseworker_due_in_working_days() -> None:
    case, caseworker = _caseworker_case()
    release = _released(case)
    parent = UserFactory(roles=[Role.PARENT])
    # Friday 19 February 2027: five working days on is Friday 26 February.
    friday = dt.datetime(2027, 2, 19, 10, tzinfo=LONDON)
    family_respond(case=case, release=release, actor=parent, answer="mediation", now=friday)
    family_respond(case=case, release=release, actor=parent, answer="mediation", now=friday)
    task = FollowUp.objects.get(case=case)
    assert (task.kind, task.assigned_to, task.due_on) == (
        FollowUpKind.MEDIATION,
        caseworker,
        dt.date(2027, 2, 26),
    )


def test_a_family_silent_after_an_offer_is_a_task_once_closed_when_they_answer() -> None:
    case, _caseworker = _caseworker_case()
    _released(case)
    assert follow_ups_no_answer(now=JUST_AFTER_OFFER_DAY + dt.timedelta(days=13)) == 0
    assert follow_ups_no_answer(now=JUST_AFTER_OFFER_DAY + dt.timedelta(days=14)) == 1
    assert follow_ups_no_answer(now=JUST_AFTER_OFFER_DAY + dt.timedelta(days=15)) == 0
    task = FollowUp.objects.get(case=case)
    assert task.kind == FollowUpKind.NO_ANSWER
    # When the family does answer, nobody need chase them any more.
    family_respond(
        case=case,
        release=Release.objects.get(case=case),
        actor=UserFactory(roles=[Role.PARENT]),
        answer="accept",
        now=JUST_AFTER_OFFER_DAY + dt.timedelta(days=16),
    )
    task.refresh_from_db()
    assert task.done_at is not None
    assert task.note == "The family answered"
    assert FollowUp.objects.get(case=case, done_at__isnull=True).kind == FollowUpKind.ACCEPTED


def test_asking_again_for_the_mediation_under_way_is_not_a_second_task() -> None:
    case, caseworker = _caseworker_case()
    _released(case)
    parent = UserFactory(roles=[Role.PARENT])
    release = Release.objects.get(case=case)
    family_respond(case=case, release=release, actor=parent, answer="mediation", now=WEEK_LATER)
    mediation_request(
        case=case,
        requested_on=WEEK_LATER.date(),
        actor=caseworker,
        now=WEEK_LATER + dt.timedelta(hours=1),
    )
    # The family answers again, the same way, while the mediation is under way.
    family_respond(
        case=case,
        release=release,
        actor=parent,
        answer="mediation",
        now=WEEK_LATER + dt.timedelta(days=1),
    )
    assert not FollowUp.objects.filter(case=case, done_at__isnull=True).exists()
    assert FollowUp.objects.filter(case=case, kind=FollowUpKind.MEDIATION).count() == 1


def test_mediation_is_due_in_30_days_and_its_certificate_in_3_working_days_past_christmas() -> None:
    case, caseworker = _caseworker_case()
    _released(case)
    mediation = mediation_request(
        case=case,
        requested_on=dt.date(2027, 2, 20),
        actor=caseworker,
        now=WEEK_LATER + dt.timedelta(days=2),
    )
    case.refresh_from_db()
    assert case.state == CaseState.APPEALED
    assert AuditEvent.objects.filter(case=case, action="mediation.requested").exists()
    due = mediation_due(mediation, dt.date(2027, 3, 15))
    assert due is not None
    assert (due.on, due.status) == (dt.date(2027, 3, 22), "due_soon")
    late = mediation_due(mediation, dt.date(2027, 3, 23))
    assert late is not None
    assert late.status == "overdue"
    # A mediation that ended on Wednesday 23 December 2026: Christmas Day, the weekend and
    # Boxing Day observed (Monday 28) are not working days.
    mediation.meeting_on = mediation.ended_on = dt.date(2026, 12, 23)
    certificate = mediation_due(mediation, dt.date(2026, 12, 23))
    assert certificate is not None
    assert certificate.on == dt.date(2026, 12, 30)


def test_an_agreed_mediation_changes_the_offer_once_approved_and_the_family_is_told_once(
    client: Client,
) -> None:
    case, caseworker = _caseworker_case()
    _released(case)
    agreed_school = SettingFactory(name="Agreed Academy")
    mediation = mediation_request(
        case=case, requested_on=WEEK_LATER.date(), actor=caseworker, now=WEEK_LATER
    )
    mediation_meeting(mediation=mediation, meeting_on=WEEK_LATER.date(), actor=caseworker)
    mediation = mediation_agreed(
        mediation=mediation,
        ended_on=WEEK_LATER.date(),
        setting=agreed_school,
        reasons="The family and the council agreed Agreed Academy meets the need.",
        actor=caseworker,
        now=WEEK_LATER,
    )
    assert mediation.outcome == MediationOutcome.AWAITING_APPROVAL
    with pytest.raises(MediationRefused, match="panel chair or an administrator"):
        mediation_approve(mediation=mediation, actor=caseworker, now=WEEK_LATER)
    assert _release_all(WEEK_LATER) == 0  # nothing changes before the approval

    approved = mediation_approve(mediation=mediation, actor=chair(), now=WEEK_LATER)
    assert approved.outcome == MediationOutcome.AGREED
    assert approved.changed_decision is not None
    assert approved.changed_decision.setting == agreed_school
    assert approved.changed_decision.ground == ""  # agreed, not refused: no ground
    assert _release_all(WEEK_LATER) == 1
    assert _release_all(WEEK_LATER + dt.timedelta(minutes=1)) == 0
    amended = Release.objects.get(case=case, number=2)
    assert amended.decision_id == approved.changed_decision_id
    assert OutboundEmail.objects.filter(case=case, kind="offer_day").count() == 2

    parent = UserFactory(roles=[Role.PARENT])
    case.contacts.update(user=parent)
    with time_machine.travel(WEEK_LATER, tick=False):
        page = signed_in(client, parent).get(f"/family/{case.reference}/outcome/").content
    text = page.decode()
    assert "Agreed Academy" in text
    assert "agreed: the change is in your new letter" in text


def test_no_agreement_starts_the_familys_month_from_the_certificate() -> None:
    case, caseworker = _caseworker_case()
    release = _released(case)
    assert release.letter is not None
    letter_day = release.letter.dated  # 12 February 2027: appeal by 12 April 2027
    assert family_appeal_by(case) == dt.date(2027, 4, 12)
    late_march = dt.datetime(2027, 3, 26, 12, tzinfo=LONDON)
    mediation = mediation_request(
        case=case, requested_on=dt.date(2027, 3, 1), actor=caseworker, now=late_march
    )
    mediation_not_agreed(
        mediation=mediation,
        ended_on=dt.date(2027, 3, 25),
        certificate_issued_on=dt.date(2027, 3, 26),
        actor=caseworker,
        now=late_march,
    )
    assert letter_day == dt.date(2027, 2, 12)
    assert family_appeal_by(case) == dt.date(2027, 4, 26)  # a month from the certificate


def test_a_mediation_ended_without_agreement_waits_for_its_certificate_on_the_page(
    client: Client,
) -> None:
    case, caseworker = _caseworker_case()
    _released(case)
    base = f"/staff/cases/{case.reference}/after-offer-day/mediations/"
    # Easter 2027: Good Friday is 26 March and Easter Monday 29 March, not working days.
    with time_machine.travel(dt.datetime(2027, 4, 1, 12, tzinfo=LONDON), tick=False):
        staff = signed_in(client, caseworker)
        assert staff.post(base, {"requested_on": "2027-03-10"}).status_code == 302
        mediation = Mediation.objects.get(case=case)
        before_asked = staff.post(
            f"{base}{mediation.pk}/end/", {"result": "not_agreed", "ended_on": "2027-03-01"}
        )
        assert before_asked.status_code == 400
        assert "cannot end before it was asked for" in before_asked.content.decode()
        ended = staff.post(
            f"{base}{mediation.pk}/end/", {"result": "not_agreed", "ended_on": "2027-03-25"}
        )
        assert ended.status_code == 302
        mediation.refresh_from_db()
        assert (mediation.outcome, mediation.ended_on) == (
            MediationOutcome.PENDING,
            dt.date(2027, 3, 25),
        )
        due = mediation_due(mediation, dt.date(2027, 4, 1))
        assert due is not None
        assert (due.what, due.on, due.status) == (
            "Certificate due by",
            dt.date(2027, 4, 1),
            "due_soon",
        )
        page = staff.get(f"/staff/cases/{case.reference}/after-offer-day/").content.decode()
        assert "the certificate is awaited" in page
        assert "Record the certificate" in page
        # Another ending, or an agreement, is refused once it has ended.
        again = staff.post(
            f"{base}{mediation.pk}/end/",
            {
                "result": "agreed",
                "ended_on": "2027-03-25",
                "urn": case.decisions.first().setting.urn,
                "reasons": "x",
            },
        )
        assert again.status_code == 400
        assert "already ended" in again.content.decode()
        future = staff.post(
            f"{base}{mediation.pk}/certificate/", {"certificate_issued_on": "2027-04-09"}
        )
        assert future.status_code == 400
        mediation.refresh_from_db()
        assert mediation.certificate_issued_on is None
        done = staff.post(
            f"{base}{mediation.pk}/certificate/", {"certificate_issued_on": "2027-04-01"}
        )
        assert done.status_code == 302
    mediation.refresh_from_db()
    assert (mediation.outcome, mediation.certificate_issued_on) == (
        MediationOutcome.NOT_AGREED,
        dt.date(2027, 4, 1),
    )
    assert mediation_due(mediation, dt.date(2027, 4, 2)) is None
    actions = list(
        AuditEvent.objects.filter(case=case, action__startswith="mediation.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["mediation.requested", "mediation.ended", "mediation.not_agreed"]
    assert family_appeal_by(case) == dt.date(2027, 5, 1)


def test_a_withdrawn_mediation_ends_with_nothing_due_and_the_family_sees_it(client: Client) -> None:
    case, caseworker = _caseworker_case()
    _released(case)
    moment = WEEK_LATER
    mediation = mediation_request(
        case=case, requested_on=WEEK_LATER.date(), actor=caseworker, now=moment
    )
    with pytest.raises(MediationRefused, match="future"):
        mediation_withdrawn(
            mediation=mediation,
            ended_on=WEEK_LATER.date() + dt.timedelta(days=1),
            actor=caseworker,
            now=moment,
        )
    mediation_withdrawn(
        mediation=mediation, ended_on=WEEK_LATER.date(), actor=caseworker, now=moment
    )
    mediation.refresh_from_db()
    assert mediation.outcome == MediationOutcome.WITHDRAWN
    assert mediation_due(mediation, WEEK_LATER.date()) is None
    assert AuditEvent.objects.filter(case=case, action="mediation.withdrawn").count() == 1
    parent = UserFactory(roles=[Role.PARENT])
    case.contacts.update(user=parent)
    with time_machine.travel(WEEK_LATER, tick=False):
        page = signed_in(client, parent).get(f"/family/{case.reference}/outcome/").content
    assert "withdrawn by the family" in page.decode()


def test_an_order_naming_a_full_setting_is_over_capacity_carried_out_and_counted() -> None:
    case, caseworker = _caseworker_case()
    _released(case)
    full = SettingFactory(name="Full Special School")
    SettingPlaces.objects.create(round=case.round, setting=full, places=1)
    other = decided_case(case.round, setting=full)  # its one place is taken
    assert other.pk
    lodged = dt.date(2027, 3, 1)
    appeal = appeal_register(
        case=case,
        details=AppealDetails(
            tribunal_reference="se886/27/00042", lodged_on=lodged, independent_requested=True
        ),
        actor=caseworker,
        now=WEEK_LATER + dt.timedelta(days=20),
    )
    assert appeal.tribunal_reference == "SE886/27/00042"
    assert appeal.response_due_on == dt.date(2027, 4, 14)  # 30 working days, Easter skipped
    with pytest.raises(AppealRefused, match="already recorded"):
        appeal_register(
            case=case,
            details=AppealDetails(tribunal_reference="SE886/27/00042", lodged_on=lodged),
            actor=caseworker,
            now=WEEK_LATER + dt.timedelta(days=20),
        )
    decided = appeal_decide(
        appeal=appeal,
        outcome=AppealOutcome.UPHELD,
        decided_on=dt.date(2027, 6, 1),
        setting=full,
        actor=caseworker,
        now=dt.datetime(2027, 6, 2, 9, tzinfo=LONDON),
    )
    assert decided.over_capacity
    assert decided.order_due_on == dt.date(2027, 7, 6)  # five weeks
    due = appeal_due(decided, dt.date(2027, 7, 1))
    assert due is not None
    assert due.status == "due_soon"

    moment = dt.datetime(2027, 6, 3, 9, tzinfo=LONDON)
    appeal_carry_out(appeal=decided, actor=caseworker, now=moment)
    with pytest.raises(AppealRefused, match="already been carried out"):
        appeal_carry_out(appeal=decided, actor=caseworker, now=moment)
    _release_all(moment)  # the other child, decided after offer day, is released too
    amended = Release.objects.get(case=case, number=2)
    assert amended.decision is not None
    assert amended.decision.setting == full
    decided.refresh_from_db()
    assert decided.implemented_on == dt.date(2027, 6, 3)
    assert appeal_due(decided, dt.date(2027, 7, 10)) is None  # carried out: nothing due
    [row] = places_after_offer_day(case.round)
    assert (row.name, row.places, row.named, row.over_by) == ("Full Special School", 1, 2, 1)
    assert row.orders == ["SE886/27/00042"]


def test_a_dismissed_appeal_changes_nothing() -> None:
    case, caseworker = _caseworker_case()
    _released(case)
    appeal = appeal_register(
        case=case,
        details=AppealDetails(tribunal_reference="SE1", lodged_on=dt.date(2027, 3, 1)),
        actor=caseworker,
        now=WEEK_LATER + dt.timedelta(days=20),
    )
    appeal_decide(
        appeal=appeal,
        outcome=AppealOutcome.DISMISSED,
        decided_on=dt.date(2027, 6, 1),
        setting=None,
        actor=caseworker,
        now=dt.datetime(2027, 6, 2, 9, tzinfo=LONDON),
    )
    assert _release_all(dt.datetime(2027, 6, 2, 9, tzinfo=LONDON)) == 0
    assert Appeal.objects.get().outcome == AppealOutcome.DISMISSED


def test_the_caseworker_records_mediation_on_the_page_and_a_bad_date_is_explained(
    client: Client,
) -> None:
    case, caseworker = _caseworker_case()
    _released(case)
    url = f"/staff/cases/{case.reference}/after-offer-day/"
    with time_machine.travel(WEEK_LATER, tick=False):
        signed_in(client, caseworker)
        bad = client.post(url + "mediations/", {"requested_on": "2099-01-01"})
        assert bad.status_code == 400
        assert "There is a problem" in bad.content.decode()
        assert "cannot be in the future" in bad.content.decode()
        assert not Mediation.objects.exists()
        good = client.post(url + "mediations/", {"requested_on": "2027-02-19"})
        assert good.status_code == 302
        page = client.get(url).content.decode()
    assert "Mediation to take place by 21 March 2027" in page
    assert FamilyResponse.objects.count() == 0
