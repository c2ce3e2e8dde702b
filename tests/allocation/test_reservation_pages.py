"""Officers choose how conditional offers hold places, and see the places they commit."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from phasetransfer.allocation.selectors import policy_for
from phasetransfer.allocation.services import allocation_execute, allocation_request
from phasetransfer.core.roles import Role
from phasetransfer.models import (
    AllocationPolicy,
    CaseState,
    ConditionalHold,
    ConditionalPlaces,
    Phase,
    Round,
    Setting,
)
from tests.conftest import signed_in
from tests.factories import (
    CaseFactory,
    RoundFactory,
    SettingFactory,
    SettingPlacesFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _post16() -> Round:
    return RoundFactory(phase=Phase.POST16, entry_year=2027)


def _url(round_: Round) -> str:
    return f"/staff/rounds/{round_.pk}/allocation/"


def _shown(page: str) -> dict[str, str]:
    """The form's fields as the page fills them (checked radios only)."""
    return {
        name: value
        for tag, name, value in re.findall(
            r'(<input[^>]*name="(\w+)"[^>]*value="([^"]*)"[^>]*>)', page
        )
        if 'type="radio"' not in tag or " checked" in tag
    }


def _places(round_: Round, name: str, places: int) -> Setting:
    setting = SettingFactory(name=name)
    SettingPlacesFactory(round=round_, setting=setting, places=places)
    return setting


def _hold(round_: Round, met: Setting, otherwise: Setting, likely_met: bool = True) -> None:
    case = CaseFactory(round=round_, state=CaseState.DECIDED)
    ConditionalHold.objects.create(
        case=case, met_setting=met, otherwise_setting=otherwise, likely_met=likely_met
    )


def test_officers_choose_the_rule_and_the_page_states_it(client: Client) -> None:
    round_ = _post16()
    signed_in(client, UserFactory(roles=[Role.CASEWORKER]))
    page = client.get(_url(round_)).content.decode()
    assert "Conditional offers hold a place in each branch&#x27;s setting" in page
    assert "No conditional offers yet" in page
    fields = _shown(page)
    assert (fields["conditional_places"], fields["conditional_margin"]) == ("each_branch", "20")

    saved = client.post(
        _url(round_), {**fields, "conditional_places": "likely_branch", "conditional_margin": "15"}
    )

    assert saved.status_code == 302
    policy = policy_for(round_)
    assert (policy.conditional_places, policy.conditional_margin) == ("likely_branch", 15)
    page = client.get(_url(round_)).content.decode()
    assert (
        "Conditional offers hold a place in the likely branch&#x27;s setting, plus 15% for the "
        "other" in page
    )


@pytest.mark.parametrize(
    ("margin", "error"),
    [
        ("101", "The margin must be 100 or less"),
        ("-1", "The margin must be 0 or more"),
        ("twenty", "Enter the margin as a whole number, like 20"),
        ("", "Enter the margin for the other branch, from 0 to 100"),
    ],
)
def test_a_margin_outside_0_to_100_is_refused_and_changes_nothing(
    client: Client, margin: str, error: str
) -> None:
    round_ = _post16()
    signed_in(client, UserFactory(roles=[Role.CASEWORKER]))
    fields = _shown(client.get(_url(round_)).content.decode())

    refused = client.post(
        _url(round_),
        {**fields, "conditional_places": "likely_branch", "conditional_margin": margin},
    )

    assert refused.status_code == 200
    page = refused.content.decode()
    assert "<title>Error:" in page
    summary = page.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    assert f'href="#id_conditional_margin">{error}</a>' in summary
    assert 'id="id_conditional_margin-error"' in page
    # what was typed is kept, and the choice made beside it
    assert f'name="conditional_margin" type="text" value="{margin}"' in page
    assert re.search(r'value="likely_branch" checked', page)
    # the page still states the rule as saved, and nothing was saved
    assert "Conditional offers hold a place in each branch&#x27;s setting" in page
    assert not AllocationPolicy.objects.filter(round=round_).exists()


def test_a_rule_that_is_not_one_of_the_two_is_refused(client: Client) -> None:
    round_ = _post16()
    signed_in(client, UserFactory(roles=[Role.CASEWORKER]))
    fields = _shown(client.get(_url(round_)).content.decode())
    refused = client.post(_url(round_), {**fields, "conditional_places": "both"})
    assert "Select how conditional offers hold places" in refused.content.decode()
    assert not AllocationPolicy.objects.filter(round=round_).exists()


def test_the_page_shows_the_places_committed_per_setting(client: Client) -> None:
    round_ = _post16()
    college = _places(round_, "Medway College", 10)
    sixth = _places(round_, "Rochester Sixth Form", 4)
    _places(round_, "Untouched Academy", 8)
    for _ in range(3):
        _hold(round_, college, sixth)
    AllocationPolicy.objects.create(
        round=round_, conditional_places=ConditionalPlaces.LIKELY_BRANCH, conditional_margin=20
    )
    signed_in(client, UserFactory(roles=[Role.PANEL_CHAIR]))

    page = client.get(_url(round_)).content.decode()

    assert "Places committed for conditional offers, per setting" in page
    table = page.split('id="committed"', 1)[1].split("</table>", 1)[0]
    assert "Untouched Academy" not in table
    rows = {
        cells[0]: cells[1:]
        for cells in (
            re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row)
            for row in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", table)
        )
    }
    # places, held by others, met here, otherwise here, held for conditional offers, left
    assert rows["Medway College"] == ["10", "0", "3", "0", "3", "7"]
    assert rows["Rochester Sixth Form"] == ["4", "0", "0", "3", "1", "3"]  # ceil(20% of 3)


def test_rounds_other_than_post16_are_not_told_about_conditional_offers(client: Client) -> None:
    round_ = RoundFactory(phase=Phase.SECONDARY)
    signed_in(client, UserFactory(roles=[Role.CASEWORKER]))
    page = client.get(_url(round_)).content.decode()
    assert "No conditional offers yet" not in page
    assert 'id="conditional-rule"' not in page


def test_the_run_page_states_the_rule_the_run_used(client: Client) -> None:
    round_ = _post16()
    AllocationPolicy.objects.create(
        round=round_, conditional_places=ConditionalPlaces.LIKELY_BRANCH, conditional_margin=30
    )
    run = allocation_request(round_=round_, actor=None, queue=False)
    allocation_execute(run_id=run.pk)
    signed_in(client, UserFactory(roles=[Role.CASEWORKER]))
    page = client.get(f"/staff/allocation-runs/{run.pk}/").content.decode()
    assert (
        "Conditional offers hold a place in the likely branch&#x27;s setting, plus 30% for the "
        "other (the rule for this run)" in page
    )


def test_families_schools_and_panel_members_cannot_see_the_places_committed(
    client: Client,
) -> None:
    round_ = _post16()
    for role in (Role.PARENT, Role.SCHOOL_CONTACT, Role.PANEL_MEMBER):
        signed_in(client, UserFactory(roles=[role]))
        assert client.get(_url(round_)).status_code == 403
