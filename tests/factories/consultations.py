"""Factories for preferences, consultations and the school contacts who answer them."""

from __future__ import annotations

import factory

from phasetransfer.consultations.services import consultation_due_at
from phasetransfer.core.roles import Role
from phasetransfer.models import Consultation, Preference, SettingContact
from tests.factories.common import CaseFactory, SettingFactory, UserFactory
from tests.moments import CONSULTATIONS_SENT


class SettingContactFactory(factory.django.DjangoModelFactory):
    """A school contact: an account with the role, linked to one setting."""

    class Meta:
        model = SettingContact

    setting = factory.SubFactory(SettingFactory)
    user = factory.SubFactory(UserFactory, roles=[Role.SCHOOL_CONTACT])
    job_title = "SENCO"


class PreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Preference

    case = factory.SubFactory(CaseFactory)
    rank = factory.Sequence(lambda n: n % 4 + 1)
    setting = factory.SubFactory(SettingFactory)
    reasons = "Close to home and the SENCO knows our child."


class ConsultationFactory(factory.django.DjangoModelFactory):
    """A pending consultation sent at ``sent_at``, due as the service would set it."""

    class Meta:
        model = Consultation

    case = factory.SubFactory(CaseFactory)
    setting = factory.SubFactory(SettingFactory)
    sent_at = CONSULTATIONS_SENT
    due_at = factory.LazyAttribute(
        lambda o: consultation_due_at(sent_at=o.sent_at, days=o.case.round.consultation_days)
    )
