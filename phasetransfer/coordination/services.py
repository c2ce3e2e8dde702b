"""Changes the co-ordination team makes: moving cases between caseworkers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record_bulk
from phasetransfer.core.roles import Role, has_role
from phasetransfer.models import Case, User


class ReassignRefused(Exception):
    pass


def cases_reassign(
    *,
    case_ids: Iterable[int],
    caseworker: User,
    actor: User | None,
    now: dt.datetime | None = None,
) -> int:
    """Give the cases to ``caseworker``; one audit event per case that changed hands.

    Only an active account with the caseworker role can hold cases. Cases already
    with that caseworker are left alone (no event). Returns how many moved. The rows
    are locked, so two co-ordinators reassigning the same case cannot both record the
    same "from".
    """
    if not caseworker.is_active or not has_role(caseworker, Role.CASEWORKER):
        raise ReassignRefused(f"{caseworker} is not a caseworker: only caseworkers hold cases.")
    moment = now or clock.now()
    ids = sorted(set(case_ids))
    with transaction.atomic():
        rows = list(
            Case.objects.select_for_update()
            .filter(pk__in=ids)
            .exclude(caseworker=caseworker)
            .values_list("pk", "caseworker_id")
        )
        moving = [pk for pk, _ in rows]
        Case.objects.filter(pk__in=moving).update(caseworker=caseworker)
        audit_record_bulk(
            events=(
                (pk, {"from_caseworker": previous, "to_caseworker": caseworker.pk})
                for pk, previous in rows
            ),
            action="case.reassigned",
            actor=actor,
            now=moment,
        )
    return len(moving)
