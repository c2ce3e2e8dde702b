"""The cohort page's queries do not grow with the cohort (it was 544 for 1,236 cases)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from phasetransfer.core.roles import Role
from phasetransfer.models import CaseState
from tests.conftest import signed_in
from tests.factories import ContactFactory, RoundFactory, UserFactory


def _page_queries(client: Client, round_id: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/staff/rounds/{round_id}/cohort/").status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_the_cohort_page_takes_the_same_queries_for_10_or_60_cases(client: Client) -> None:
    round_ = RoundFactory()
    signed_in(client, UserFactory(roles=[Role.CASEWORKER]))

    def add(count: int) -> None:
        for n in range(count):
            # Some without an email (invited by post), some invited and waiting: the counts
            # of letters and reminders are on the page too.
            contact = ContactFactory(
                case__round=round_,
                email="" if n % 3 == 0 else f"f{n}@x.org",
                address="1 High Street, Maidstone" if n % 3 == 0 else "",
            )
            if n % 2:
                type(contact.case).objects.filter(pk=contact.case_id).update(
                    state=CaseState.INVITED
                )

    add(10)
    _page_queries(client, round_.pk)  # the first request of a session writes to it
    few = _page_queries(client, round_.pk)
    add(50)
    many = _page_queries(client, round_.pk)
    assert many == few
