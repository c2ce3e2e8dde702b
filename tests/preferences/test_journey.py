"""The family's journey through HTTP: every rule, and who may see what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client

from phasetransfer.core.roles import Role
from phasetransfer.models import AuditEvent, Case, CaseState, Phase, PreferenceSubmission, User
from tests.conftest import signed_in
from tests.factories import ContactFactory, RoundFactory, SettingFactory, UserFactory
from tests.factories.consultations import PreferenceFactory
from tests.moments import WINDOW_CLOSED, WINDOW_OPEN


@pytest.fixture
def during_window() -> Iterator[None]:
    with time_machine.travel(WINDOW_OPEN, tick=False):
        yield


@pytest.fixture
def family(db: None, client: Client) -> tuple[Client, User, Case]:
    user = UserFactory(email="parent@example.org", roles=[Role.PARENT])
    contact = ContactFactory(user=user, email=user.email, case__round=RoundFactory())
    return signed_in(client, user), user, contact.case


def _url(case: Case, tail: str = "") -> str:
    return f"/family/{case.reference}/{tail}"


@pytest.mark.usefixtures("during_window")
def test_the_whole_journey_saves_each_page_and_submits(family: tuple[Client, User, Case]) -> None:
    client, user, case = family
    first = SettingFactory(name="Maidstone Grammar School", town="Maidstone")
    second = SettingFactory(name="Oakwood Park", town="Maidstone", latitude=51.28)

    assert client.post(_url(case, "details/"), {"answer": "yes"})["Location"] == _url(
        case, "nearest/"
    )
    nearest = client.get(_url(case, "nearest/")).content.decode()
    assert "Maidstone Grammar School" in nearest
    assert "miles" in nearest
    assert "Travel to school" in nearest

    found = client.get(_url(case, "preferences/search/"), {"q": "maidstone"}).content.decode()
    assert "Oakwood Park" in found
    chose = client.post(_url(case, "preferences/search/"), {"urn": first.urn})
    grammar = case.preferences.get(setting=first)
    assert chose["Location"] == _url(case, f"preferences/{grammar.pk}/reasons/")
    client.post(_url(case, f"preferences/{grammar.pk}/reasons/"), {"reasons": "Close to home"})
    client.post(_url(case, "preferences/search/"), {"urn": second.urn})
    client.post(_url(case, "preferences/other/"), {"other_name": "Marsh View", "reasons": ""})
    oakwood = case.preferences.get(setting=second)
    client.post(_url(case, f"preferences/{oakwood.pk}/move/"), {"direction": "up"})

    # Nothing is lost: a fresh session sees the same answers.
    page = signed_in(Client(), user).get(_url(case, "check/")).content.decode()
    assert page.index("Oakwood Park") < page.index("Maidstone Grammar School")
    assert "Close to home" in page
    assert "Marsh View" in page

    done = client.post(_url(case, "check/"))
    assert done["Location"] == _url(case, "confirmation/")
    confirmation = client.get(_url(case, "confirmation/")).content.decode()
    submission = PreferenceSubmission.objects.get(case=case)
    assert submission.receipt in confirmation
    assert "What happens next" in confirmation
    assert not submission.late
    assert [p["name"] for p in submission.snapshot] == [
        "Oakwood Park",
        "Maidstone Grammar School",
        "Marsh View",
    ]
    case.refresh_from_db()
    assert case.state == CaseState.PREFERENCES_RECEIVED


@pytest.mark.usefixtures("during_window")
def test_change_from_check_answers_returns_to_check_answers(
    family: tuple[Client, User, Case],
) -> None:
    client, _, case = family
    client.post(_url(case, "preferences/search/"), {"urn": SettingFactory().urn})
    added = case.preferences.get()
    response = client.post(
        _url(case, f"preferences/{added.pk}/reasons/") + "?next=check", {"reasons": "x"}
    )
    assert response["Location"] == _url(case, "check/")


@pytest.mark.usefixtures("during_window")
def test_a_setting_named_twice_is_refused_with_a_clear_message(
    family: tuple[Client, User, Case],
) -> None:
    client, _, case = family
    school = SettingFactory(name="Valley Park")
    client.post(_url(case, "preferences/search/"), {"urn": school.urn})
    again = client.post(_url(case, "preferences/search/"), {"urn": school.urn})
    assert "You have already named Valley Park." in again.content.decode()
    assert case.preferences.count() == 1


@pytest.mark.usefixtures("during_window")
def test_a_setting_that_does_not_take_the_phase_is_refused(
    family: tuple[Client, User, Case],
) -> None:
    client, _, case = family
    primary = SettingFactory(
        name="Little Primary",
        serves_secondary=False,
        serves_post16=False,
        serves_reception=True,
        serves_junior=True,
    )
    response = client.post(_url(case, "preferences/search/"), {"urn": primary.urn})
    assert "Little Primary does not take children into Year 7 (secondary)" in (
        response.content.decode()
    )
    assert case.preferences.count() == 0


@pytest.mark.usefixtures("during_window")
def test_no_more_than_the_rounds_number_of_preferences(family: tuple[Client, User, Case]) -> None:
    client, _, case = family
    for _ in range(case.round.max_preferences):
        client.post(_url(case, "preferences/search/"), {"urn": SettingFactory().urn})
    refused = client.post(_url(case, "preferences/search/"), {"urn": SettingFactory().urn})
    assert "You can name up to 4 preferences" in refused.content.decode()
    assert case.preferences.count() == 4


@pytest.mark.usefixtures("during_window")
def test_submitting_with_no_preference_is_refused(family: tuple[Client, User, Case]) -> None:
    client, _, case = family
    response = client.post(_url(case, "check/"))
    assert "Name at least one school or college" in response.content.decode()
    assert not PreferenceSubmission.objects.exists()


@pytest.mark.usefixtures("during_window")
def test_other_setting_needs_a_name(family: tuple[Client, User, Case]) -> None:
    client, _, case = family
    response = client.post(_url(case, "preferences/other/"), {"other_name": ""})
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Enter the name of the school or college" in html


def test_after_the_window_a_submitted_case_is_read_only(family: tuple[Client, User, Case]) -> None:
    client, user, case = family
    with time_machine.travel(WINDOW_OPEN, tick=False):
        client.post(_url(case, "preferences/search/"), {"urn": SettingFactory().urn})
        client.post(_url(case, "check/"))
    with time_machine.travel(WINDOW_CLOSED, tick=False):
        signed_in(client, user)  # the session from two weeks ago has expired
        add = client.post(_url(case, "preferences/search/"), {"urn": SettingFactory().urn})
        assert add.status_code == 302
        assert case.preferences.count() == 1
        page = client.get(_url(case, "check/")).content.decode()
        assert "has passed and you have sent your preferences" in page
        assert "cannot be changed here" in page
        assert "Accept and send" not in page


def test_a_late_first_submission_is_accepted_and_flagged(family: tuple[Client, User, Case]) -> None:
    client, user, case = family
    with time_machine.travel(WINDOW_CLOSED, tick=False):
        signed_in(client, user)
        client.post(_url(case, "preferences/search/"), {"urn": SettingFactory().urn})
        client.post(_url(case, "check/"))
        confirmation = client.get(_url(case, "confirmation/")).content.decode()
    assert PreferenceSubmission.objects.get(case=case).late
    assert "after the closing date" in confirmation


@pytest.mark.usefixtures("during_window")
def test_another_parent_gets_not_found_for_every_page(
    family: tuple[Client, User, Case], client: Client
) -> None:
    _, _, case = family
    stranger = UserFactory(roles=[Role.PARENT])
    ContactFactory(user=stranger)
    other = signed_in(Client(), stranger)
    for tail in [
        "",
        "details/",
        "nearest/",
        "preferences/",
        "preferences/search/",
        "check/",
        "confirmation/",
        f"preferences/{PreferenceFactory(case=case).pk}/reasons/",
    ]:
        assert other.get(_url(case, tail)).status_code == 404, tail
    assert other.post(_url(case, "check/")).status_code == 404


@pytest.mark.usefixtures("during_window")
def test_personal_pages_are_private_and_not_stored(family: tuple[Client, User, Case]) -> None:
    client, _, case = family
    response = client.get(_url(case, "preferences/"))
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.usefixtures("during_window")
def test_a_young_person_uses_the_same_journey_for_themself(client: Client) -> None:
    user = UserFactory(roles=[Role.YOUNG_PERSON])
    contact = ContactFactory(
        user=user,
        relationship="young_person",
        case__round=RoundFactory(phase=Phase.POST16, offer_day_at=None),
    )
    page = signed_in(client, user).get(_url(contact.case, "details/")).content.decode()
    assert "Your contact details" in page


@pytest.mark.usefixtures("during_window")
def test_correcting_details_is_recorded_for_the_caseworker(
    family: tuple[Client, User, Case],
) -> None:
    client, _, case = family
    response = client.post(
        _url(case, "details/change/"),
        {
            "name": "Alex Parent",
            "phone": "01622 000000",
            "address": "2 New Road",
            "postcode": "ME15 6LX",
            "correction": "Date of birth is wrong",
        },
    )
    assert response["Location"] == _url(case, "nearest/")
    case.refresh_from_db()
    assert case.details_correction == "Date of birth is wrong"
    assert AuditEvent.objects.filter(case=case, action="details.correction_reported").exists()


@pytest.mark.usefixtures("during_window")
def test_the_council_publishes_its_oversubscription_rule_where_families_name_schools(
    family: tuple[Client, User, Case],
) -> None:
    from phasetransfer.models import AllocationPolicy

    client, _, case = family
    page = client.get(_url(case, "preferences/")).content.decode()
    assert "more requests than places" in page
    assert "children whose needs can only be met at that setting" in page
    AllocationPolicy.objects.create(round=case.round, oversubscription_rule="distance")
    page = client.get(_url(case, "preferences/")).content.decode()
    assert "among children who put it equally high, to the children who live nearest" in page


@pytest.mark.usefixtures("during_window")
def test_a_double_clicked_removal_removes_exactly_one_school(
    family: tuple[Client, User, Case],
) -> None:
    client, _, case = family
    names = ["Alpha School", "Beta School", "Gamma School"]
    for name in names:
        client.post(_url(case, "preferences/search/"), {"urn": SettingFactory(name=name).urn})
    beta = case.preferences.get(setting__name="Beta School")
    # Two POSTs of the same confirmation: the second finds Beta gone and removes nothing.
    for _ in range(2):
        done = client.post(_url(case, f"preferences/{beta.pk}/remove/"), {"answer": "yes"})
        assert done.status_code == 302
    left = list(case.preferences.order_by("rank").values_list("setting__name", "rank"))
    assert left == [("Alpha School", 1), ("Gamma School", 2)]
    page = client.get(_url(case, "preferences/")).content.decode()
    assert "That preference was already removed." in page
    assert AuditEvent.objects.filter(case=case, action="preference.removed").count() == 1
    assert AuditEvent.objects.get(action="preference.removed").data["setting"] == beta.setting.urn


@pytest.mark.usefixtures("during_window")
def test_a_move_from_a_stale_page_is_refused_and_the_ids_stay_stable(
    family: tuple[Client, User, Case],
) -> None:
    client, _, case = family
    for name in ["Alpha School", "Beta School", "Gamma School"]:
        client.post(_url(case, "preferences/search/"), {"urn": SettingFactory(name=name).urn})
    ids = list(case.preferences.order_by("rank").values_list("pk", flat=True))
    shown = ",".join(map(str, ids))
    gamma = ids[2]
    url = _url(case, f"preferences/{gamma}/move/")
    client.post(url, {"direction": "up", "shown": shown})
    # The same click again (double click, or the other tab): the page's order is stale.
    client.post(url, {"direction": "up", "shown": shown})
    order = list(case.preferences.order_by("rank").values_list("setting__name", flat=True))
    assert order == ["Alpha School", "Gamma School", "Beta School"]
    assert sorted(case.preferences.values_list("pk", flat=True)) == sorted(ids)  # rows kept
    page = client.get(_url(case, "preferences/")).content.decode()
    assert "Your list changed since this page was shown" in page
    # Another family's preference id is not found on this case.
    stranger = PreferenceFactory()
    assert client.post(_url(case, f"preferences/{stranger.pk}/remove/"), {"answer": "yes"})[
        "Location"
    ] == _url(case, "preferences/")
    assert stranger.__class__.objects.filter(pk=stranger.pk).exists()


@pytest.mark.usefixtures("during_window")
def test_a_list_changed_after_sending_is_flagged_to_the_family_and_to_staff(
    family: tuple[Client, User, Case],
) -> None:
    client, _, case = family
    client.post(_url(case, "preferences/search/"), {"urn": SettingFactory(name="Alpha").urn})
    client.post(_url(case, "check/"))
    assert "changed-since-sent" not in client.get(_url(case)).content.decode()
    client.post(_url(case, "preferences/search/"), {"urn": SettingFactory(name="Beta").urn})
    for tail in ("", "preferences/", "check/"):
        page = client.get(_url(case, tail)).content.decode()
        assert "You have changed your preferences since you sent them" in page, tail
        assert f"{case.reference}-1" in page
    staff = signed_in(Client(), UserFactory(roles=[Role.CASEWORKER]))
    staff_page = staff.get(f"/staff/cases/{case.reference}/").content.decode()
    assert "has changed their preferences since they sent them" in staff_page
    assert "What they sent (receipt" in staff_page
    # Sent again: nothing to flag on either side.
    client.post(_url(case, "check/"))
    assert "changed-since-sent" not in client.get(_url(case)).content.decode()
    assert "changed-since-sent" not in staff.get(f"/staff/cases/{case.reference}/").content.decode()


@pytest.mark.django_db
def test_what_the_family_is_told_when_they_cannot_change_their_list_is_true(
    family: tuple[Client, User, Case],
) -> None:
    client, user, case = family
    round_ = case.round
    with time_machine.travel(round_.preference_opens_at - dt.timedelta(days=3), tick=False):
        signed_in(client, user)
        page = client.get(_url(case)).content.decode()
        assert "You can name your preferences from" in page
        assert "closing date" not in page
        assert "Not yet started" not in page
    with time_machine.travel(WINDOW_OPEN, tick=False):
        signed_in(client, user)
        client.post(_url(case, "preferences/search/"), {"urn": SettingFactory().urn})
        client.post(_url(case, "check/"))
    with time_machine.travel(WINDOW_CLOSED, tick=False):
        signed_in(client, user)
        page = client.get(_url(case, "preferences/"), follow=True).content.decode()
        assert "has passed and you have sent your preferences" in page
        Case.objects.filter(pk=case.pk).update(state=CaseState.CONSULTING)
        page = client.get(_url(case)).content.decode()
        assert "We are already working on the preferences you sent" in page
        assert "closing date" not in page


@pytest.mark.usefixtures("during_window")
def test_search_on_the_kent_file_shows_only_the_phase_best_match_first_with_the_true_count(
    family: tuple[Client, User, Case],
) -> None:
    from phasetransfer.cohort.schools import schools_import
    from phasetransfer.core.geo import DATA_DIR
    from phasetransfer.preferences.selectors import SEARCH_PAGE, settings_search_for

    assert schools_import(source=DATA_DIR / "kent-schools.csv").ok
    client, _, case = family  # a Year 7 (secondary) case
    found = settings_search_for(case, query="Tonbridge")
    names = [s.name for s, _km in found.results]
    assert all(s.serves_secondary for s, _km in found.results)
    for school in ("The Judd School", "Tonbridge Grammar School", "Weald of Kent Grammar School"):
        assert any(school in name for name in names), (school, names)
    assert names[0].startswith("Tonbridge")  # the name begins with what was typed
    assert found.other_phase > 0  # primary schools in Tonbridge, not shown
    page = client.get(_url(case, "preferences/search/"), {"q": "Tonbridge"}).content.decode()
    assert f"{found.total} result" in page
    assert "not take children into" in page
    # More than a page: the count is the whole search's, and the next page continues it.
    many = settings_search_for(case, query="school")
    assert many.total > SEARCH_PAGE
    assert many.pages > 1
    second = settings_search_for(case, query="school", page=2)
    assert {s.pk for s, _ in second.results}.isdisjoint({s.pk for s, _ in many.results})


@pytest.mark.usefixtures("during_window")
def test_a_school_over_the_county_border_imported_by_the_council_can_be_named(
    family: tuple[Client, User, Case],
) -> None:
    from phasetransfer.cohort.schools import schools_import

    surrey = (
        "URN,EstablishmentName,Town,Postcode,LA (code),LA (name),EstablishmentTypeGroup (name),"
        "PhaseOfEducation (name),SchoolCapacity,Latitude,Longitude\n"
        "125290,Oxted School,Oxted,RH8 0AB,936,Surrey,Academies,Secondary,1900,51.257,-0.003\n"
    )
    assert schools_import(source=surrey.encode()).ok
    client, _, case = family
    page = client.get(_url(case, "preferences/search/"), {"q": "Oxted"}).content.decode()
    assert "Oxted School" in page
    client.post(_url(case, "preferences/search/"), {"urn": "125290"})
    assert case.preferences.get().setting.la_name == "Surrey"
