"""Nearest-school advice that is true for this child: single-sex schools only for that sex,
grammar schools shown apart (not "nearest" for travel), and what is not known said so."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from phasetransfer.cohort.schools import admissions_import, schools_import
from phasetransfer.core.roles import Role
from phasetransfer.models import Case, Setting, SettingKind
from phasetransfer.preferences.nearest import nearest_mainstream, nearest_selective
from tests.conftest import signed_in
from tests.factories import ContactFactory, RoundFactory, SettingFactory, UserFactory

HOME = (51.197, 0.078)  # Edenbridge


def _school(name: str, km_north: float, gender: str = "mixed", policy: str = "") -> Setting:
    return SettingFactory(
        name=name,
        kind=SettingKind.MAINSTREAM_ACADEMY,
        latitude=HOME[0] + km_north / 111.2,
        longitude=HOME[1],
        gender=gender,
        admissions_policy=policy,
    )


@pytest.fixture
def schools() -> dict[str, Setting]:
    return {
        "judd": _school("The Judd School", 1, "boys", "selective"),
        "girls_grammar": _school("Weald of Kent Grammar School", 2, "girls", "selective"),
        "boys": _school("Boys' Academy", 3, "boys", "non_selective"),
        "girls": _school("Girls' Academy", 4, "girls", "non_selective"),
        "mixed": _school("Mixed Academy", 5, "mixed", "non_selective"),
        "unknown": _school("Unrecorded Academy", 6, "", ""),
    }


def _case(sex: str) -> Case:
    contact = ContactFactory(
        case__round=RoundFactory(),
        case__child__sex=sex,
        case__child__home_latitude=HOME[0],
        case__child__home_longitude=HOME[1],
    )
    return contact.case


def _names(found: list) -> list[str]:
    return [near.setting.name for near in found]


@pytest.mark.django_db
def test_a_girl_is_not_told_a_boys_grammar_school_is_her_nearest(schools: dict) -> None:
    girl = _case("female")
    assert _names(nearest_mainstream(girl, limit=3)) == [
        "Girls' Academy",
        "Mixed Academy",
        "Unrecorded Academy",  # not known: not left out on a guess
    ]
    assert _names(nearest_selective(girl)) == ["Weald of Kent Grammar School"]


@pytest.mark.django_db
def test_a_boy_gets_boys_and_mixed_schools_and_the_boys_grammar_apart(schools: dict) -> None:
    boy = _case("male")
    assert _names(nearest_mainstream(boy, limit=2)) == ["Boys' Academy", "Mixed Academy"]
    assert _names(nearest_selective(boy)) == ["The Judd School"]


@pytest.mark.django_db
def test_with_the_sex_not_recorded_single_sex_schools_are_left_out_and_the_page_says_so(
    client: Client, schools: dict
) -> None:
    case = _case("")
    assert _names(nearest_mainstream(case, limit=2)) == ["Mixed Academy", "Unrecorded Academy"]
    assert nearest_selective(case) == []
    user = UserFactory(roles=[Role.PARENT])
    case.contacts.update(user=user, email=user.email)
    page = signed_in(client, user).get(f"/family/{case.reference}/nearest/").content.decode()
    assert "boys' and girls' schools are not listed here" in page


@pytest.mark.django_db
def test_the_nearest_page_shows_grammar_schools_apart_marked_selective(
    client: Client, schools: dict
) -> None:
    girl = _case("female")
    user = UserFactory(roles=[Role.PARENT])
    girl.contacts.update(user=user, email=user.email)
    page = signed_in(client, user).get(f"/family/{girl.reference}/nearest/").content.decode()
    assert "Nearest grammar schools" in page
    assert "Selective: Kent Test" in page
    assert "The Judd School" not in page
    travel = page[page.index("govuk-inset-text") :]
    assert "Girls&#x27; Academy" in travel or "Girls' Academy" in travel


GIAS = (
    "URN,EstablishmentName,Town,Postcode,LA (code),LA (name),EstablishmentTypeGroup (name),"
    "PhaseOfEducation (name),SchoolCapacity,Latitude,Longitude,Gender (name),"
    "AdmissionsPolicy (name)\n"
    "900001,Alpha Grammar,Tonbridge,TN9 1AA,886,Kent,Academies,Secondary,900,51.19,0.27,"
    "Boys,Selective\n"
    "900002,Beta School,Tonbridge,TN9 1AB,886,Kent,Academies,Secondary,900,51.19,0.28,"
    "Mixed,Not applicable\n"
)


@pytest.mark.django_db
def test_gias_gender_and_admissions_load_and_a_bad_value_is_refused_with_its_row() -> None:
    assert schools_import(source=GIAS.encode()).ok
    alpha, beta = Setting.objects.get(urn=900001), Setting.objects.get(urn=900002)
    assert (alpha.gender, alpha.admissions_policy) == ("boys", "selective")
    assert (beta.gender, beta.admissions_policy) == ("mixed", "")  # "Not applicable": not known
    bad = admissions_import(
        source=io.BytesIO(
            b"URN,Gender (name),AdmissionsPolicy (name)\n"
            b"900001,Girls,Selective\n900002,Robots,Selective\n999999,Boys,unknown\n"
        ).getvalue()
    )
    assert not bad.ok
    assert [(e.row, e.column) for e in bad.errors] == [
        (3, "Gender (name)"),
        (4, "URN"),
    ]
    alpha.refresh_from_db()
    assert alpha.gender == "boys"  # all or nothing
    good = admissions_import(source=b"URN,Gender (name),AdmissionsPolicy (name)\n900002,Girls,\n")
    assert good.ok
    beta.refresh_from_db()
    assert (beta.gender, beta.admissions_policy) == ("girls", "")


@pytest.mark.django_db
def test_the_shipped_kent_admissions_file_loads_and_tonbridge_girls_are_not_sent_to_the_judd() -> (
    None
):
    from phasetransfer.core.geo import DATA_DIR

    assert schools_import(source=DATA_DIR / "kent-schools.csv").ok
    report = admissions_import(source=DATA_DIR / "kent-secondary-admissions.csv")
    assert report.ok, report.errors
    judd = Setting.objects.get(name="The Judd School")
    assert (judd.gender, judd.admissions_policy) == ("boys", "selective")
    assert Setting.objects.filter(admissions_policy="selective").count() == 32
    girl = _case("female")
    # A home in Tonbridge this time.
    girl.child.home_latitude, girl.child.home_longitude = 51.195, 0.273
    girl.child.save()
    names = _names(nearest_mainstream(girl, limit=5))
    assert "The Judd School" not in names
    assert "Tonbridge Grammar School" not in names  # selective: shown apart
    assert "Tonbridge Grammar School" in _names(nearest_selective(girl, limit=5))
