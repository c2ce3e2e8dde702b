"""Withdrawing and re-sending: each consultation keeps its own clock and history."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction

from phasetransfer.cases.state import case_propose, case_start_consultation, case_withdraw
from phasetransfer.consultations.services import (
    ConsultationRefused,
    consultation_add,
    consultation_resend,
    consultation_respond,
    consultation_withdraw,
    consultations_withdraw_for_case,
)
from phasetransfer.core.clock import LONDON
from phasetransfer.models import AuditEvent, CaseState, Consultation, ConsultationStatus
from tests.conftest import send_outbox
from tests.factories import CaseFactory, SettingFactory, UserFactory
from tests.factories.consultations import ConsultationFactory, SettingContactFactory
from tests.moments import CONSULTATIONS_SENT

# After consultations sent at CONSULTATIONS_SENT were due: a re-sent one is due 9 February.
LATER = dt.datetime(2027, 1, 25, 14, 30, tzinfo=LONDON)


@pytest.fixture
def consulting(db: None) -> Consultation:
    """A pending consultation of a case in CONSULTING, its setting with one contact."""
    contact = SettingContactFactory()
    case = CaseFactory(child__unmistakable=True)  # a name no email contains by chance
    case_start_consultation(case=case, actor=None, now=CONSULTATIONS_SENT)
    return ConsultationFactory(case=case, setting=contact.setting, sent_at=CONSULTATIONS_SENT)


@pytest.fixture
def caseworker_user(db: None) -> object:
    from phasetransfer.core.roles import Role

    return UserFactory(roles=[Role.CASEWORKER])


def test_withdraw_then_resend_each_keeps_its_own_clock(
    consulting: Consultation, caseworker_user: object
) -> None:
    with time_machine.travel(CONSULTATIONS_SENT + dt.timedelta(days=2), tick=False):
        consultation_withdraw(consultation=consulting, reason="Sent in error", actor=None)
    with time_machine.travel(LATER, tick=False):
        new = consultation_resend(
            consultation=consulting, reason="Panel asked", actor=caseworker_user
        )
    consulting.refresh_from_db()
    assert consulting.status == ConsultationStatus.WITHDRAWN
    assert consulting.sent_at == CONSULTATIONS_SENT
    assert consulting.due_at == dt.datetime(2027, 1, 20, 0, 0, tzinfo=LONDON)
    assert consulting.withdrawn_reason == "Sent in error"
    assert new.replaces == consulting
    assert new.status == ConsultationStatus.PENDING
    assert new.sent_at == LATER
    assert new.due_at == dt.datetime(2027, 2, 10, 0, 0, tzinfo=LONDON)  # end of 9 February
    actions = list(
        AuditEvent.objects.filter(case=consulting.case, action__startswith="consultation.")
        .order_by("at", "id")
        .values_list("action", "data__consultation")
    )
    assert actions == [
        ("consultation.withdrawn", consulting.pk),
        ("consultation.resent", new.pk),
        ("consultation.replaced", consulting.pk),
    ]


def test_resending_a_pending_consultation_withdraws_it_and_tells_the_school_once(
    consulting: Consultation, caseworker_user: object
) -> None:
    with time_machine.travel(LATER, tick=False):
        new = consultation_resend(
            consultation=consulting, reason="Updated EHCP", actor=caseworker_user
        )
        send_outbox()
    consulting.refresh_from_db()
    assert consulting.status == ConsultationStatus.WITHDRAWN
    assert consulting.withdrawn_reason == "Re-sent: Updated EHCP"
    assert new.due_at > consulting.due_at
    subjects = [m.subject for m in mail.outbox]
    assert subjects == ["A new EHCP consultation from Kent County Council"]
    assert f"/school/consultations/{new.pk}/" in mail.outbox[0].body


def test_resending_an_answered_consultation_keeps_the_answer_on_record(
    consulting: Consultation, caseworker_user: object
) -> None:
    with time_machine.travel(CONSULTATIONS_SENT + dt.timedelta(days=3), tick=False):
        consultation_respond(
            consultation=consulting,
            can_meet=False,
            grounds=["others"],
            text="Class sizes",
            actor=caseworker_user,
            on_behalf=True,
            channel="phone",
        )
    with time_machine.travel(LATER, tick=False):
        new = consultation_resend(
            consultation=consulting, reason="New provision", actor=caseworker_user
        )
    consulting.refresh_from_db()
    assert consulting.status == ConsultationStatus.CANNOT_MEET
    assert consulting.response_text == "Class sizes"
    assert new.status == ConsultationStatus.PENDING
    with pytest.raises(ConsultationRefused, match="already been re-sent"):
        consultation_resend(consultation=consulting, reason="Again", actor=caseworker_user)


def test_resending_moves_a_proposed_case_back_to_consulting_with_the_reason(
    consulting: Consultation, caseworker_user: object
) -> None:
    case = consulting.case
    case_propose(case=case, actor=None, now=CONSULTATIONS_SENT + dt.timedelta(days=20))
    with time_machine.travel(LATER, tick=False):
        consultation_resend(
            consultation=consulting, reason="Panel asked for a new view", actor=caseworker_user
        )
    case.refresh_from_db()
    assert case.state == CaseState.CONSULTING
    event = AuditEvent.objects.get(case=case, action="state.reconsult")
    assert event.reason == "Panel asked for a new view"


def test_a_withdrawn_case_cannot_be_consulted_again(
    consulting: Consultation, caseworker_user: object
) -> None:
    case_withdraw(case=consulting.case, actor=None, reason="Left the area")
    with pytest.raises(ConsultationRefused, match="withdrawn"):
        consultation_resend(consultation=consulting, reason="Try", actor=caseworker_user)
    with pytest.raises(ConsultationRefused, match="withdrawn"):
        consultation_respond(consultation=consulting, can_meet=True, actor=caseworker_user)
    assert Consultation.objects.count() == 1


def test_withdrawing_needs_a_reason_and_happens_once(consulting: Consultation) -> None:
    with pytest.raises(ConsultationRefused, match="Give a reason"):
        consultation_withdraw(consultation=consulting, reason="  ", actor=None)
    consultation_withdraw(consultation=consulting, reason="Preference withdrawn", actor=None)
    with pytest.raises(ConsultationRefused, match="already been withdrawn"):
        consultation_withdraw(consultation=consulting, reason="Again", actor=None)
    assert AuditEvent.objects.filter(action="consultation.withdrawn").count() == 1


def test_withdrawing_a_pending_consultation_tells_the_school_it_need_not_answer(
    consulting: Consultation,
) -> None:
    with time_machine.travel(LATER, tick=False):
        consultation_withdraw(consultation=consulting, reason="Child left the area", actor=None)
        send_outbox()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "no response needed" in message.subject
    assert "left the area" not in message.body  # the reason is about the child: not emailed
    assert consulting.case.child.first_name not in message.body


def test_a_case_leaving_the_area_withdraws_all_its_live_consultations(
    consulting: Consultation,
) -> None:
    other = ConsultationFactory(case=consulting.case, sent_at=CONSULTATIONS_SENT)
    ConsultationFactory(sent_at=CONSULTATIONS_SENT)  # another case's: untouched
    assert (
        consultations_withdraw_for_case(case=consulting.case, reason="Moved to Wales", actor=None)
        == 2
    )
    statuses = set(
        Consultation.objects.filter(pk__in=[consulting.pk, other.pk]).values_list(
            "status", flat=True
        )
    )
    assert statuses == {ConsultationStatus.WITHDRAWN}
    assert Consultation.objects.filter(status=ConsultationStatus.PENDING).count() == 1


def test_adding_a_setting_consults_it_once(
    consulting: Consultation, caseworker_user: object
) -> None:
    setting = SettingFactory()
    with time_machine.travel(LATER, tick=False):
        added = consultation_add(case=consulting.case, setting=setting, actor=caseworker_user)
    assert added.sent_at == LATER
    with pytest.raises(ConsultationRefused, match="already been consulted"):
        consultation_add(case=consulting.case, setting=setting, actor=caseworker_user)
    primary_only = SettingFactory(serves_secondary=False, serves_post16=False, serves_junior=True)
    with pytest.raises(ConsultationRefused, match="does not take children"):
        consultation_add(case=consulting.case, setting=primary_only, actor=caseworker_user)


def test_the_database_refuses_a_refusal_without_a_ground(consulting: Consultation) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Consultation.objects.filter(pk=consulting.pk).update(
            status=ConsultationStatus.CANNOT_MEET, responded_at=LATER
        )


def test_the_service_refuses_a_refusal_without_a_ground_or_explanation(
    consulting: Consultation, caseworker_user: object
) -> None:
    with pytest.raises(ConsultationRefused) as no_ground:
        consultation_respond(
            consultation=consulting, can_meet=False, text="Full", actor=caseworker_user
        )
    assert no_ground.value.field == "grounds"
    with pytest.raises(ConsultationRefused) as no_text:
        consultation_respond(
            consultation=consulting, can_meet=False, grounds=["others"], actor=caseworker_user
        )
    assert no_text.value.field == "response_text"
    with pytest.raises(ConsultationRefused, match="Unknown ground"):
        consultation_respond(
            consultation=consulting,
            can_meet=False,
            grounds=["too_busy"],
            text="x",
            actor=caseworker_user,
        )
    consulting.refresh_from_db()
    assert consulting.status == ConsultationStatus.PENDING
