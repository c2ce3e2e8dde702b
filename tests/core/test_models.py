"""Integrity the database itself enforces, and the round's statutory dates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from phasetransfer.core.clock import LONDON
from phasetransfer.models import (
    Consultation,
    ConsultationStatus,
    Contact,
    Phase,
    Preference,
    Round,
    statutory_deadline_for,
)
from tests.factories import CaseFactory, ContactFactory, RoundFactory, SettingFactory


def test_statutory_deadline_is_15_february_or_31_march_for_post16() -> None:
    assert statutory_deadline_for(Phase.SECONDARY, 2027) == dt.date(2027, 2, 15)
    assert statutory_deadline_for(Phase.RECEPTION, 2027) == dt.date(2027, 2, 15)
    assert statutory_deadline_for(Phase.JUNIOR, 2027) == dt.date(2027, 2, 15)
    assert statutory_deadline_for(Phase.POST16, 2027) == dt.date(2027, 3, 31)


@pytest.mark.django_db
def test_round_stores_the_end_of_the_deadline_day_in_london() -> None:
    post16 = RoundFactory(phase=Phase.POST16, offer_day_at=None)
    # 31 March 2027 is in British Summer Time: the day ends at 23:00 UTC.
    assert post16.statutory_deadline_at == dt.datetime(2027, 3, 31, 23, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_offer_day_on_the_deadline_day_is_allowed() -> None:
    round_ = RoundFactory(offer_day_at=dt.datetime(2027, 2, 15, 16, 0, tzinfo=LONDON))
    round_.full_clean()


@pytest.mark.django_db
def test_offer_day_after_the_deadline_is_refused_by_validation_and_by_the_database() -> None:
    round_ = RoundFactory()
    round_.offer_day_at = dt.datetime(2027, 2, 16, 0, 0, tzinfo=LONDON)
    with pytest.raises(ValidationError, match="15 February 2027"):
        round_.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        round_.save()


@pytest.mark.django_db
def test_preference_window_must_close_after_it_opens() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Round.objects.create(
            name="bad",
            phase=Phase.SECONDARY,
            entry_year=2028,
            preference_opens_at=dt.datetime(2027, 9, 2, tzinfo=LONDON),
            preference_closes_at=dt.datetime(2027, 9, 1, tzinfo=LONDON),
        )


@pytest.mark.django_db
def test_a_preference_names_a_setting_or_another_setting_by_name_never_both() -> None:
    case = CaseFactory()
    setting = SettingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Preference.objects.create(case=case, rank=1, setting=setting, other_name="Elsewhere")
    with pytest.raises(IntegrityError), transaction.atomic():
        Preference.objects.create(case=case, rank=1)
    Preference.objects.create(case=case, rank=1, setting=setting)
    Preference.objects.create(case=case, rank=2, other_name="An independent school")


@pytest.mark.django_db
def test_a_setting_or_rank_cannot_appear_twice_in_one_case() -> None:
    case = CaseFactory()
    setting = SettingFactory()
    Preference.objects.create(case=case, rank=1, setting=setting)
    with pytest.raises(IntegrityError), transaction.atomic():
        Preference.objects.create(case=case, rank=2, setting=setting)
    with pytest.raises(IntegrityError), transaction.atomic():
        Preference.objects.create(case=case, rank=1, other_name="Somewhere")


@pytest.mark.django_db
def test_a_refusal_without_a_statutory_ground_cannot_be_stored() -> None:
    sent = dt.datetime(2027, 1, 4, 9, tzinfo=LONDON)
    consultation = Consultation.objects.create(
        case=CaseFactory(), setting=SettingFactory(), sent_at=sent, due_at=sent + dt.timedelta(15)
    )
    consultation.status = ConsultationStatus.CANNOT_MEET
    consultation.responded_at = sent
    with pytest.raises(IntegrityError), transaction.atomic():
        consultation.save()
    consultation.ground_resources = True
    consultation.save()


@pytest.mark.django_db
def test_a_case_has_one_primary_contact() -> None:
    contact = ContactFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(
            case=contact.case, name="Second", relationship="parent", email="b@example.org"
        )


@pytest.mark.django_db
def test_a_setting_outside_great_britain_cannot_be_stored() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        SettingFactory(latitude=48.85, longitude=2.35)  # Paris
