"""Every builder of test data, by stage: factory_boy factories and plain builder functions.

The common factories (people, rounds, settings, children, cases, contacts) are here; the
rest by stage: ``consultations``, ``panels``, ``offers``, ``coordination``, ``api``, and
``worlds`` (whole rounds built at once, for the API and the security tests). Dates come from
tests/moments.py. pytest fixtures stay in conftest.py files and test modules.
"""

from tests.factories.common import (
    PASSWORD,
    UNMISTAKABLE_FIRST_NAMES,
    UNMISTAKABLE_LAST_NAMES,
    CaseFactory,
    ChildFactory,
    ContactFactory,
    RoundFactory,
    SettingFactory,
    SettingPlacesFactory,
    UserFactory,
)

__all__ = [
    "PASSWORD",
    "UNMISTAKABLE_FIRST_NAMES",
    "UNMISTAKABLE_LAST_NAMES",
    "CaseFactory",
    "ChildFactory",
    "ContactFactory",
    "RoundFactory",
    "SettingFactory",
    "SettingPlacesFactory",
    "UserFactory",
]
