"""What an allocation run returns, and its exact JSON form."""

from __future__ import annotations

import json
from dataclasses import dataclass

# Reason codes the model itself produces. The Django layer adds its own codes (for example
# consultation grounds for options it removed before solving) using the same ``Reason`` type.
FULL = "full"  # the setting, or the group it belongs to, is at capacity in this allocation
COST = "cost"  # there was room, but the model preferred a cheaper overall allocation

STATUS_OPTIMAL = "optimal"  # min-cost flow: provably minimum total cost
STATUS_STABLE = "stable"  # deferred acceptance: no setting rejects a child it prefers


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a child did not get one of the options they ranked above their placement."""

    setting: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"setting": self.setting, "reason": self.reason}


@dataclass(frozen=True)
class Allocation:
    """One setting (or None = unplaced) per child, plus reasons.

    ``reasons`` has an entry only for children who did not get their first option (unplaced
    children included); each lists the higher-ranked options in the family's order.
    """

    status: str
    objective: int
    assignments: dict[str, str | None]
    reasons: dict[str, list[Reason]]

    def to_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "objective": self.objective,
            "assignments": self.assignments,
            "reasons": {
                child: [reason.to_dict() for reason in reasons]
                for child, reasons in self.reasons.items()
            },
        }


def dumps(value: object) -> str:
    """The one JSON encoding used for output: sorted keys and fixed separators, so the same
    input always gives byte-identical output whatever order dicts were filled in."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n"


def allocation_to_json(allocation: Allocation) -> str:
    """The allocation as the file contract's JSON text (one line, newline-terminated)."""
    return dumps(allocation.to_dict())
