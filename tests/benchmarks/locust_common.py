"""What the two locust load tests share: accounts, sign-in names, cookies and the report."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from http.cookiejar import Cookie
from pathlib import Path
from typing import Any

from locust.stats import StatsEntry

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SIGN_IN_FORM = "sign in (form)"
SIGN_IN = "sign in (POST)"


def accounts_load(path: Path) -> dict[str, Any]:
    """The seeded ``{"password", "accounts"}``; none if the seed has not run (locust --help)."""
    return json.loads(path.read_text()) if path.exists() else {"accounts": []}


def cookies_over_http(cookies: Iterable[Cookie]) -> None:
    """Let the client send the session and CSRF cookies back over plain http.

    With DEBUG=false the app marks them Secure, as it must in production, and an HTTP
    client never sends a Secure cookie over plain http; the benchmarks talk to gunicorn
    directly (no TLS proxy), so they play the part of a browser on https.
    """
    for cookie in cookies:
        cookie.secure = False


def table_row(label: str, entry: StatsEntry, *, with_counts: bool = False) -> str:
    """A Markdown row: requests, errors (with their count if asked), p50, p95 and p99 in ms."""
    p50, p95, p99 = (entry.get_response_time_percentile(p) for p in (0.5, 0.95, 0.99))
    errors = (
        f"{entry.num_failures} ({entry.fail_ratio:.2%})"
        if with_counts
        else f"{entry.fail_ratio:.2%}"
    )
    return f"| {label} | {entry.num_requests} | {errors} | {p50:.0f} | {p95:.0f} | {p99:.0f} |"


def report_write(lines: list[str], path: str | None) -> None:
    """Print the report, and write it to ``path`` when one is given."""
    text = "\n".join(lines)
    print("\n" + text)
    if path:
        Path(path).write_text(text + "\n")
