"""Results day (issue 19): conditional offers settled from results or the provider's word,
each reaching the family once as an amended release; what cannot be settled is listed with
its reason; providers see and confirm only their own students."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from offers.models import ExamResult, ProviderConfirmation, Release, SettlementRun
from offers.selectors import offers_standing, provider_cases, results_day
from offers.services.demo_results import demo_results_csv
from offers.services.release import release_complete, release_due
from offers.services.results import results_import
from offers.services.settlement import (
    ConfirmationRefused,
    SettlementRefused,
    provider_confirm,
    settlement_execute,
    settlement_request,
)
from panels.models import Decision, Outcome, Settled
from phasetransfer.core.conditions import Verdict
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, ConditionalHold, OutboundEmail, Phase, Round, User
from tests.conftest import signed_in
from tests.factories import RoundFactory, SettingFactory, UserFactory
from tests.factories.consultations import SettingContactFactory
from tests.factories.offers import conditional_case, released
from tests.moments import OFFER_DAY

pytestmark = pytest.mark.django_db

RESULTS_DAY = dt.datetime(2027, 8, 19, 9, 0, tzinfo=dt.UTC)
GOOD = ["English Language,5", "Mathematics,4", "History,6", "Geography,4", "Art and Design,7"]
ENGLISH_3 = ["English Language,3", "Mathematics,6", "History,6", "Geography,4", "French,5"]


@pytest.fixture
def round_() -> Round:
    round_ = RoundFactory(phase=Phase.POST16)
    Round.objects.filter(pk=round_.pk).update(
        offer_day_published_at=OFFER_DAY, results_day=RESULTS_DAY.date()
    )
    round_.refresh_from_db()
    return round_


@pytest.fixture
def caseworker() -> User:
    return UserFactory(roles=[Role.CASEWORKER])


def _published(round_: Round, **fields: object) -> Case:
    case = conditional_case(round_, **fields)
    released(case)
    case.refresh_from_db()
    return case


def _results(round_: Round, rows: dict[Case, list[str]], actor: User | None = None) -> None:
    lines = ["candidate,subject,grade"]
    for case, subjects in rows.items():
        lines += [f"{case.reference},{row}" for row in subjects]
    report = results_import(round_=round_, source="\n".join(lines).encode(), actor=actor)
    assert report.ok, report.errors


def _settle(round_: Round, actor: User) -> SettlementRun:
    run = settlement_request(round_=round_, actor=actor, now=RESULTS_DAY)
    done = settlement_execute(run_id=run.pk, now=RESULTS_DAY)
    assert done is not None
    return done


def _release_all(now: dt.datetime) -> list[Release]:
    summary = release_due(now=now)
    for release_id in summary.dispatched:
        release_complete(release_id=release_id, now=now)
    return list(Release.objects.filter(pk__in=summary.dispatched).order_by("case_id"))


def test_results_settle_each_offer_on_its_branch_and_the_family_is_told_once(
    round_: Round, caseworker: User
) -> None:
    other = SettingFactory(name="Second College")
    met = _published(round_)
    missed = _published(round_, otherwise=other)
    waiting = _published(round_)
    _results(round_, {met: GOOD, missed: ENGLISH_3, waiting: GOOD[:1]})

    run = _settle(round_, caseworker)
    assert (run.total, run.met, run.not_met, run.unsettled) == (3, 1, 1, 1)

    settled_met = Decision.objects.get(case=met, superseded_by__isnull=True)
    assert settled_met.settled == Settled.MET
    assert settled_met.outcome == Outcome.OTHER_SETTING
    assert settled_met.programme == "Level 3 Extended Diploma in IT"
    assert "5 passes, 5 needed" in settled_met.change_reason
    settled_missed = Decision.objects.get(case=missed, superseded_by__isnull=True)
    assert settled_missed.settled == Settled.NOT_MET
    assert settled_missed.setting == other
    assert settled_missed.programme == "Level 2 Diploma in IT"
    assert "English below the grade needed" in settled_missed.change_reason
    # The conditional offers' places go with them: only the waiting one still holds two.
    assert list(ConditionalHold.objects.values_list("case_id", flat=True)) == [waiting.pk]

    day = results_day(round_)
    assert [s.decision.case for s in day.unsettled] == [waiting]
    assert day.unsettled[0].settlement.reason == "no result for maths"
    # The Level 3 place the missed offer held at its first college was not needed: freed,
    # and shown (the met one named the same college in both branches: nothing to free).
    freed = {f.setting.name: f.places for f in day.freed}
    assert freed == {"Test College": 1}

    amended = _release_all(RESULTS_DAY + dt.timedelta(minutes=1))
    assert [(r.case_id, r.number) for r in amended] == [(met.pk, 2), (missed.pk, 2)]
    assert all(r.is_amended and r.letter is not None for r in amended)
    emails = OutboundEmail.objects.filter(kind="offer_day", case__in=[met, missed])
    assert emails.filter(subject="Your SEN phase transfer outcome has changed").count() == 2

    # Settling again, and the release job again, tell no one twice.
    told = OutboundEmail.objects.filter(case__in=[met, missed, waiting]).count()
    again = _settle(round_, caseworker)
    assert (again.met, again.not_met, again.unsettled) == (0, 0, 1)
    assert _release_all(RESULTS_DAY + dt.timedelta(minutes=2)) == []
    assert OutboundEmail.objects.filter(case__in=[met, missed, waiting]).count() == told


def test_a_condition_the_provider_must_confirm_waits_for_its_word(
    round_: Round, caseworker: User
) -> None:
    case = _published(round_, condition={"provider_confirms": True})
    _results(round_, {case: GOOD})
    standing = offers_standing(round_)
    assert standing[0].settlement.verdict == Verdict.UNSETTLED
    assert standing[0].settlement.reason == "the college or sixth form must confirm it"
    contact = UserFactory(roles=[Role.SCHOOL_CONTACT])
    decision = Decision.objects.get(case=case)
    SettingContactFactory(setting=decision.setting, user=contact)
    provider_confirm(decision=decision, met=False, actor=contact, now=RESULTS_DAY)
    run = _settle(round_, caseworker)
    assert run.not_met == 1
    assert Decision.objects.get(case=case, superseded_by__isnull=True).programme == (
        "Level 2 Diploma in IT"
    )
    # The offer is settled: the provider cannot change its word any more.
    with pytest.raises(ConfirmationRefused, match="settled"):
        provider_confirm(decision=decision, met=True, actor=contact, now=RESULTS_DAY)


def test_the_providers_word_overrides_results(round_: Round, caseworker: User) -> None:
    case = _published(round_)
    _results(round_, {case: ENGLISH_3})
    decision = Decision.objects.get(case=case)
    provider_confirm(decision=decision, met=True, actor=caseworker, on_behalf=True, now=RESULTS_DAY)
    assert offers_standing(round_)[0].settlement.verdict == Verdict.MET


def test_settling_waits_for_offer_day_and_runs_one_at_a_time(caseworker: User) -> None:
    round_ = RoundFactory(phase=Phase.POST16)
    with pytest.raises(SettlementRefused, match="offer day has not been published"):
        settlement_request(round_=round_, actor=caseworker, now=RESULTS_DAY)
    Round.objects.filter(pk=round_.pk).update(offer_day_published_at=OFFER_DAY)
    round_.refresh_from_db()
    first = settlement_request(round_=round_, actor=caseworker, now=RESULTS_DAY)
    with pytest.raises(SettlementRefused, match="already under way"):
        settlement_request(round_=round_, actor=caseworker, now=RESULTS_DAY)
    assert settlement_execute(run_id=first.pk, now=RESULTS_DAY) is not None
    # A second delivery of the same task does nothing.
    assert settlement_execute(run_id=first.pk, now=RESULTS_DAY) is None


def test_the_demo_results_file_imports_cleanly_and_settles_most_offers(
    round_: Round, caseworker: User
) -> None:
    cases = [_published(round_) for _ in range(12)]
    report = results_import(round_=round_, source=demo_results_csv(round_).encode())
    assert report.ok, report.errors
    verdicts = {s.settlement.verdict for s in offers_standing(round_)}
    assert Verdict.MET in verdicts
    assert len(cases) == 12


# Pages ------------------------------------------------------------------------------


def _url(round_: Round, name: str = "offers-results-day") -> str:
    return reverse(name, args=[round_.pk])


def test_the_caseworker_imports_results_and_settles_from_the_page(
    client: Client, round_: Round, caseworker: User, django_capture_on_commit_callbacks: object
) -> None:
    case = _published(round_)
    signed_in(client, caseworker)
    page = client.get(_url(round_))
    assert page.status_code == 200
    assert "Cannot be settled yet (1)" in page.content.decode()
    assert "No results yet" in page.content.decode()

    upload = SimpleUploadedFile(
        "results.csv",
        ("candidate,subject,grade\n" + "\n".join(f"{case.reference},{r}" for r in GOOD)).encode(),
    )
    response = client.post(_url(round_, "offers-results-import"), {"file": upload})
    assert response.status_code == 302
    assert ExamResult.objects.filter(case=case).count() == 5
    page = client.get(_url(round_)).content.decode()
    assert "Ready to settle (1)" in page


def test_a_bad_results_file_on_the_page_lists_each_row_and_imports_nothing(
    client: Client, round_: Round, caseworker: User
) -> None:
    case = _published(round_)
    signed_in(client, caseworker)
    upload = SimpleUploadedFile(
        "results.csv",
        f"candidate,subject,grade\n{case.reference},English Language,5\n"
        f"{case.reference},Mathematics,C\nNOBODY,History,4\n".encode(),
    )
    response = client.post(_url(round_, "offers-results-import"), {"file": upload})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "The results were not imported" in page
    assert "row 3 [grade]: 'C' is not a grade" in page
    assert "row 4 [candidate]: no young person 'NOBODY' in this round" in page
    assert not ExamResult.objects.exists()


def test_settling_twice_from_two_tabs_starts_one_job(
    client: Client, round_: Round, caseworker: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    _published(round_)
    sent: list[int] = []
    monkeypatch.setattr("offers.views.results.settle_round.delay", sent.append)
    signed_in(client, caseworker)
    first = client.post(_url(round_, "offers-settle"), follow=True)
    second = client.post(_url(round_, "offers-settle"), follow=True)
    assert len(sent) == 1
    assert SettlementRun.objects.count() == 1
    assert "progress is below" in first.content.decode()
    assert "already under way" in second.content.decode()


def test_a_provider_sees_confirms_and_imports_for_its_own_students_only(
    client: Client, round_: Round
) -> None:
    ours, theirs = SettingFactory(name="Our College"), SettingFactory(name="Their College")
    mine = _published(round_, college=ours)
    other = _published(round_, college=theirs)
    contact = UserFactory(roles=[Role.SCHOOL_CONTACT])
    SettingContactFactory(setting=ours, user=contact)
    assert [d.case for d in provider_cases(contact)] == [mine]

    signed_in(client, contact)
    home = client.get(reverse("school-home")).content.decode()
    assert 'id="results-day-link"' in home  # a college's way in
    page = client.get(reverse("offers-results-provider")).content.decode()
    assert mine.reference in page
    assert other.reference not in page

    theirs_decision = Decision.objects.get(case=other)
    response = client.post(
        reverse("offers-results-provider-confirm", args=[theirs_decision.pk]), {"met": "yes"}
    )
    assert response.status_code == 404
    assert not ProviderConfirmation.objects.exists()

    mine_decision = Decision.objects.get(case=mine)
    response = client.post(
        reverse("offers-results-provider-confirm", args=[mine_decision.pk]), {"met": "yes"}
    )
    assert response.status_code == 302
    assert ProviderConfirmation.objects.get(decision=mine_decision).met is True

    # A results file naming another provider's student is refused whole, without saying
    # whether that young person exists.
    upload = SimpleUploadedFile(
        "results.csv",
        f"candidate,subject,grade\n{mine.reference},Mathematics,5\n"
        f"{other.reference},Mathematics,5\n".encode(),
    )
    response = client.post(reverse("offers-results-provider-import"), {"file": upload})
    assert response.status_code == 400
    assert "with a conditional offer from you" in response.content.decode()
    assert not ExamResult.objects.exists()


def test_a_school_contact_cannot_reach_the_councils_results_day(
    client: Client, round_: Round
) -> None:
    contact = UserFactory(roles=[Role.SCHOOL_CONTACT])
    signed_in(client, contact)
    assert client.get(_url(round_)).status_code in (403, 404)
    assert client.post(_url(round_, "offers-settle")).status_code in (403, 404)
    assert not SettlementRun.objects.exists()


def test_only_a_demo_round_offers_its_demo_results_file(
    client: Client, round_: Round, caseworker: User
) -> None:
    case = _published(round_)
    signed_in(client, caseworker)
    url = _url(round_, "offers-demo-results")
    assert client.get(url).status_code == 404  # never invented results for real students
    Round.objects.filter(pk=round_.pk).update(is_synthetic=True)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert case.reference in response.content.decode()
    page = client.get(_url(round_)).content.decode()
    assert "download the demo's results file" in page


def test_a_provider_does_not_see_an_offer_before_the_family_is_told(round_: Round) -> None:
    college = SettingFactory(name="Our College")
    conditional_case(round_, college=college)  # signed off, offer day not yet come for it
    contact = UserFactory(roles=[Role.SCHOOL_CONTACT])
    SettingContactFactory(setting=college, user=contact)
    assert not provider_cases(contact).exists()
