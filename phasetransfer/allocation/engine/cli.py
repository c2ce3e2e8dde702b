"""``python -m phasetransfer.allocation solve [--compare] PROBLEM.json``.

Exit status 0 with the JSON on stdout, or 2 with nothing on stdout and exactly one line on
stderr, so scripts can tell a bad file from a good allocation without parsing text.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import BinaryIO, TextIO

from phasetransfer.allocation.engine.fairness import compare
from phasetransfer.allocation.engine.parsing import decode_problem, load_problem
from phasetransfer.allocation.engine.problem import Problem, ProblemError
from phasetransfer.allocation.engine.result import allocation_to_json, dumps
from phasetransfer.allocation.engine.solver import SolverError, solve

USAGE = "usage: python -m phasetransfer.allocation solve [--compare] PROBLEM.json"
HELP = f"""{USAGE}

Reads an allocation problem (JSON) and prints the minimum-cost allocation as JSON.
PROBLEM.json may be "-" to read standard input.

  --compare   print fairness figures of min-cost flow vs deferred acceptance instead

Exit status: 0 success, 2 bad arguments or bad problem (one line on stderr), 1 solver failure.
See docs/allocation.md for the file formats.
"""


class UsageError(Exception):
    pass


def _parse_args(argv: Sequence[str]) -> tuple[str, bool]:
    if not argv or argv[0] != "solve":
        raise UsageError('expected the command "solve"')
    flags = [arg for arg in argv[1:] if arg.startswith("--")]
    paths = [arg for arg in argv[1:] if not arg.startswith("--")]
    for flag in flags:
        if flag != "--compare":
            raise UsageError(f"unknown option {json.dumps(flag)}")
    if len(paths) != 1:
        raise UsageError(f"expected one problem file, got {len(paths)}")
    return paths[0], bool(flags)


def _load(path: str, stdin: BinaryIO) -> Problem:
    if path == "-":
        return decode_problem(stdin.read(), "standard input")
    return load_problem(path)


def main(
    argv: Sequence[str] | None = None,
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line; returns the exit status. Streams default to the process's."""
    args = sys.argv[1:] if argv is None else argv
    stdin = stdin or sys.stdin.buffer
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    if list(args) in (["-h"], ["--help"]):
        stdout.write(HELP)
        return 0
    try:
        path, comparing = _parse_args(args)
        problem = _load(path, stdin)
        # Build the whole text before writing so a failure never leaves partial stdout.
        text = dumps(compare(problem)) if comparing else allocation_to_json(solve(problem))
    except UsageError as error:
        stderr.write(f"{USAGE} ({error})\n")
        return 2
    except ProblemError as error:
        stderr.write(f"error: {error}\n")
        return 2
    except SolverError as error:
        stderr.write(f"error: {error}\n")
        return 1
    stdout.write(text)
    stdout.flush()
    return 0
