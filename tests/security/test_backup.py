"""A round backed up, deleted and restored comes back exactly; a bad restore writes nothing."""

from __future__ import annotations

import gzip
import json
import stat
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, models

from phasetransfer.models import Case, CaseAccess, Round, Setting, User
from phasetransfer.security.backup import (
    _serialise,
    model_order,
    round_rows,
    shared_rows,
)
from tests.factories.worlds import SecurityWorld, world_for_security
from tests.moments import AFTER_OFFER_DAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> Any:
    with time_machine.travel(AFTER_OFFER_DAY, tick=False):
        built = world_for_security()
        CaseAccess.objects.create(
            case=built.case,
            user=built.users["caseworker"],
            at=AFTER_OFFER_DAY,
            action="view",
            path_name="x",
        )
        yield built


def snapshot(rows: dict[type[models.Model], set[Any]]) -> dict[str, list[dict[str, Any]]]:
    return {m._meta.label: _serialise(m, pks) for m, pks in rows.items()}


def delete_rows(rows: dict[type[models.Model], set[Any]]) -> None:
    """Delete exactly these rows, those pointing at others first, and prove nothing dangles."""
    for model in reversed(model_order(rows)):
        model._base_manager.filter(pk__in=rows[model])._raw_delete(connection.alias)
    connection.check_constraints()


def backup(tmp_path: Path, world: SecurityWorld, name: str = "round.json.gz") -> Path:
    out = tmp_path / name
    call_command("round_backup", "--round", str(world.round.pk), "--out", str(out))
    return out


def test_a_round_survives_backup_deletion_and_restore_into_an_empty_database(
    world: SecurityWorld, tmp_path: Path
) -> None:
    owned = round_rows(world.round)
    shared = shared_rows(owned)
    labels = {m._meta.label for m in owned}
    # The whole pipeline is in it, across the three apps.
    assert {
        "phasetransfer.Case",
        "phasetransfer.Contact",
        "phasetransfer.Preference",
        "phasetransfer.Consultation",
        "phasetransfer.AuditEvent",
        "phasetransfer.CaseAccess",
        "panels.PanelSession",
        "panels.Decision",
        "panels.Recusal",
        "offers.Letter",
        "offers.Release",
    } <= labels
    assert {Setting, User} <= set(shared)
    before_owned, before_shared = snapshot(owned), snapshot(shared)
    out = backup(tmp_path, world)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(gzip.decompress(out.read_bytes()))["round"]["id"] == world.round.pk

    delete_rows(owned)
    # As good as empty: the schools, children and accounts the round used go too.
    for model in reversed(model_order(shared)):
        model._base_manager.filter(pk__in=shared[model]).delete()
    assert not Round.objects.exists()
    assert not User.objects.filter(email="parent@family.example").exists()

    call_command("round_restore", str(out))
    assert snapshot(owned) == before_owned
    assert snapshot(shared) == before_shared
    parent = User.objects.get(email="parent@family.example")
    assert parent.groups.filter(name="Parent or carer").exists()
    # New rows still get fresh ids after the restored ones.
    assert Case.objects.order_by("-pk").first().pk >= world.case.pk


def test_restoring_into_a_database_that_has_the_round_writes_nothing(
    world: SecurityWorld, tmp_path: Path
) -> None:
    out = backup(tmp_path, world)
    before = snapshot(round_rows(world.round))
    with pytest.raises(CommandError, match="already has phasetransfer.Round"):
        call_command("round_restore", str(out))
    assert snapshot(round_rows(world.round)) == before


def test_a_different_school_under_the_same_id_is_refused_before_anything_is_written(
    world: SecurityWorld, tmp_path: Path
) -> None:
    out = backup(tmp_path, world)
    owned = round_rows(world.round)
    delete_rows(owned)
    Setting.objects.filter(pk=world.school_a.pk).update(urn=999999)
    with pytest.raises(CommandError, match="is not the one in the backup"):
        call_command("round_restore", str(out))
    assert not Round.objects.exists()
    assert not CaseAccess.objects.exists()


def test_a_backup_of_another_schema_or_not_a_backup_is_refused(
    world: SecurityWorld, tmp_path: Path
) -> None:
    out = backup(tmp_path, world, "round.json")
    data = json.loads(out.read_text())
    data["schema"]["phasetransfer"] = "0001_initial"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(data))
    delete_rows(round_rows(world.round))
    with pytest.raises(CommandError, match="different database schema"):
        call_command("round_restore", str(changed))
    junk = tmp_path / "junk.json"
    junk.write_text('{"rows": []}')
    with pytest.raises(CommandError, match="not a round backup"):
        call_command("round_restore", str(junk))
    assert not Round.objects.exists()


def test_a_backup_never_overwrites_a_file(world: SecurityWorld, tmp_path: Path) -> None:
    out = backup(tmp_path, world)
    with pytest.raises(CommandError, match="exists"):
        backup(tmp_path, world)
    assert out.exists()
