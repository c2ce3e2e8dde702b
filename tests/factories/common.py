"""factory_boy factories that keep related rows consistent: people, rounds, settings, cases."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth.hashers import make_password

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
from tests.moments import OFFER_DAY, WINDOW_CLOSES, WINDOW_OPENS

PASSWORD = "correct-horse-battery-staple"
_PASSWORD_HASH = make_password(PASSWORD)

# Names that no generated name and no fixed text contains, nor any of them another, for tests
# that assert a child's name is *not* in an email or a page: a generated surname "Kent" once
# matched "Kent County Council". Given by ChildFactory(unmistakable=True), one after another.
UNMISTAKABLE_FIRST_NAMES = ("Ottoline", "Peregrine", "Isambard", "Leocadia", "Theophane")
UNMISTAKABLE_LAST_NAMES = ("Quillfeather", "Thistlewood", "Marrowby", "Fennimore", "Wrenfield")


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
    """The round whose calendar tests/moments.py names."""

    class Meta:
        model = Round
        django_get_or_create = ("phase", "entry_year")

    name = factory.LazyAttribute(lambda o: f"{o.phase} {o.entry_year}")
    phase = Phase.SECONDARY
    entry_year = 2027
    preference_opens_at = WINDOW_OPENS
    preference_closes_at = WINDOW_CLOSES
    offer_day_at = OFFER_DAY


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

    class Params:
        unmistakable = factory.Trait(
            first_name=factory.Sequence(
                lambda n: UNMISTAKABLE_FIRST_NAMES[n % len(UNMISTAKABLE_FIRST_NAMES)]
            ),
            last_name=factory.Sequence(
                lambda n: UNMISTAKABLE_LAST_NAMES[n % len(UNMISTAKABLE_LAST_NAMES)]
            ),
        )

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
