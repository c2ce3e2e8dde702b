"""Reads of cases: which cases a family may see, a case for staff pages, the rounds' counts.

Selectors return ``None`` for "no such row"; the views turn that into a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from phasetransfer.models import Case, CaseState, Round, User


def cases_of_family(*, user: User) -> QuerySet[Case]:
    """The cases a parent, carer or young person has linked to their account, and only those."""
    return (
        Case.objects.filter(contacts__user=user)
        .select_related("child", "round")
        .distinct()
        .order_by("-round__entry_year", "reference")
    )


def case_for_family(*, user: User, reference: str) -> Case | None:
    """One of the user's own cases; ``None`` for any other reference, so nothing is revealed."""
    return cases_of_family(user=user).filter(reference=reference).first()


def case_for_staff(*, reference: str) -> Case | None:
    """A case with what its staff pages show about the child and who holds it."""
    return (
        Case.objects.select_related("child", "round", "caseworker", "child__current_setting")
        .filter(reference=reference)
        .first()
    )


@dataclass(frozen=True)
class RoundOverview:
    round: Round
    total: int
    states: list[tuple[str, int]]  # (state label, cases), in the state machine's order


def rounds_overview() -> list[RoundOverview]:
    """Every round with its number of cases in each state (one query for the counts)."""
    counts = {
        (row["round"], row["state"]): row["n"]
        for row in Case.objects.values("round", "state").annotate(n=Count("id"))
    }
    return [
        RoundOverview(
            round=r,
            total=sum(n for (round_id, _), n in counts.items() if round_id == r.pk),
            states=[
                (str(state.label), counts[(r.pk, state.value)])
                for state in CaseState
                if (r.pk, state.value) in counts
            ],
        )
        for r in Round.objects.all()
    ]
