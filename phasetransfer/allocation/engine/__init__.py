"""Pure-Python allocation model: children with EHCPs to settings at phase transfer.

No Django here: the web layer builds a ``Problem`` (or a JSON file, see docs/allocation.md),
calls ``solve`` and stores the ``Allocation``.
"""

from phasetransfer.allocation.engine.deferred_acceptance import deferred_acceptance
from phasetransfer.allocation.engine.fairness import compare, fairness_report
from phasetransfer.allocation.engine.parsing import load_problem, parse_problem
from phasetransfer.allocation.engine.problem import (
    ChildSpec,
    GroupSpec,
    Option,
    Problem,
    ProblemError,
    SettingSpec,
)
from phasetransfer.allocation.engine.result import (
    COST,
    FULL,
    Allocation,
    Reason,
    allocation_to_json,
)
from phasetransfer.allocation.engine.solver import SolverError, solve

__all__ = [
    "COST",
    "FULL",
    "Allocation",
    "ChildSpec",
    "GroupSpec",
    "Option",
    "Problem",
    "ProblemError",
    "Reason",
    "SettingSpec",
    "SolverError",
    "allocation_to_json",
    "compare",
    "deferred_acceptance",
    "fairness_report",
    "load_problem",
    "parse_problem",
    "solve",
]
