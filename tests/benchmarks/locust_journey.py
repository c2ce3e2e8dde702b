"""Locust users for the family journey's load test (``run_journey_load.sh`` runs it).

Each simulated user signs in as its own seeded parent (``seed_journey_users.py`` writes
the accounts to ``JOURNEY_USERS_FILE``), then walks the journey's read pages, adds a
preference through search and reasons, removes it again and ends on check answers, over
and over, pausing ``JOURNEY_WAIT`` seconds (default "1,3") between pages as a quick
reader would. Every request is checked (status, redirect target, a phrase of the page)
so an error page counts as an error, not as a fast answer. At the end it prints, and
writes to ``JOURNEY_REPORT_FILE``, a Markdown table of p50/p95/p99 and the error rate
per page, for the journey pages together and for every request.
"""

from __future__ import annotations

import itertools
import os
import random
import re
from pathlib import Path
from typing import Any

from locust import HttpUser, SequentialTaskSet, between, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.stats import StatsEntry

from tests.benchmarks.locust_common import (
    CSRF_TOKEN,
    SIGN_IN,
    SIGN_IN_FORM,
    accounts_load,
    cookies_over_http,
    report_write,
    table_row,
)

USERS_FILE = Path(os.environ.get("JOURNEY_USERS_FILE", "var/bench/journey_users.json"))
REPORT_FILE = os.environ.get("JOURNEY_REPORT_FILE")
WAIT_MIN, WAIT_MAX = (float(s) for s in os.environ.get("JOURNEY_WAIT", "1,3").split(","))
# Every grammar school takes Year 7 and the search shows at most 20: the heaviest results page.
SEARCH_QUERY = "grammar"

URN = re.compile(r'name="urn" value="(\d+)"')

# Request names, in the order of the journey, for the report.
PAGES = [
    SIGN_IN_FORM,
    SIGN_IN,
    "family home",
    "case overview",
    "details",
    "nearest schools",
    "preferences",
    "search (20 results)",
    "choose (POST)",
    "reasons",
    "reasons (POST)",
    "remove confirmation",
    "remove (POST)",
    "check answers",
]

_data = accounts_load(USERS_FILE)
_next_account = itertools.count()


class Journey(SequentialTaskSet):
    user: Parent

    @task
    def family_home(self) -> None:
        self.user.page("/family/", "family home", "Your applications")

    @task
    def case_overview(self) -> None:
        self.user.page(self.user.case, "case overview", "Reference ")

    @task
    def details(self) -> None:
        self.user.page(f"{self.user.case}details/", "details", "Are these details correct?")

    @task
    def nearest(self) -> None:
        self.user.page(f"{self.user.case}nearest/", "nearest schools", "Nearest mainstream")

    @task
    def preferences(self) -> None:
        self.user.page(f"{self.user.case}preferences/", "preferences", "preferred schools")

    @task
    def search_and_choose(self) -> None:
        path = f"{self.user.case}preferences/search/"
        html = self.user.page(f"{path}?q={SEARCH_QUERY}", "search (20 results)", "20 results")
        urns = URN.findall(html)
        if urns:
            self.wait()
            self.user.form(
                path,
                "choose (POST)",
                {"urn": random.choice(urns)},
                html,
                then=re.compile(re.escape(f"{self.user.case}preferences/") + r"\d+/reasons/"),
            )

    def _first(self, action: str) -> str | None:
        """The path of ``action`` on the family's first preference (pages address a
        preference by its id), or None when they have named none."""
        html = self.user.page(f"{self.user.case}preferences/", "preferences", "preferred")
        found = re.search(r"preferences/(\d+)/" + action + "/", html)
        return f"{self.user.case}preferences/{found.group(1)}/{action}/" if found else None

    @task
    def reasons(self) -> None:
        path = self._first("reasons")
        if path is None:
            return
        html = self.user.page(path, "reasons", "Why would you prefer")
        self.wait()
        self.user.form(
            path,
            "reasons (POST)",
            {"reasons": "Close to home, and the SENCO knows her."},
            html,
            then=f"{self.user.case}preferences/",
        )

    @task
    def remove(self) -> None:
        path = self._first("remove")
        if path is None:
            return
        html = self.user.page(path, "remove confirmation", "Are you sure you want to remove")
        self.wait()
        self.user.form(
            path, "remove (POST)", {"answer": "yes"}, html, then=f"{self.user.case}preferences/"
        )

    @task
    def check_answers(self) -> None:
        self.user.page(f"{self.user.case}check/", "check answers", "Check your answers")


class Parent(HttpUser):
    tasks = [Journey]
    wait_time = between(WAIT_MIN, WAIT_MAX)

    def on_start(self) -> None:
        number = next(_next_account)
        accounts = _data["accounts"]
        if number >= len(accounts):
            # Two users on one case would refuse each other's changes and count as errors.
            print(f"Only {len(accounts)} seeded parents in {USERS_FILE}: seed one per user")
            raise StopUser
        account = accounts[number]
        self.case = f"/family/{account['reference']}/"
        html = self.page("/sign-in/", SIGN_IN_FORM, "Sign in")
        credentials = {"username": account["email"], "password": _data["password"], "next": ""}
        self.form("/sign-in/", SIGN_IN, credentials, html, then="/home/")

    def page(self, path: str, name: str, must_contain: str) -> str:
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif must_contain not in response.text:
                response.failure(f"the page does not say {must_contain!r}")
        self._send_cookies_over_http()
        return response.text

    def form(
        self, path: str, name: str, data: dict[str, str], page: str, *, then: str | re.Pattern[str]
    ) -> None:
        """POST a form as the browser would (with the page's CSRF token); expect a redirect
        to ``then`` (a path, or a pattern where the path holds an id)."""
        token = CSRF_TOKEN.search(page)
        payload = {**data, "csrfmiddlewaretoken": token.group(1) if token else ""}
        with self.client.post(
            path, data=payload, name=name, allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location") or ""
            expected = (
                then.fullmatch(location) if isinstance(then, re.Pattern) else location == then
            )
            if response.status_code != 302 or not expected:
                response.failure(f"HTTP {response.status_code} to {location}, wanted {then}")
        self._send_cookies_over_http()

    def _send_cookies_over_http(self) -> None:
        cookies_over_http(self.client.cookies)


@events.test_stop.add_listener
def report(environment: Environment, **_: Any) -> None:
    stats = environment.stats
    journey = StatsEntry(stats, "journey pages", "")
    lines = [
        "| Page | Requests | Errors | p50 (ms) | p95 (ms) | p99 (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in PAGES:
        entries = [e for (n, _method), e in stats.entries.items() if n == name]
        for entry in entries:
            lines.append(table_row(name, entry))
            if name not in (SIGN_IN_FORM, SIGN_IN):
                journey.extend(entry)
    lines.append(table_row("**Journey pages (all but sign-in)**", journey))
    lines.append(table_row("**Every request**", stats.total))
    rps = stats.total.total_rps
    lines.append("")
    lines.append(f"Throughput: {rps:.1f} requests/s over {stats.total.num_requests} requests.")
    report_write(lines, REPORT_FILE)
