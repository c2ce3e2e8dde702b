"""The case state machine: the only code that changes ``Case.state``.

Each transition is a named function. It locks nothing and trusts nothing: the
state change is a conditional UPDATE on the state the caller saw, so two
concurrent calls cannot both move a case, and each successful move writes an
audit event in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from phasetransfer.core import clock
from phasetransfer.core.audit import audit_record, audit_record_bulk
from phasetransfer.models import Case, CaseState, User

S = CaseState

# Undecided states a case can be in on offer day; the family is then told "no decision yet".
UNDECIDED = frozenset(
    {S.IDENTIFIED, S.INVITED, S.PREFERENCES_RECEIVED, S.CONSULTING, S.PROPOSED, S.AT_PANEL}
)
_ACTIVE = UNDECIDED | {S.DECIDED, S.OFFER_APPROVED, S.NO_DECISION_YET}


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    needs_reason: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        Transition("invite", frozenset({S.IDENTIFIED}), S.INVITED),
        Transition(
            "receive_preferences",
            frozenset({S.IDENTIFIED, S.INVITED}),
            S.PREFERENCES_RECEIVED,
        ),
        Transition(
            "start_consultation",
            frozenset({S.IDENTIFIED, S.INVITED, S.PREFERENCES_RECEIVED}),
            S.CONSULTING,
        ),
        Transition("propose", frozenset({S.CONSULTING, S.NO_DECISION_YET}), S.PROPOSED),
        Transition("schedule_for_panel", frozenset({S.PROPOSED}), S.AT_PANEL),
        Transition("unschedule", frozenset({S.AT_PANEL}), S.PROPOSED, needs_reason=True),
        Transition("record_decision", frozenset({S.AT_PANEL, S.NO_DECISION_YET}), S.DECIDED),
        Transition(
            "reconsult",
            frozenset({S.PROPOSED, S.AT_PANEL, S.DECIDED, S.NO_DECISION_YET}),
            S.CONSULTING,
            needs_reason=True,
        ),
        # From "no decision yet" too: a case decided before offer day but not signed off was
        # told "no decision yet"; its sign-off afterwards approves it (an amended release).
        Transition("approve_offer", frozenset({S.DECIDED, S.NO_DECISION_YET}), S.OFFER_APPROVED),
        Transition("reopen_decision", frozenset({S.OFFER_APPROVED}), S.DECIDED, needs_reason=True),
        Transition("release_offer", frozenset({S.OFFER_APPROVED}), S.RELEASED),
        Transition("release_no_decision", UNDECIDED | {S.DECIDED}, S.NO_DECISION_YET),
        # A published decision changed (mediation, a tribunal, a correction): approved again,
        # so the next release tells the family (an amended release).
        Transition(
            "amend_decision",
            frozenset({S.RELEASED, S.ACCEPTED, S.APPEALED}),
            S.OFFER_APPROVED,
            needs_reason=True,
        ),
        Transition("accept", frozenset({S.RELEASED}), S.ACCEPTED),
        Transition("appeal", frozenset({S.RELEASED, S.ACCEPTED}), S.APPEALED),
        Transition("withdraw", _ACTIVE, S.WITHDRAWN, needs_reason=True),
    ]
}


class IllegalTransition(Exception):
    def __init__(self, case: Case, transition: str, state: str, detail: str = "") -> None:
        self.case = case
        self.transition = transition
        self.state = state
        message = detail or (
            f"Case {case.reference} cannot {transition.replace('_', ' ')} "
            f"while {CaseState(state).label.lower()}."
        )
        super().__init__(message)


def _move(
    *, case: Case, name: str, actor: User | None, reason: str, now: dt.datetime | None
) -> Case:
    transition = TRANSITIONS[name]
    if transition.needs_reason and not reason.strip():
        raise IllegalTransition(case, name, case.state, "A reason is required for this change.")
    moment = now or clock.now()
    with transaction.atomic():
        current = Case.objects.filter(pk=case.pk).values_list("state", flat=True).first()
        if current is None or current not in transition.sources:
            raise IllegalTransition(case, name, current or case.state)
        changed = Case.objects.filter(pk=case.pk, state=current).update(
            state=transition.target, state_changed_at=moment
        )
        if changed != 1:  # someone else moved it between our read and write
            raise IllegalTransition(case, name, current, "The case changed meanwhile; try again.")
        audit_record(
            case=case,
            action=f"state.{name}",
            actor=actor,
            reason=reason,
            from_state=current,
            to_state=transition.target,
            now=moment,
        )
    case.state = transition.target
    case.state_changed_at = moment
    return case


def allowed_transitions(case: Case) -> list[str]:
    return [t.name for t in TRANSITIONS.values() if case.state in t.sources]


def case_invite(*, case: Case, actor: User | None = None, now: dt.datetime | None = None) -> Case:
    return _move(case=case, name="invite", actor=actor, reason="", now=now)


def case_receive_preferences(
    *, case: Case, actor: User | None, reason: str = "", now: dt.datetime | None = None
) -> Case:
    return _move(case=case, name="receive_preferences", actor=actor, reason=reason, now=now)


def case_start_consultation(
    *, case: Case, actor: User | None, now: dt.datetime | None = None
) -> Case:
    return _move(case=case, name="start_consultation", actor=actor, reason="", now=now)


def case_propose(*, case: Case, actor: User | None, now: dt.datetime | None = None) -> Case:
    return _move(case=case, name="propose", actor=actor, reason="", now=now)


def case_schedule_for_panel(
    *, case: Case, actor: User | None, now: dt.datetime | None = None
) -> Case:
    return _move(case=case, name="schedule_for_panel", actor=actor, reason="", now=now)


def case_unschedule(
    *, case: Case, actor: User | None, reason: str, now: dt.datetime | None = None
) -> Case:
    return _move(case=case, name="unschedule", actor=actor, reason=reason, now=now)


def case_record_decision(
    *, case: Case, actor: User | None, reason: str = "", now: dt.datetime | None = None
) -> Case:
    return _move(case=case, name="record_decision", actor=actor, reason=reason, now=now)


def case_reconsult(
    *, case: Case, actor: User | None, reason: str, now: dt.datetime | None = None
) -> Case:
    return _move(case=case, name="reconsult", actor=actor, reason=reason, now=now)


def case_approve_offer(*, case: Case, actor: User | None, now: dt.datetime | None = None) -> Case:
    return _move(case=case, name="approve_offer", actor=actor, reason="", now=now)


def case_reopen_decision(
    *, case: Case, actor: User | None, reason: str, now: dt.datetime | None = None
) -> Case:
    return _move(case=case, name="reopen_decision", actor=actor, reason=reason, now=now)


def case_amend_decision(
    *, case: Case, actor: User | None, reason: str, now: dt.datetime | None = None
) -> Case:
    return _move(case=case, name="amend_decision", actor=actor, reason=reason, now=now)


def case_release_offer(
    *, case: Case, actor: User | None = None, now: dt.datetime | None = None
) -> Case:
    return _move(case=case, name="release_offer", actor=actor, reason="", now=now)


def case_release_no_decision(
    *, case: Case, actor: User | None = None, reason: str = "", now: dt.datetime | None = None
) -> Case:
    return _move(case=case, name="release_no_decision", actor=actor, reason=reason, now=now)


def case_accept(*, case: Case, actor: User | None, now: dt.datetime | None = None) -> Case:
    return _move(case=case, name="accept", actor=actor, reason="", now=now)


def case_appeal(
    *, case: Case, actor: User | None, reason: str = "", now: dt.datetime | None = None
) -> Case:
    return _move(case=case, name="appeal", actor=actor, reason=reason, now=now)


def case_withdraw(
    *, case: Case, actor: User | None, reason: str, now: dt.datetime | None = None
) -> Case:
    return _move(case=case, name="withdraw", actor=actor, reason=reason, now=now)


def cases_move_bulk(
    *,
    name: str,
    case_ids: list[int],
    actor: User | None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> int:
    """Apply one transition to many cases at once (a whole round's proposals, say).

    Cases not in a source state of the transition are left alone. The rows are
    locked for the update, and each moved case gets its own audit event.
    """
    transition = TRANSITIONS[name]
    if transition.needs_reason and not reason.strip():
        raise ValueError("A reason is required for this change.")
    moment = now or clock.now()
    moved = 0
    with transaction.atomic():
        rows = list(
            Case.objects.select_for_update()
            .filter(pk__in=case_ids, state__in=transition.sources)
            .values_list("pk", "state")
        )
        by_source: dict[str, list[int]] = {}
        for pk, state in rows:
            by_source.setdefault(state, []).append(pk)
        for source, ids in by_source.items():
            moved += Case.objects.filter(pk__in=ids, state=source).update(
                state=transition.target, state_changed_at=moment
            )
            audit_record_bulk(
                events=((pk, {}) for pk in ids),
                action=f"state.{name}",
                actor=actor,
                now=moment,
                reason=reason,
                from_state=source,
                to_state=transition.target,
            )
    return moved
