"""What families read about a post-16 conditional offer (issue 19): the offer-day letter states
both branches and the condition in plain English, when and how it will be settled, that this
is the council's decision, and the appeal rights against the offer as made; the amended letter
settling it says which branch and why; the family's page says the same; and the programme of
any offer naming one is shown."""

from __future__ import annotations

import datetime as dt
import html
import io
import re

import pytest
import time_machine
from django.test import Client
from pypdf import PdfReader

from offers.models import Letter, Release
from offers.selectors import settlement_of
from offers.services.letter_spec import address_block_lines, check_precompiled
from offers.services.letters import (
    LetterSpec,
    condition_words,
    letter_render,
    offer_day_spec,
)
from offers.services.release import release_complete, release_due
from offers.services.settlement import provider_confirm, settle_one
from panels.models import Decision
from phasetransfer.core.clock import LONDON
from phasetransfer.core.conditions import Condition, Result, Scale, Settlement, settle
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, ContactRelationship, Phase, Preference, Round, Setting
from tests.conftest import signed_in
from tests.factories import RoundFactory, SettingFactory, UserFactory
from tests.factories.offers import conditional_case as offer_factory
from tests.factories.offers import decided_case
from tests.factories.panels import chair
from tests.moments import JUST_AFTER_OFFER_DAY, OFFER_DAY

pytestmark = pytest.mark.django_db

FIVE_GCSES = Condition(count=5, min_grade="4", including=("English", "maths"))
LEVEL_3 = "Level 3 Extended Diploma in IT"
LEVEL_2 = "Level 2 Diploma in IT"
# Results day: the conditional offers are settled, and the families told.
RESULTS_DAY = dt.datetime(2027, 8, 19, 10, 0, tzinfo=LONDON)
PASSED = [
    Result(subject, grade, Scale.GCSE)
    for subject, grade in (
        ("English Language", "5"),
        ("Mathematics", "4"),
        ("Science", "6"),
        ("History", "4"),
        ("Art", "7"),
    )
]
MATHS_SHORT = [*PASSED[:1], Result("Mathematics", "3", Scale.GCSE), *PASSED[2:]]


def _text(page: str) -> str:
    """The words of a letter or page as a reader sees them (the body only): inline tags gone,
    block tags a space, entities read, spaces folded."""
    body = page[page.find("<body") :]
    body = re.sub(r"</?(strong|span|a)\b[^>]*>", "", body)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _post16() -> Round:
    return RoundFactory(phase=Phase.POST16)


def conditional_case(
    round_: Round,
    *,
    condition: Condition = FIVE_GCSES,
    college: Setting | None = None,
    otherwise: Setting | None = None,
    otherwise_programme: str = LEVEL_2,
    relationship: str = ContactRelationship.PARENT,
    **contact_fields: object,
) -> Case:
    """The project's signed-off conditional offer (tests/factories/offers.py), for Zara:
    ``LEVEL_3`` at ``college`` (Mid Kent College, asked for first) if ``condition`` is met,
    otherwise ``otherwise_programme`` at ``otherwise`` (the same college unless given)."""
    college = college or SettingFactory(name="Mid Kent College")
    case = offer_factory(
        round_,
        college=college,
        otherwise=otherwise,
        condition=condition.to_json(),
        case__child__first_name="Zara",
        case__child__last_name="Example",
        relationship=relationship,
        **contact_fields,
    )
    Decision.objects.filter(case=case).update(
        programme=LEVEL_3, otherwise_programme=otherwise_programme
    )
    return case


def _release_all(now: dt.datetime) -> int:
    summary = release_due(now=now)
    return sum(release_complete(release_id=pk, now=now) for pk in summary.dispatched)


def _settle(case: Case, settlement: Settlement) -> Decision:
    """Settle the case's conditional offer as results day does (offers/services/settlement.py)."""
    offer = Decision.objects.get(case=case, superseded_by__isnull=True)
    settled = settle_one(decision=offer, settlement=settlement, actor=chair(), now=RESULTS_DAY)
    assert settled is not None
    return settled


def _settled_letter(case: Case) -> Letter:
    """Release the offer on offer day, then the settlement on results day: the amended letter."""
    assert _release_all(RESULTS_DAY) == 1
    amended = Release.objects.get(case=case, number=2)
    assert amended.letter is not None
    return amended.letter


# --- The offer-day letter --------------------------------------------------------------------


def test_the_offer_day_letter_states_each_branch_and_its_condition_in_plain_english() -> None:
    case = conditional_case(_post16())
    letter = letter_render(case=case, spec=offer_day_spec(case))
    text = _text(letter.html)

    # To a parent, about Zara by name.
    assert (
        "If Zara gets 5 GCSEs at grade 4 or above including English and maths, Zara's "
        f"placement will be: {LEVEL_3} at Mid Kent College, Maidstone." in text
    )
    assert f"Otherwise, Zara's placement will be: {LEVEL_2} at Mid Kent College, Maidstone." in text
    assert (
        "when Zara's results are known, usually on GCSE results day in August; the college or "
        "sixth form may confirm it instead" in text
    )
    # An answer now: the council's decision, named in the plan as made.
    assert "Zara has an answer now" in text
    assert "This is our decision, not a provisional one" in text
    assert "Section I of the final plan will name the placement as we have decided it" in text


def test_the_offer_day_letter_states_the_appeal_rights_against_the_offer_as_made() -> None:
    case = conditional_case(_post16())
    letter = letter_render(case=case, spec=offer_day_spec(case))
    text = _text(letter.html)

    assert "Your right of appeal is against this offer as we have made it" in text
    assert "You do not need to wait for Zara's results to appeal" in text
    # The appeal rights every offer letter states, from the same shared section.
    assert "First-tier Tribunal (Special Educational Needs and Disability)" in text
    assert "12 April 2027" in text  # two months from the letter dated 12 February
    assert "one month of getting a mediation certificate" in text
    assert "do not need a mediation certificate" in text
    assert "IASK" in text


def test_a_letter_to_the_young_person_speaks_to_them() -> None:
    case = conditional_case(
        _post16(), relationship=ContactRelationship.YOUNG_PERSON, name="Zara Example"
    )
    text = _text(letter_render(case=case, spec=offer_day_spec(case)).html)

    assert (
        "If you get 5 GCSEs at grade 4 or above including English and maths, your placement "
        f"will be: {LEVEL_3} at Mid Kent College, Maidstone." in text
    )
    assert "when your results are known" in text
    assert "You have an answer now" in text
    assert "Zara gets" not in text


def test_a_condition_the_provider_confirms_says_the_college_settles_it() -> None:
    sixth_form = SettingFactory(name="Town Sixth Form", town="Ashford")
    case = conditional_case(
        _post16(),
        condition=Condition(provider_confirms=True),
        otherwise=sixth_form,
        otherwise_programme="",
    )
    text = _text(letter_render(case=case, spec=offer_day_spec(case)).html)

    assert (
        "If the college or sixth form confirms Zara meets its entry requirements, Zara's "
        f"placement will be: {LEVEL_3} at Mid Kent College, Maidstone." in text
    )
    # The other branch names a setting without a programme.
    assert "Otherwise, Zara's placement will be: Town Sixth Form, Ashford." in text
    assert "We will settle the offer when the college or sixth form confirms it." in text
    assert "results day" not in text


def test_the_letter_gives_the_results_day_when_the_round_has_one() -> None:
    round_ = _post16()
    Round.objects.filter(pk=round_.pk).update(results_day=dt.date(2027, 8, 19))
    round_.refresh_from_db()
    case = conditional_case(
        round_, condition=Condition(scale=Scale.VOCATIONAL, count=1, min_grade="M")
    )
    text = _text(letter_render(case=case, spec=offer_day_spec(case)).html)

    assert "If Zara gets 1 vocational qualifications at grade L2 M or above" in text
    assert "when Zara's results are known, on results day, 19 August 2027" in text


def test_a_preference_named_in_one_branch_only_is_explained_with_the_ground() -> None:
    college = SettingFactory(name="Mid Kent College")
    sixth_form = SettingFactory(name="Town Sixth Form")
    case = conditional_case(_post16(), college=college, otherwise=sixth_form)
    Preference.objects.create(case=case, rank=2, setting=SettingFactory(name="Far Academy"))
    Decision.objects.filter(case=case).update(
        ground="resources", reasons="The panel weighed the travel and the cost."
    )
    text = _text(letter_render(case=case, spec=offer_day_spec(case)).html)

    assert "Why we have not named your preferences" in text
    assert "Mid Kent College (1st preference), named only if the condition is met" in text
    assert "Far Academy (2nd preference)." in text
    assert "incompatible with the efficient use of resources" in text
    assert "The panel weighed the travel and the cost." in text


def test_a_conditional_offer_at_the_first_preference_in_both_branches_refuses_nothing() -> None:
    case = conditional_case(_post16())  # both branches at the college asked for first
    text = _text(letter_render(case=case, spec=offer_day_spec(case)).html)
    assert "Why we have not named" not in text


def test_the_conditional_letter_meets_notifys_precompiled_letter_specification() -> None:
    case = conditional_case(
        _post16(),
        otherwise=SettingFactory(name="Town Sixth Form"),
        name="Ann Example",
        postcode="ME15 6LX",
    )
    # The longest address: seven lines, Notify's most, fill the window.
    case.contacts.update(
        address="Flat 2, Block B, Orchard House, 14 Station Road, Loose, Maidstone, Kent"
    )
    Preference.objects.create(case=case, rank=2, setting=SettingFactory(name="Far Academy"))
    Decision.objects.filter(case=case).update(
        ground="resources", reasons="The panel weighed the travel and the cost.\n" * 6
    )
    pdf = bytes(letter_render(case=case, spec=offer_day_spec(case)).pdf)

    assert check_precompiled(pdf) == []
    assert address_block_lines(pdf) == [
        "Ann Example",
        "Flat 2, Block B, Orchard House",
        "14 Station Road",
        "Loose",
        "Maidstone",
        "Kent",
        "ME15 6LX",
    ]
    # check_precompiled refuses more than Notify's 10 pages; the letter is far shorter.
    assert len(PdfReader(io.BytesIO(pdf)).pages) <= 3


def test_condition_words_turn_every_kind_of_condition_to_the_young_person_by_name() -> None:
    confirms = Condition(provider_confirms=True)
    functional = Condition(scale=Scale.PASS_FAIL, count=2, min_grade="pass")
    assert condition_words(FIVE_GCSES, "Zara").startswith("if Zara gets 5 GCSEs")
    assert condition_words(confirms, "Zara") == (
        "if the college or sixth form confirms Zara meets its entry requirements"
    )
    assert condition_words(functional, "Zara") == "if Zara passes 2 qualifications"
    assert condition_words(FIVE_GCSES) == FIVE_GCSES.describe()


# --- The amended letter settling the offer -----------------------------------------------


def test_a_settled_offer_met_is_an_amended_letter_naming_the_branch_and_why() -> None:
    case = conditional_case(_post16(), postcode="ME15 6LX")
    assert _release_all(JUST_AFTER_OFFER_DAY) == 1
    _settle(case, settle(FIVE_GCSES, PASSED))
    letter = _settled_letter(case)
    text = _text(letter.html)

    assert letter.amended
    assert "We have settled Zara's conditional offer." in text
    assert "This letter replaces the letter we sent you on 12 February 2027" in text
    # Which branch, and why: the settlement's reason as the decision records it.
    assert (
        "Zara's conditional offer has been settled: Zara's results meet the entry requirements ("
        in text
    )
    assert "5 passes, 5 needed" in text
    assert f"), so Zara's placement is {LEVEL_3} at Mid Kent College, Maidstone." in text
    # What the offer said, so the family can see which branch this is.
    assert "The offer we made said: If Zara gets 5 GCSEs" in text
    # The appeal rights, for the placement now named, run from this letter's date.
    assert f"Your right of appeal is against the placement now named: {LEVEL_3}" in text
    assert "19 October 2027" in text  # two months from 19 August 2027
    assert "one month of getting a mediation certificate" in text
    assert check_precompiled(bytes(letter.pdf)) == []


def test_a_settled_offer_not_met_names_the_other_placement() -> None:
    sixth_form = SettingFactory(name="Town Sixth Form", town="Ashford")
    case = conditional_case(_post16(), otherwise=sixth_form, otherwise_programme="A levels")
    assert _release_all(JUST_AFTER_OFFER_DAY) == 1
    _settle(case, settle(FIVE_GCSES, MATHS_SHORT))
    text = _text(_settled_letter(case).html)

    assert "Zara's results do not meet the entry requirements (" in text
    assert "maths below the grade needed" in text
    assert (
        "), so Zara's placement is the other one the offer named: A levels at Town Sixth "
        "Form, Ashford." in text
    )
    assert "Your right of appeal is against the placement now named: A levels at Town" in text


def test_a_settlement_the_provider_confirmed_says_so() -> None:
    case = conditional_case(_post16(), condition=Condition(provider_confirms=True))
    assert _release_all(JUST_AFTER_OFFER_DAY) == 1
    offer = Decision.objects.get(case=case)
    provider_confirm(decision=offer, met=True, actor=UserFactory(), now=RESULTS_DAY)
    offer.refresh_from_db()
    _settle(case, settlement_of(offer, []))
    text = _text(_settled_letter(case).html)

    assert (
        "Zara's conditional offer has been settled: the college or sixth form has confirmed "
        "that Zara meets its entry requirements (" in text
    )
    assert f"), so Zara's placement is {LEVEL_3} at Mid Kent College, Maidstone." in text
    assert "results meet" not in text


# --- The programme, for any offer naming one ---------------------------------------------


def test_an_offer_without_conditions_shows_its_programme() -> None:
    case = decided_case(_post16(), setting=SettingFactory(name="Mid Kent College"))
    Decision.objects.filter(case=case).update(programme=LEVEL_3)
    text = _text(letter_render(case=case, spec=offer_day_spec(case)).html)
    assert f"Mid Kent College, Maidstone {LEVEL_3}" in text  # the named block, two lines
    assert "conditional" not in text


def test_an_amended_letter_that_is_not_a_settlement_says_the_outcome_changed() -> None:
    case = conditional_case(_post16())
    spec = offer_day_spec(case)
    amended = LetterSpec(
        decision=spec.decision,
        dated=spec.dated + dt.timedelta(days=3),
        amended=True,
        replaces=spec.dated,
    )
    text = _text(letter_render(case=case, spec=amended).html)
    assert "Zara's outcome has changed." in text
    assert "If Zara gets 5 GCSEs" in text


# --- The family's page -------------------------------------------------------------------


def _page(client: Client, case: Case, role: Role, at: dt.datetime) -> str:
    user = UserFactory(roles=[role])
    case.contacts.update(user=user)
    with time_machine.travel(at, tick=False):
        signed_in(client, user)
        response = client.get(f"/family/{case.reference}/outcome/")
    assert response.status_code == 200
    return _text(response.content.decode())


def test_the_family_page_shows_both_branches_and_the_condition_before_settlement(
    client: Client,
) -> None:
    case = conditional_case(_post16(), otherwise=SettingFactory(name="Town Sixth Form"))
    Decision.objects.filter(case=case).update(ground="resources", reasons="Travel and cost.")
    assert _release_all(JUST_AFTER_OFFER_DAY) == 1
    page = _page(client, case, Role.PARENT, JUST_AFTER_OFFER_DAY)

    assert "A conditional offer" in page
    assert "Zara has a placement either way" in page
    assert (
        "If Zara gets 5 GCSEs at grade 4 or above including English and maths "
        f"{LEVEL_3} at Mid Kent College, Maidstone" in page
    )
    assert f"Otherwise {LEVEL_2} at Town Sixth Form, Maidstone" in page
    assert "We will settle the offer when Zara's results are known" in page
    assert (
        "Why we did not name your preference: Incompatible with the efficient use of "
        "resources. Travel and cost." in page
    )
    # The family can still answer, and is pointed to the appeal rights.
    assert "What do you want to do?" in page


def test_the_young_persons_own_page_speaks_to_them(client: Client) -> None:
    case = conditional_case(
        _post16(), relationship=ContactRelationship.YOUNG_PERSON, name="Zara Example"
    )
    assert _release_all(JUST_AFTER_OFFER_DAY) == 1
    page = _page(client, case, Role.YOUNG_PERSON, JUST_AFTER_OFFER_DAY)

    assert "You have a placement either way" in page
    assert "If you get 5 GCSEs" in page
    assert "when your results are known" in page


def test_the_family_page_shows_the_settled_placement_and_why(client: Client) -> None:
    case = conditional_case(_post16(), otherwise=SettingFactory(name="Town Sixth Form"))
    assert _release_all(JUST_AFTER_OFFER_DAY) == 1
    _settle(case, settle(FIVE_GCSES, PASSED[:4]))
    _settled_letter(case)
    page = _page(client, case, Role.PARENT, RESULTS_DAY)

    assert (
        "Zara's conditional offer was settled on 19 August 2027: Zara's results do not meet "
        "the entry requirements (" in page
    )
    assert "4 of the 5 passes needed" in page
    assert (
        f"), so Zara's placement is the other one the offer named: {LEVEL_2} at Town Sixth "
        "Form, Maidstone." in page
    )
    assert "A conditional offer" not in page  # no longer: the panel names one placement
    assert LEVEL_2 in page
    # What they were told on offer day is still listed, with its letter.
    assert (
        f"12 February 2027: a conditional offer: Mid Kent College ({LEVEL_3}) or Town Sixth "
        f"Form ({LEVEL_2})" in page
    )


def test_the_family_page_shows_the_programme_of_an_offer_without_conditions(
    client: Client,
) -> None:
    case = decided_case(_post16(), setting=SettingFactory(name="Mid Kent College"))
    Decision.objects.filter(case=case).update(programme=LEVEL_3)
    assert _release_all(JUST_AFTER_OFFER_DAY) == 1
    page = _page(client, case, Role.PARENT, JUST_AFTER_OFFER_DAY)
    assert f"Mid Kent College {LEVEL_3} The school or college we will name in the plan." in page


def test_the_offer_day_release_publishes_the_conditional_letter_it_rendered_ahead() -> None:
    case = conditional_case(_post16())
    ahead = letter_render(case=case, spec=offer_day_spec(case), now=OFFER_DAY - dt.timedelta(1))
    assert _release_all(JUST_AFTER_OFFER_DAY) == 1
    release = Release.objects.get(case=case, number=1)
    assert release.letter_id == ahead.pk
    assert release.decision is not None
    assert release.decision.is_conditional
