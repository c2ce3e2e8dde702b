"""What offers tells the core's co-ordination board (registered in ``OffersConfig.ready``).

The core cannot import offers, so it asks through the providers registered here, each
one query (or two) for a whole round: what each family was told (published releases), the
round's mediations and SEND Tribunal appeals, and its post-16 conditional offers. The
board's stages after offer day, its "until every child has a school" milestones and the
round figures are computed from these records in ``phasetransfer/coordination/``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from offers.models import Appeal, LetterKind, Mediation, Release
from panels.models import Decision, Outcome
from phasetransfer.coordination.providers import (
    AppealRecord,
    AppealResult,
    ConditionalRecord,
    MediationRecord,
    MediationResult,
    ReleaseRecord,
    SettledResult,
)
from phasetransfer.models import Round


def releases(round_: Round) -> list[ReleaseRecord]:
    """Every published release of the round's cases; an offer names a setting when its
    decision does (a decision naming only a type of setting names none)."""
    rows = Release.objects.filter(round=round_, completed_at__isnull=False).values_list(
        "case_id", "number", "completed_at", "kind", "decision__setting_id"
    )
    return [
        ReleaseRecord(
            case_id=case_id,
            number=number,
            completed_at=completed_at,
            names_setting=kind == LetterKind.OFFER and setting_id is not None,
        )
        for case_id, number, completed_at, kind, setting_id in rows
        if completed_at is not None  # as filtered: the type does not know it
    ]


def mediations(round_: Round) -> list[MediationRecord]:
    rows = Mediation.objects.filter(case__round=round_).values_list(
        "case_id",
        "requested_on",
        "meeting_on",
        "ended_on",
        "certificate_issued_on",
        "outcome",
        "changed_decision_id",
    )
    return [
        MediationRecord(
            case_id=case_id,
            requested_on=requested_on,
            meeting_on=meeting_on,
            ended_on=ended_on,
            certificate_issued_on=certificate_issued_on,
            outcome=MediationResult(outcome),
            changed_decision=changed_decision_id is not None,
        )
        for (
            case_id,
            requested_on,
            meeting_on,
            ended_on,
            certificate_issued_on,
            outcome,
            changed_decision_id,
        ) in rows
    ]


def appeals(round_: Round) -> list[AppealRecord]:
    rows = Appeal.objects.filter(case__round=round_).values_list(
        "case_id",
        "lodged_on",
        "independent_requested",
        "response_due_on",
        "hearing_on",
        "outcome",
        "ordered_setting_id",
        "order_due_on",
        "implemented_on",
    )
    return [
        AppealRecord(
            case_id=case_id,
            lodged_on=lodged_on,
            independent_requested=independent,
            response_due_on=response_due_on,
            hearing_on=hearing_on,
            outcome=AppealResult(outcome),
            # Only an order (or a concession) naming a setting is carried out.
            order_due_on=order_due_on if ordered_setting_id is not None else None,
            implemented_on=implemented_on,
        )
        for (
            case_id,
            lodged_on,
            independent,
            response_due_on,
            hearing_on,
            outcome,
            ordered_setting_id,
            order_due_on,
            implemented_on,
        ) in rows
    ]


@dataclass(frozen=True)
class _Step:
    """One decision of a case, as the walk along its chain of changes needs it."""

    pk: int
    case_id: int
    outcome: str
    settled: str
    decided_at: dt.datetime


def _first_conditional_releases(round_: Round) -> dict[int, tuple[dt.datetime, int]]:
    """case id -> (when, which decision) of its first published release of a conditional one."""
    first: dict[int, tuple[dt.datetime, int]] = {}
    published = (
        Release.objects.filter(
            round=round_, completed_at__isnull=False, decision__outcome=Outcome.CONDITIONAL
        )
        .order_by("completed_at", "number")
        .values_list("case_id", "completed_at", "decision_id")
    )
    for case_id, completed_at, decision_id in published:
        if completed_at is not None and decision_id is not None:  # as filtered
            first.setdefault(case_id, (completed_at, decision_id))
    return first


def _chains(round_: Round) -> tuple[dict[int, _Step], dict[int, int], dict[int, _Step]]:
    """Every decision of the round's cases that ever had a conditional one: (decision id ->
    step, decision id -> the decision that superseded it, case id -> its current decision)."""
    with_conditional = Decision.objects.filter(
        case__round=round_, outcome=Outcome.CONDITIONAL
    ).values("case_id")
    rows = (
        Decision.objects.filter(case_id__in=with_conditional)
        .order_by("case_id", "decided_at", "id")
        .values_list("pk", "case_id", "outcome", "settled", "decided_at", "supersedes_id")
    )
    steps: dict[int, _Step] = {}
    next_of: dict[int, int] = {}
    for pk, case_id, outcome, settled, decided_at, supersedes_id in rows:
        steps[pk] = _Step(pk, case_id, outcome, settled, decided_at)
        if supersedes_id is not None:
            next_of[supersedes_id] = pk
    current: dict[int, _Step] = {}
    for step in steps.values():  # in decided order: the case's last current decision wins
        if step.pk not in next_of:
            current[step.case_id] = step
    return steps, next_of, current


def conditional_offers(round_: Round) -> list[ConditionalRecord]:
    """A record per case with a conditional offer: made (a published release carried a
    conditional decision) or decided and not yet released (the current decision is
    conditional, with no release of one yet).

    From the decision the first such release published, the chain of changes is followed
    to the first decision that is not conditional (a panel may change the condition and
    the offer stays conditional): with ``settled`` set it settled the offer (results day,
    a provider's confirmation), otherwise it replaced the offer unsettled (a mediation, a
    tribunal's order). A conditional decision changed before any release of it was never
    made, so it is not recorded unless the case's current decision is still conditional.
    """
    first_release = _first_conditional_releases(round_)
    steps, next_of, current = _chains(round_)
    records: list[ConditionalRecord] = []
    for case_id, latest in current.items():
        if case_id not in first_release:
            if latest.outcome == Outcome.CONDITIONAL:
                records.append(ConditionalRecord(case_id=case_id, first_released_at=None))
            continue
        released_at, decision_id = first_release[case_id]
        step = steps[decision_id]
        while step.outcome == Outcome.CONDITIONAL and step.pk in next_of:
            step = steps[next_of[step.pk]]
        if step.outcome == Outcome.CONDITIONAL:  # still conditional
            records.append(ConditionalRecord(case_id=case_id, first_released_at=released_at))
        elif step.settled:
            records.append(
                ConditionalRecord(
                    case_id=case_id,
                    first_released_at=released_at,
                    settled_at=step.decided_at,
                    settled=SettledResult(step.settled),
                )
            )
        else:
            records.append(
                ConditionalRecord(
                    case_id=case_id, first_released_at=released_at, replaced_at=step.decided_at
                )
            )
    return records
