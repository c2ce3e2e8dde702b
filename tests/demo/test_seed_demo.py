"""seed_demo: real schools, synthetic everything else, deterministic for a seed."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.core.management import call_command

from phasetransfer.demo.seed import DemoAlreadyLoaded, demo_seed
from phasetransfer.models import (
    AuditEvent,
    Case,
    Child,
    Contact,
    Round,
    Setting,
    SettingPlaces,
    User,
)

TODAY = dt.date(2026, 11, 27)


def _digest() -> str:
    rows = [
        list(
            Child.objects.order_by("ehcp_reference").values_list(
                "ehcp_reference",
                "first_name",
                "last_name",
                "date_of_birth",
                "primary_need",
                "home_postcode",
                "home_latitude",
                "current_setting__urn",
            )
        ),
        list(
            Contact.objects.order_by("case__reference").values_list(
                "case__reference", "name", "email"
            )
        ),
        list(
            SettingPlaces.objects.order_by("round__phase", "setting__urn").values_list(
                "setting__urn", "places"
            )
        ),
        list(Setting.objects.order_by("urn").values_list("urn", "designated_needs")),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _wipe() -> None:
    AuditEvent.objects.all().delete()
    Contact.objects.all().delete()
    Case.objects.all().delete()
    Child.objects.all().delete()
    Round.objects.all().delete()
    Setting.objects.filter(host__isnull=False).delete()
    Setting.objects.all().delete()
    User.objects.all().delete()


@pytest.mark.django_db
def test_the_demo_is_built_on_the_529_real_schools_and_labels_the_rest_synthetic() -> None:
    summary = demo_seed(secondary_children=60, post16_children=40, today=TODAY)

    assert Setting.objects.filter(is_synthetic=False).count() == 529
    invented = Setting.objects.filter(is_synthetic=True)
    assert invented.exists()
    assert all(s.designations_synthetic for s in invented)
    assert Child.objects.filter(is_synthetic=False).count() == 0
    assert summary.cases == Case.objects.count() == 100
    assert set(Round.objects.values_list("is_synthetic", flat=True)) == {True}
    assert not SettingPlaces.objects.filter(is_synthetic=False).exists()
    assert {r.entry_year for r in summary.rounds} == {2027}
    roles = [role for role, _ in summary.logins]
    assert roles[:4] == ["Administrator", "Caseworker", "Panel chair", "Panel member"]


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_demo_and_another_seed_does_not() -> None:
    demo_seed(secondary_children=50, post16_children=30, seed=7, today=TODAY)
    first = _digest()
    _wipe()
    demo_seed(secondary_children=50, post16_children=30, seed=7, today=TODAY)
    assert _digest() == first
    _wipe()
    demo_seed(secondary_children=50, post16_children=30, seed=8, today=TODAY)
    assert _digest() != first


@pytest.mark.django_db
def test_needs_follow_the_national_mix_at_kent_scale() -> None:
    demo_seed(today=TODAY)
    assert Case.objects.filter(round__phase="secondary").count() == 1236
    assert Case.objects.filter(round__phase="post16").count() == 1400
    share_asd = Child.objects.filter(primary_need="ASD").count() / Child.objects.count()
    assert 0.27 < share_asd < 0.36  # 31.5% of EHC plans in England, January 2025


@pytest.mark.django_db
def test_loading_twice_is_refused_unless_asked_to_skip() -> None:
    demo_seed(secondary_children=5, post16_children=5, today=TODAY)
    with pytest.raises(DemoAlreadyLoaded):
        demo_seed(secondary_children=5, post16_children=5, today=TODAY)
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "already loaded" in out.getvalue()


@pytest.mark.django_db
def test_the_command_prints_the_demo_logins() -> None:
    out = io.StringIO()
    call_command("seed_demo", "--children", "10", "--post16-children", "10", stdout=out)
    text = out.getvalue()
    assert "caseworker01@kent-demo.example" in text
    assert "parent@family.example" in text
