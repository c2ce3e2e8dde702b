"""Round figures for post-16 conditional offers (issue 19): answered by the deadline before
and after (a conditional offer counts as an answer), of decided cases, settled on results
day and since, still open by the start of term; from offers' provider, on the figures page
and in the API."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from offers.models import Letter, LetterKind, Release
from offers.services.letters import TEMPLATE_VERSION
from panels.models import Decision, Outcome, Settled
from phasetransfer.api.scopes import ALL_SCOPES
from phasetransfer.coordination.figures import round_figures
from phasetransfer.coordination.providers import (
    ConditionalRecord,
    SettledResult,
    conditional_offers,
)
from phasetransfer.core.clock import LONDON
from phasetransfer.core.conditions import Condition
from phasetransfer.core.roles import Role
from phasetransfer.models import AuditEvent, Case, CaseState, Phase, Round, Setting
from tests.api.conftest import bearer, json_of
from tests.conftest import signed_in
from tests.factories import ContactFactory, RoundFactory, SettingFactory, UserFactory
from tests.factories.api import token_with
from tests.factories.offers import DECIDED_AT, decided_case, undecided_case
from tests.factories.panels import chair, session_for
from tests.moments import OFFER_DAY

pytestmark = pytest.mark.django_db

RESULTS_DAY = dt.date(2027, 8, 12)
SETTLED_ON_RESULTS_DAY = dt.datetime(2027, 8, 12, 10, 0, tzinfo=LONDON)
RESULTS_DAY_EVENING = dt.datetime(2027, 8, 12, 18, 0, tzinfo=LONDON)
# Half past midnight in London is still 12 August in UTC: the London date decides.
SETTLED_SINCE = dt.datetime(2027, 8, 13, 0, 30, tzinfo=LONDON)
LAST_MOMENT_OF_1_SEPTEMBER = dt.datetime(2027, 9, 1, 23, 59, 59, tzinfo=LONDON)
TERM_STARTED = dt.datetime(2027, 9, 2, 0, 0, tzinfo=LONDON)
AUTUMN = dt.datetime(2027, 10, 1, 12, 0, tzinfo=LONDON)
# Post-16: the deadline is 31 March, so its end is the start of 1 April (London).
AFTER_THE_DEADLINE = dt.datetime(2027, 4, 1, 0, 0, tzinfo=LONDON)

FIVE_GCSES = Condition(count=5, min_grade="4", including=("English", "Maths"))


def _post16_round(*, results_day: dt.date | None = RESULTS_DAY) -> Round:
    return RoundFactory(phase=Phase.POST16, results_day=results_day)


def _answered(case: Case, *, at: dt.datetime = OFFER_DAY) -> None:
    """The audit trail's release of the offer: the rule "answered by the deadline" reads."""
    AuditEvent.objects.create(
        case=case,
        at=at,
        actor_label="system",
        action="state.release_offer",
        from_state=CaseState.OFFER_APPROVED,
        to_state=CaseState.RELEASED,
    )
    Case.objects.filter(pk=case.pk).update(state=CaseState.RELEASED)


def _publish(case: Case, decision: Decision, *, at: dt.datetime, reason: str = "") -> Release:
    """A completed release of ``decision`` with its letter, numbered after the case's last."""
    Letter.objects.filter(case=case, superseded_at__isnull=True).update(superseded_at=at)
    number = Release.objects.filter(case=case).count() + 1
    pdf = f"%PDF-1.7 {case.pk} {number}".encode()
    sha = hashlib.sha256(pdf).hexdigest()
    letter = Letter.objects.create(
        case=case,
        kind=LetterKind.OFFER,
        decision=decision,
        template_version=TEMPLATE_VERSION,
        dated=at.date(),
        amended=number > 1,
        html="<p>letter</p>",
        pdf=pdf,
        sha256=sha,
        rendered_at=at,
    )
    return Release.objects.create(
        case=case,
        round=case.round,
        number=number,
        released_at=at,
        dispatched_at=at,
        completed_at=at,
        reason=reason,
        kind=LetterKind.OFFER,
        decision=decision,
        letter=letter,
        letter_sha256=sha,
    )


def _conditional_decision(
    case: Case,
    college: Setting,
    *,
    at: dt.datetime = DECIDED_AT,
    supersedes: Decision | None = None,
) -> Decision:
    return Decision.objects.create(
        case=case,
        session=session_for(case.round),
        outcome=Outcome.CONDITIONAL,
        setting=college,
        programme="Level 3 Diploma in Health and Social Care",
        condition=FIVE_GCSES.to_json(),
        otherwise_setting=college,
        otherwise_programme="Level 2 Certificate in Health and Social Care",
        likely_met=True,
        decided_by=chair(),
        decided_at=at,
        supersedes=supersedes,
        change_reason="The panel changed the condition" if supersedes else "",
    )


def _conditional_case(round_: Round, *, released_at: dt.datetime | None = OFFER_DAY) -> Case:
    """A case whose panel made a conditional offer; told it at ``released_at`` (None: not yet)."""
    case = ContactFactory(case__round=round_).case
    decision = _conditional_decision(case, SettingFactory(name="Mid Kent College"))
    Case.objects.filter(pk=case.pk).update(state=CaseState.OFFER_APPROVED)
    if released_at is not None:
        _publish(case, decision, at=released_at)
        _answered(case, at=released_at)
    case.refresh_from_db()
    return case


def _current(case: Case) -> Decision:
    return Decision.objects.get(case=case, superseded_by__isnull=True)


def _settle(case: Case, *, at: dt.datetime, met: bool) -> None:
    """Results day's decision naming the branch taken, sent as an amended release."""
    offer = _current(case)
    settlement = Decision.objects.create(
        case=case,
        session=offer.session,
        outcome=Outcome.OTHER_SETTING,
        setting=offer.setting if met else offer.otherwise_setting,
        programme=offer.programme if met else offer.otherwise_programme,
        decided_by=chair(),
        decided_at=at,
        supersedes=offer,
        settled=Settled.MET if met else Settled.NOT_MET,
        change_reason="Results day: 5 passes, 5 needed" if met else "Results day: 3 passes",
    )
    _publish(case, settlement, at=at, reason="Conditional offer settled")


def _replace(case: Case, *, at: dt.datetime) -> None:
    """A mediation agreed another setting: the offer is no longer conditional, not settled."""
    settlement = Decision.objects.create(
        case=case,
        session=session_for(case.round),
        outcome=Outcome.OTHER_SETTING,
        setting=SettingFactory(),
        decided_by=chair(),
        decided_at=at,
        supersedes=_current(case),
        change_reason="Agreed at mediation",
    )
    _publish(case, settlement, at=at, reason="Mediation agreed")


def _the_round(*, settle_since: bool = True) -> tuple[Round, dict[str, Case]]:
    """The brief's round: an unconditional offer, conditional offers settled on results
    day, settled since (unless ``settle_since`` is False: the caller settles it later) and
    never settled, and an undecided case; all offers released on offer day."""
    round_ = _post16_round()
    unconditional = decided_case(round_)
    _publish(unconditional, _current(unconditional), at=OFFER_DAY)
    _answered(unconditional)
    cases = {
        "unconditional": unconditional,
        "on_results_day": _conditional_case(round_),
        "since": _conditional_case(round_),
        "never": _conditional_case(round_),
        "undecided": undecided_case(round_),
    }
    _settle(cases["on_results_day"], at=SETTLED_ON_RESULTS_DAY, met=True)
    if settle_since:
        _settle(cases["since"], at=SETTLED_SINCE, met=False)
    return round_, cases


# --- The provider -----------------------------------------------------------------------


def test_the_provider_records_each_conditional_offer_and_how_it_ended() -> None:
    round_, cases = _the_round()
    awaiting = _conditional_case(round_, released_at=None)
    replaced = _conditional_case(round_)
    _replace(replaced, at=dt.datetime(2027, 5, 3, 10, tzinfo=LONDON))
    # The panel changed the condition after offer day; results day settled the new one.
    changed = _conditional_case(round_)
    college = SettingFactory()
    _conditional_decision(
        changed, college, at=OFFER_DAY + dt.timedelta(days=10), supersedes=_current(changed)
    )
    _settle(changed, at=SETTLED_ON_RESULTS_DAY, met=True)
    # A conditional decision changed before anyone was told of it was never made.
    changed_early = decided_case(round_)
    _conditional_decision(changed_early, college, at=DECIDED_AT - dt.timedelta(days=1))
    Decision.objects.filter(case=changed_early, outcome=Outcome.AGREE).update(
        supersedes=Decision.objects.get(case=changed_early, outcome=Outcome.CONDITIONAL),
        change_reason="Changed before offer day",
    )

    records = {r.case_id: r for r in conditional_offers(round_)}
    assert records == {
        cases["on_results_day"].pk: ConditionalRecord(
            case_id=cases["on_results_day"].pk,
            first_released_at=OFFER_DAY,
            settled_at=SETTLED_ON_RESULTS_DAY,
            settled=SettledResult.MET,
        ),
        cases["since"].pk: ConditionalRecord(
            case_id=cases["since"].pk,
            first_released_at=OFFER_DAY,
            settled_at=SETTLED_SINCE,
            settled=SettledResult.NOT_MET,
        ),
        cases["never"].pk: ConditionalRecord(
            case_id=cases["never"].pk, first_released_at=OFFER_DAY
        ),
        awaiting.pk: ConditionalRecord(case_id=awaiting.pk, first_released_at=None),
        replaced.pk: ConditionalRecord(
            case_id=replaced.pk,
            first_released_at=OFFER_DAY,
            replaced_at=dt.datetime(2027, 5, 3, 10, tzinfo=LONDON),
        ),
        changed.pk: ConditionalRecord(
            case_id=changed.pk,
            first_released_at=OFFER_DAY,
            settled_at=SETTLED_ON_RESULTS_DAY,
            settled=SettledResult.MET,
        ),
    }
    assert records[cases["never"].pk].closed_at is None
    assert records[replaced.pk].closed_at == dt.datetime(2027, 5, 3, 10, tzinfo=LONDON)


def test_the_provider_answers_in_a_fixed_number_of_queries(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    round_, _ = _the_round()
    for _ in range(5):
        _conditional_case(round_)
    with django_assert_num_queries(2):  # releases, then the decisions of their cases
        assert len(conditional_offers(round_)) == 8


# --- The figures --------------------------------------------------------------------------


def test_answered_by_the_deadline_before_after_and_of_decided_cases() -> None:
    round_, _ = _the_round()
    figures = round_figures(round_=round_, now=AUTUMN)
    assert figures.cohort == 5
    # After: the three conditional offers are answers.
    assert figures.answered_by_deadline == 4
    assert figures.answered_share == pytest.approx(4 / 5)
    # Before: each was answered by a conditional offer; only the unconditional
    # offer was an answer, as the old process, waiting for results, would have reported.
    assert figures.conditional.answered_conditionally == 3
    assert figures.answered_without_conditional == 1
    assert figures.answered_without_conditional_share == pytest.approx(1 / 5)
    # Every decided case (the undecided one is not) was answered by the deadline.
    assert (figures.answered_decided, figures.decided) == (4, 4)
    assert figures.answered_decided_share == 1.0
    assert figures.kent_answered == pytest.approx(0.70)


def test_settled_on_results_day_and_still_open_before_and_after_the_start_of_term() -> None:
    round_, cases = _the_round(settle_since=False)

    evening = round_figures(round_=round_, now=RESULTS_DAY_EVENING).conditional
    assert evening.results_day == RESULTS_DAY
    assert evening.made == 3
    assert evening.awaiting_release == 0
    assert (evening.settled_on_results_day, evening.settled_since_results_day) == (1, 0)
    assert evening.settled_on_results_day_share == pytest.approx(1 / 3)
    assert (evening.met, evening.not_met, evening.settled) == (1, 0, 1)
    assert not evening.open_final  # still open so far
    assert evening.still_open == 2
    assert evening.still_open_share == pytest.approx(2 / 3)

    _settle(cases["since"], at=SETTLED_SINCE, met=False)
    autumn = round_figures(round_=round_, now=AUTUMN).conditional
    assert (autumn.settled_on_results_day, autumn.settled_since_results_day) == (1, 1)
    assert (autumn.met, autumn.not_met, autumn.settled) == (1, 1, 2)
    assert autumn.open_final
    assert autumn.school_year_starts_at == TERM_STARTED
    assert autumn.still_open == 1  # never settled
    assert autumn.replaced == 0
    # The deadline's figures do not move with what results day did.
    figures = round_figures(round_=round_, now=AUTUMN)
    assert figures.answered_without_conditional == 1
    assert figures.answered_decided_share == 1.0


def test_an_offer_settled_after_the_start_of_term_was_open_at_it() -> None:
    round_, cases = _the_round()
    late = _conditional_case(round_)
    before = round_figures(
        round_=round_, now=dt.datetime(2027, 9, 1, 12, 0, tzinfo=LONDON)
    ).conditional
    assert not before.open_final
    assert before.still_open == 2  # so far: "never" and "late"

    _settle(cases["never"], at=LAST_MOMENT_OF_1_SEPTEMBER, met=True)  # in time
    _settle(late, at=TERM_STARTED, met=True)  # 2 September, 00:00: term has started
    after = round_figures(round_=round_, now=AUTUMN).conditional
    assert after.open_final
    assert after.still_open == 1  # "late", settled after term started, was open at it
    assert after.settled == 4
    assert (after.settled_on_results_day, after.settled_since_results_day) == (1, 3)


def test_a_conditional_offer_made_after_the_deadline_is_no_answer_by_it() -> None:
    round_, _ = _the_round()
    late = _conditional_case(round_, released_at=dt.datetime(2027, 5, 10, 10, tzinfo=LONDON))
    awaiting = _conditional_case(round_, released_at=None)
    figures = round_figures(round_=round_, now=AUTUMN)
    assert figures.cohort == 7
    assert figures.answered_by_deadline == 4
    assert figures.conditional.answered_conditionally == 3  # not the late one
    assert figures.answered_without_conditional == 1
    # Both are decided (a conditional decision is final, released or not), neither answered.
    assert (figures.answered_decided, figures.decided) == (4, 6)
    assert figures.answered_decided_share == pytest.approx(4 / 6)
    assert figures.conditional.made == 4
    assert figures.conditional.awaiting_release == 1
    assert figures.conditional.still_open == 2  # "never" and the late one
    assert {late.pk, awaiting.pk} <= {r.case_id for r in conditional_offers(round_)}


def test_a_replaced_offer_is_closed_unsettled_and_withdrawn_cases_do_not_count() -> None:
    round_, cases = _the_round()
    _replace(cases["never"], at=dt.datetime(2027, 6, 1, 10, tzinfo=LONDON))
    withdrawn = _conditional_case(round_)
    Case.objects.filter(pk=withdrawn.pk).update(state=CaseState.WITHDRAWN)
    figures = round_figures(round_=round_, now=AUTUMN)
    conditional = figures.conditional
    assert figures.cohort == 5
    assert conditional.made == 3
    assert conditional.replaced == 1
    assert conditional.settled == 2
    assert conditional.still_open == 0
    assert (figures.answered_decided, figures.decided) == (4, 4)


def test_an_offer_replaced_before_the_deadline_was_an_answer_before_too() -> None:
    round_ = _post16_round()
    case = _conditional_case(round_)
    _replace(case, at=dt.datetime(2027, 3, 1, 10, tzinfo=LONDON))
    figures = round_figures(round_=round_, now=AUTUMN)
    assert figures.conditional.answered_conditionally == 0
    assert figures.answered_without_conditional == figures.answered_by_deadline == 1


def test_without_a_results_day_nothing_is_settled_on_it() -> None:
    round_, _ = _the_round()
    Round.objects.filter(pk=round_.pk).update(results_day=None)
    round_.refresh_from_db()
    conditional = round_figures(round_=round_, now=AUTUMN).conditional
    assert conditional.results_day is None
    assert (conditional.settled_on_results_day, conditional.settled_since_results_day) == (0, 0)
    assert conditional.settled == 2


def test_a_round_without_conditional_offers_has_none_to_show() -> None:
    round_ = RoundFactory()  # secondary
    case = decided_case(round_)
    _answered(case)
    undecided_case(round_)
    figures = round_figures(round_=round_, now=AUTUMN)
    assert not figures.conditional.anything
    assert figures.conditional.made == figures.conditional.still_open == 0
    assert figures.answered_without_conditional == figures.answered_by_deadline == 1
    assert (figures.answered_decided, figures.decided) == (1, 1)
    assert figures.conditional.settled_on_results_day_share is None


# --- The page and the API -------------------------------------------------------------------


def _dd(html: str, id_: str) -> str:
    return html.split(f'id="{id_}">', 1)[1].split("</dd>", 1)[0]


def test_the_figures_page_shows_conditional_offers(client: Client) -> None:
    round_, _ = _the_round()
    with time_machine.travel(AUTUMN, tick=False):
        signed_in(client, UserFactory(roles=[Role.COORDINATOR]))
        html = client.get(f"/staff/rounds/{round_.pk}/figures/").content.decode()
    assert (
        '<h2 class="govuk-heading-m" id="conditional-offers">Conditional offers (post-16)</h2>'
        in html
    )
    assert _dd(html, "answered-before").startswith("20% (1 of 5)")
    assert _dd(html, "answered-after").startswith("80% (4 of 5); 3 of them by a conditional offer")
    assert _dd(html, "answered-of-decided").startswith("100% (4 of 4)")
    assert _dd(html, "answered-decided-share").startswith("100% (4 of 4")
    assert _dd(html, "conditional-made") == "3"
    settled = _dd(html, "conditional-settled")
    assert settled.startswith("1 of 3 (33%); 1 settled since")
    assert "2 settled: 1 met the entry requirements, 1 did not" in settled
    assert "Settled on results day (12 August 2027)" in html
    assert "Still open by the start of term (1 September 2027)" in html
    assert _dd(html, "conditional-open") == "1 of 3 (33%)"


def test_before_the_start_of_term_the_page_says_so_far(client: Client) -> None:
    round_, _ = _the_round()
    with time_machine.travel(RESULTS_DAY_EVENING, tick=False):
        signed_in(client, UserFactory(roles=[Role.COORDINATOR]))
        html = client.get(f"/staff/rounds/{round_.pk}/figures/").content.decode()
    assert "Still open so far (term starts 1 September 2027)" in html


def test_the_page_has_no_conditional_section_without_conditional_offers(client: Client) -> None:
    round_ = _post16_round()
    _answered(decided_case(round_))
    with time_machine.travel(AUTUMN, tick=False):
        signed_in(client, UserFactory(roles=[Role.COORDINATOR]))
        html = client.get(f"/staff/rounds/{round_.pk}/figures/").content.decode()
    assert 'id="conditional-offers"' not in html
    assert _dd(html, "answered-decided-share").startswith("100% (1 of 1")


def test_the_api_gives_the_conditional_figures(client: Client) -> None:
    round_, _ = _the_round()
    with time_machine.travel(AUTUMN, tick=False):
        response = client.get(
            f"/api/v1/rounds/{round_.pk}/figures/", **bearer(token_with(*ALL_SCOPES))
        )
    assert response.status_code == 200
    body = json_of(response)
    assert body["answered_by_deadline"] == {
        "count": 4,
        "share": pytest.approx(0.8),
        "deadline": "2027-03-31",
        "kent_share": pytest.approx(0.7),
        "answered_conditionally": 3,
        "count_without_conditional": 1,
        "share_without_conditional": pytest.approx(0.2),
        "decided": 4,
        "decided_answered": 4,
        "share_of_decided": 1.0,
    }
    assert body["conditional_offers"] == {
        "made": 3,
        "awaiting_release": 0,
        "results_day": "2027-08-12",
        "settled": 2,
        "met": 1,
        "not_met": 1,
        "settled_on_results_day": 1,
        "settled_on_results_day_share": pytest.approx(1 / 3),
        "settled_since_results_day": 1,
        "replaced": 0,
        "still_open": 1,
        "still_open_share": pytest.approx(1 / 3),
        "by": "2027-09-01",
        "final": True,
    }


def test_the_api_gives_zeros_for_a_round_without_conditional_offers(client: Client) -> None:
    round_ = RoundFactory()
    with time_machine.travel(AUTUMN, tick=False):
        response = client.get(
            f"/api/v1/rounds/{round_.pk}/figures/", **bearer(token_with(*ALL_SCOPES))
        )
    body = json_of(response)
    assert body["conditional_offers"]["made"] == 0
    assert body["conditional_offers"]["results_day"] is None
    assert body["conditional_offers"]["still_open_share"] is None
    assert body["answered_by_deadline"]["share_of_decided"] is None


def test_the_schema_describes_the_conditional_figures(client: Client) -> None:
    schemas = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    assert "conditional_offers" in schemas["RoundFigures"]["properties"]
    assert {"made", "settled_on_results_day", "still_open", "final"} <= set(
        schemas["ConditionalOffers"]["properties"]
    )
    assert {"count_without_conditional", "share_of_decided"} <= set(
        schemas["Answered"]["properties"]
    )


def test_an_offer_settled_before_the_deadline_is_still_no_answer_before() -> None:
    # A demo (or an early provider confirmation) may settle before 31 March: the young
    # person was still answered by a conditional offer the old process would not have made.
    round_, cases = _the_round(settle_since=False)
    _settle(cases["never"], at=dt.datetime(2027, 3, 1, 10, tzinfo=LONDON), met=True)
    figures = round_figures(round_=round_, now=AUTUMN)
    assert figures.conditional.answered_conditionally == 3
    assert figures.answered_without_conditional == 1
