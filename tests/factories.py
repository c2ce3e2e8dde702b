"""factory_boy factories that keep related rows consistent."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth.hashers import make_password

from phasetransfer.core.clock import LONDON
from phasetransfer.core.roles import Role, grant_role
from phasetransfer.models import (
    Case,
    Child,
    Contact,
    ContactRelationship,
    Need,
    Phase,
    Round,
    Setting,
    SettingKind,
    SettingPlaces,
    User,
)

PASSWORD = "correct-horse-battery-staple"
_PASSWORD_HASH = make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
    password = _PASSWORD_HASH

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:
        for role in extracted or []:
            grant_role(self, role)


class RoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Round
        django_get_or_create = ("phase", "entry_year")

    name = factory.LazyAttribute(lambda o: f"{o.phase} {o.entry_year}")
    phase = Phase.SECONDARY
    entry_year = 2027
    preference_opens_at = dt.datetime(2026, 9, 1, 9, 0, tzinfo=LONDON)
    preference_closes_at = dt.datetime(2026, 12, 11, 17, 0, tzinfo=LONDON)
    offer_day_at = dt.datetime(2027, 2, 12, 16, 0, tzinfo=LONDON)


class SettingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Setting

    urn = factory.Sequence(lambda n: 200000 + n)
    name = factory.Sequence(lambda n: f"Test School {n}")
    town = "Maidstone"
    postcode = "ME15 6LX"
    latitude = 51.27
    longitude = 0.52
    la_code = "886"
    la_name = "Kent"
    kind = SettingKind.MAINSTREAM_ACADEMY
    serves_secondary = True
    serves_post16 = True


class SettingPlacesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SettingPlaces

    round = factory.SubFactory(RoundFactory)
    setting = factory.SubFactory(SettingFactory)
    places = 5


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    date_of_birth = dt.date(2015, 11, 3)
    ehcp_reference = factory.Sequence(lambda n: f"EHC-T{n:05d}")
    primary_need = Need.ASD
    home_postcode = "ME15 6LX"
    home_latitude = 51.26
    home_longitude = 0.53


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    reference = factory.Sequence(lambda n: f"27S-{n:05d}")
    child = factory.SubFactory(ChildFactory)
    round = factory.SubFactory(RoundFactory)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    case = factory.SubFactory(CaseFactory)
    name = factory.Faker("name", locale="en_GB")
    relationship = ContactRelationship.PARENT
    email = factory.Sequence(lambda n: f"family{n}@example.org")
    is_primary = True
