"""Backing up one round and restoring it: ``manage.py round_backup`` / ``round_restore``.

A backup is a JSON document of every row that belongs to the round, across the apps
(found by following foreign keys back to the round: its cases, their contacts,
preferences, consultations, audit events and access log, the allocation runs, panel
sessions and decisions, letters and releases...), plus the shared rows they point at
(schools, children, user accounts with their roles). Django's own serialiser writes each
row, so a new model that hangs off a case is included without changing this module.

Restoring is all-or-nothing, in one transaction, into a database migrated to the same
schema that does not hold the round: every primary key is kept (so the audit trail's ids
still mean what they meant). Shared rows are matched: a user by email address (and added
if missing), a school or child by id, which must then be the same school (URN) or child
(EHCP reference), or it is refused before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.db import IntegrityError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder

from phasetransfer.core import clock
from phasetransfer.models import Child, Round, Setting, User

FORMAT = "phasetransfer-round-backup"
VERSION = 1
APPS = ("phasetransfer", "panels", "offers")
# How a shared row kept by id is recognised as the same thing in another database.
IDENTITY: dict[type[models.Model], str] = {Setting: "urn", Child: "ehcp_reference"}


class RestoreRefused(Exception):
    """The backup cannot go into this database; nothing was written."""


Rows = dict[type[models.Model], set[Any]]


def _related_model(target: object) -> type[models.Model]:
    """A relation's model: always a class once the apps are loaded (never "self" or a name)."""
    assert isinstance(target, type), target
    assert issubclass(target, models.Model), target
    return target


def _reverse_links(model: type[models.Model]) -> Iterable[tuple[type[models.Model], str]]:
    for relation in model._meta.related_objects:
        if relation.many_to_many or relation.related_model is None:
            continue
        yield _related_model(relation.related_model), relation.field.name


def round_rows(round_: Round) -> Rows:
    """Every row that exists because of ``round``: followed back through foreign keys."""
    owned: Rows = defaultdict(set)
    owned[Round].add(round_.pk)
    queue: list[tuple[type[models.Model], set[Any]]] = [(Round, {round_.pk})]
    while queue:
        model, pks = queue.pop()
        for related, field_name in _reverse_links(model):
            found = set(
                related._base_manager.filter(**{f"{field_name}__in": pks}).values_list(
                    "pk", flat=True
                )
            )
            new = found - owned[related]
            if new:
                owned[related] |= new
                queue.append((related, new))
    return dict(owned)


def _forward_links(model: type[models.Model]) -> Iterable[models.ForeignKey]:
    for model_field in model._meta.concrete_fields:
        if isinstance(model_field, models.ForeignKey):
            yield model_field


def shared_rows(owned: Rows) -> Rows:
    """The rows outside the round that its rows point at (schools, children, accounts)."""
    shared: Rows = defaultdict(set)
    queue = list(owned.items())
    while queue:
        model, pks = queue.pop()
        for fk in _forward_links(model):
            target = _related_model(fk.related_model)
            values = model._base_manager.filter(pk__in=pks).values_list(fk.attname, flat=True)
            wanted = {v for v in values if v is not None} - owned.get(target, set())
            new = wanted - shared[target]
            if new:
                shared[target] |= new
                queue.append((target, new))
    return dict(shared)


def model_order(models_: Iterable[type[models.Model]]) -> list[type[models.Model]]:
    """Models with the ones others point at first (self-references aside)."""
    pending = sorted(set(models_), key=lambda m: m._meta.label)
    ordered: list[type[models.Model]] = []
    while pending:
        for model in pending:
            needs = {_related_model(fk.related_model) for fk in _forward_links(model)} - {model}
            if not needs & (set(pending) - {model}):
                ordered.append(model)
                pending.remove(model)
                break
        else:  # a cycle: keep going in name order; foreign keys are checked at the end
            ordered.append(pending.pop(0))
    return ordered


def _serialise(model: type[models.Model], pks: set[Any]) -> list[dict[str, Any]]:
    rows = model._base_manager.filter(pk__in=pks).order_by("pk")
    return serializers.serialize("python", rows, use_natural_foreign_keys=True)


def _schema() -> dict[str, str]:
    applied = MigrationRecorder.Migration.objects.filter(app__in=APPS).order_by("app", "name")
    latest: dict[str, str] = {}
    for app, name in applied.values_list("app", "name"):
        latest[app] = max(latest.get(app, ""), name)
    return latest


def round_backup(*, round_: Round, now: dt.datetime | None = None) -> dict[str, Any]:
    """The round as a JSON-ready document (see the module's docstring)."""
    owned = round_rows(round_)
    shared = shared_rows(owned)
    return {
        "format": FORMAT,
        "version": VERSION,
        "created_at": (now or clock.now()).isoformat(),
        "round": {
            "id": round_.pk,
            "name": round_.name,
            "key": f"{round_.phase}-{round_.entry_year}",
        },
        "schema": _schema(),
        "counts": {m._meta.label: len(p) for m, p in sorted(owned.items(), key=_label)},
        "shared": [row for m in model_order(shared) for row in _serialise(m, shared[m])],
        "rows": [row for m in model_order(owned) for row in _serialise(m, owned[m])],
    }


def _label(item: tuple[type[models.Model], set[Any]]) -> str:
    return item[0]._meta.label


# --- Restore ---------------------------------------------------------------------------


@dataclass
class RestoreReport:
    round_name: str
    rows: dict[str, int] = field(default_factory=dict)
    users_added: int = 0
    shared_added: int = 0

    def summary(self) -> str:
        total = sum(self.rows.values())
        return (
            f"Restored {self.round_name}: {total} rows in {len(self.rows)} tables; "
            f"{self.users_added} user account(s) and {self.shared_added} school/child row(s) "
            "added."
        )


def _check_document(data: Any) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RestoreRefused("This is not a round backup made by round_backup.")
    if data.get("version") != VERSION:
        raise RestoreRefused(f"Backup version {data.get('version')}; this service reads 1.")
    here = _schema()
    if data.get("schema") != here:
        raise RestoreRefused(
            "The backup was made with a different database schema "
            f"({data.get('schema')}; this database has {here}). Restore it into a "
            "deployment of the same version."
        )


def _model(row: dict[str, Any]) -> type[models.Model]:
    return apps.get_model(row["model"])


def _restore_user(row: dict[str, Any], report: RestoreReport) -> None:
    email = row["fields"]["email"]
    if User._base_manager.filter(email__iexact=email).exists():
        return  # the account is here already: the round's rows point at it by email
    (obj,) = serializers.deserialize("python", [row])
    if User._base_manager.filter(pk=row["pk"]).exists():
        obj.object.pk = None  # another account has the id: references use the email
    obj.save()
    report.users_added += 1


def _restore_shared_row(row: dict[str, Any], report: RestoreReport) -> None:
    model = _model(row)
    existing = model._base_manager.filter(pk=row["pk"]).first()
    identity = IDENTITY.get(model)
    if existing is not None:
        if identity and getattr(existing, identity) != row["fields"][identity]:
            raise RestoreRefused(
                f"{model._meta.verbose_name} {row['pk']} in this database is not the one in "
                f"the backup ({identity} {getattr(existing, identity)} here, "
                f"{row['fields'][identity]} in the backup)."
            )
        return
    (obj,) = serializers.deserialize("python", [row])
    obj.save()
    report.shared_added += 1


def _refuse_if_present(rows: list[dict[str, Any]]) -> None:
    by_model: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_model[row["model"]].append(row["pk"])
    for label, pks in by_model.items():
        model = apps.get_model(label)
        clash = model._base_manager.filter(pk__in=pks).values_list("pk", flat=True)
        first = next(iter(clash), None)
        if first is not None:
            raise RestoreRefused(
                f"This database already has {model._meta.label} {first} (and maybe more of "
                "the round): "
                "restore into an empty database or one without this round."
            )


def _finish(touched: set[type[models.Model]]) -> None:
    """Check every foreign key now, and move id sequences past the restored ids."""
    connection.check_constraints(table_names=[m._meta.db_table for m in touched])
    statements = connection.ops.sequence_reset_sql(no_style(), list(touched))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def round_restore(*, data: Any) -> RestoreReport:
    """Put a backed-up round back, all or nothing (see the module's docstring)."""
    _check_document(data)
    report = RestoreReport(round_name=str(data["round"]["name"]))
    touched: set[type[models.Model]] = set()
    try:
        with transaction.atomic():
            _refuse_if_present(data["rows"])
            for row in data["shared"]:
                model = _model(row)
                touched.add(model)
                if model is User:
                    _restore_user(row, report)
                else:
                    _restore_shared_row(row, report)
            for obj in serializers.deserialize("python", data["rows"]):
                obj.save()
                model = type(obj.object)
                touched.add(model)
                report.rows[model._meta.label] = report.rows.get(model._meta.label, 0) + 1
            _finish(touched)
    except (IntegrityError, serializers.base.DeserializationError) as exc:
        raise RestoreRefused(f"Nothing was restored: {exc}") from exc
    return report
