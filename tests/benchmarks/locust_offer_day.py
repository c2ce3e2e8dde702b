"""Offer day under load: every family signs in and opens its outcome and letter (issue 9).

``run_offer_day_load.sh`` (``make bench-offer-day``) runs it; two halves:

* ``python tests/benchmarks/locust_offer_day.py seed --families 3000 --out FILE`` fills an
  empty, migrated database: one round whose offer day has passed and ``--families``
  decided and released cases, each with a parent's account (no open session) and a
  letter rendered ahead (WeasyPrint, as the every-minute job does before the day).
  Every record is synthetic.
* As a locust file: each simulated family arrives once and does what the offer-day email
  asks, as a browser would: opens the sign-in page and the static files it names (once;
  the browser caches them), signs in, follows the redirects to its home page, opens its
  child's page, the outcome and the letter PDF, then leaves.

Arrivals: all ``--families`` come within ``OFFER_DAY_WINDOW`` seconds (300 at 1x: "3,000
families within 5 minutes"), front-loaded as a rush at the moment the emails go out:
the arrival rate falls in a straight line from twice the average to nothing, so half
the families have come in the first 30% of the window. ``OFFER_DAY_RATE`` shortens the
window (5 = five times the rate: everyone within a minute). At 1x the peak is 20
families a second, about 220 requests a second; at 5x about 1,100, the issue's "about
1,000 requests/s peak".

Every answer is checked (status, redirect target, a phrase of the page, a PDF's first
bytes), so an error page counts as an error, not as a fast answer.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from locust import FastHttpUser, LoadTestShape, constant, events, task
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

ROOT = Path(__file__).resolve().parents[2]
USERS_FILE = Path(os.environ.get("OFFER_DAY_USERS_FILE", "var/bench/offer_day_users.json"))
REPORT_FILE = os.environ.get("OFFER_DAY_REPORT_FILE")
RATE = float(os.environ.get("OFFER_DAY_RATE", "1"))
WINDOW = float(os.environ.get("OFFER_DAY_WINDOW", "300")) / RATE  # seconds
TIME_LIMIT = float(os.environ.get("OFFER_DAY_TIME_LIMIT", "900"))  # seconds, then stop anyway
# Not a secret: synthetic accounts in a throwaway benchmark database.
BENCH_PASSWORD = "bench-offer-day-password-2027"

PAGE_ASSETS = re.compile(r'(?:href|src)="(/static/[^"]+)"')
MODULE_IMPORTS = re.compile(r'from\s*"(/static/[^"]+)"')

STATIC = "static file (first visit)"
HOME = "home (redirect)"
FAMILY_HOME = "family home"
CASE = "child's page"
OUTCOME = "outcome page"
LETTER = "letter PDF"
PAGES = [SIGN_IN_FORM, SIGN_IN, HOME, FAMILY_HOME, CASE, OUTCOME, LETTER]

_data: dict[str, Any] = accounts_load(USERS_FILE)
_next_account = itertools.count()
_finished = itertools.count(1)
_done = 0


class Family(FastHttpUser):
    wait_time = constant(3600)  # one visit each; then it stays out of the way
    network_timeout = 180.0
    connection_timeout = 180.0

    def on_start(self) -> None:
        number = next(_next_account)
        if number >= len(_data["accounts"]):
            raise StopUser
        self.account = _data["accounts"][number]
        self.visited = False

    @task
    def visit(self) -> None:
        global _done
        if self.visited:
            return
        self.visited = True
        reference = self.account["reference"]
        case_page = f"/family/{reference}/"
        outcome = f"{case_page}outcome/"
        self._sign_in()
        self._get("/home/", HOME, redirect="/family/")
        self._get("/family/", FAMILY_HOME, must=f'href="{case_page}"'.encode())
        self._get(case_page, CASE, must=f'href="{outcome}"'.encode())
        self._get(outcome, OUTCOME, must=b"Your outcome")
        self._get(f"{outcome}letter.pdf", LETTER, must=b"%PDF")
        _done = next(_finished)

    def _sign_in(self) -> None:
        with self.client.get("/sign-in/", name=SIGN_IN_FORM, catch_response=True) as page:
            html = page.text or ""
            token = CSRF_TOKEN.search(html)
            if page.status_code != 200 or token is None:
                page.failure(f"HTTP {page.status_code}, or no form")
                return
        self._fetch_static(PAGE_ASSETS.findall(html))
        self._send_cookies_over_http()
        form = {
            "username": self.account["email"],
            "password": _data["password"],
            "csrfmiddlewaretoken": token.group(1),
            "next": "",
        }
        self._post("/sign-in/", SIGN_IN, form, redirect="/home/")
        self._send_cookies_over_http()

    def _fetch_static(self, paths: list[str]) -> None:
        """What a browser fetches for the first page: its CSS and scripts, and the
        modules those scripts import. Later pages find them in the browser's cache."""
        seen: set[str] = set()
        while paths:
            path = paths.pop()
            if path in seen:
                continue
            seen.add(path)
            with self.client.get(path, name=STATIC, catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")
                elif path.endswith(".js"):
                    paths.extend(MODULE_IMPORTS.findall(response.text or ""))

    def _get(self, path: str, name: str, *, must: bytes = b"", redirect: str = "") -> None:
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            _check(response, must=must, redirect=redirect)

    def _post(self, path: str, name: str, form: dict[str, str], *, redirect: str) -> None:
        with self.client.post(
            path, data=form, name=name, allow_redirects=False, catch_response=True
        ) as response:
            _check(response, redirect=redirect)

    def _send_cookies_over_http(self) -> None:
        """Production marks cookies Secure; the bench talks plain http to gunicorn on
        loopback, so it plays a browser on https (as locust_journey.py does)."""
        cookies_over_http(self.client.cookiejar)


def _check(response: Any, *, must: bytes = b"", redirect: str = "") -> None:
    if redirect:
        if response.status_code != 302 or response.headers.get("Location") != redirect:
            response.failure(f"HTTP {response.status_code}, not a redirect to {redirect}")
    elif response.status_code != 200:
        response.failure(f"HTTP {response.status_code}")
    elif must not in (response.content or b"")[:200_000]:
        response.failure(f"the answer does not contain {must!r}")


def arrived(elapsed: float, families: int, window: float) -> int:
    """Families that have come by ``elapsed`` seconds: the arrival rate falls linearly from
    2 * families / window at the moment to 0 at the end of the window."""
    if elapsed >= window:
        return families
    return math.ceil(families * (1 - (1 - elapsed / window) ** 2))


class OfferDayRush(LoadTestShape):
    def tick(self) -> tuple[int, float] | None:
        families = len(_data["accounts"])
        elapsed = self.get_run_time()
        if _done >= families or elapsed > TIME_LIMIT:
            return None
        peak_per_second = 2 * families / WINDOW
        # One second ahead, so each tick spawns the coming second's families, spread over
        # it by the spawn rate rather than in a burst.
        return max(arrived(elapsed + 1, families, WINDOW), 1), max(peak_per_second, 1.0)


@events.test_stop.add_listener
def report(environment: Environment, **_: Any) -> None:
    stats = environment.stats
    pages = StatsEntry(stats, "Pages (every request but static files)", "")
    after_sign_in = StatsEntry(stats, "Outcome and letter", "")
    by_name = {name: entry for (name, _method), entry in stats.entries.items()}
    lines = [
        "| Request | Requests | Errors | p50 (ms) | p95 (ms) | p99 (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in [SIGN_IN_FORM, STATIC, *PAGES[1:]]:
        entry = by_name.get(name)
        if entry is None:
            continue
        lines.append(table_row(name, entry, with_counts=True))
        if name != STATIC:
            pages.extend(entry)
        if name in (OUTCOME, LETTER):
            after_sign_in.extend(entry)
    lines.append(table_row(f"**{after_sign_in.name}**", after_sign_in, with_counts=True))
    lines.append(table_row(f"**{pages.name}**", pages, with_counts=True))
    lines.append(table_row("**Every request**", stats.total, with_counts=True))
    per_second = stats.total.num_reqs_per_sec
    peak = max(per_second.values()) if per_second else 0
    seconds = (stats.total.last_request_timestamp or 0) - (stats.total.start_time or 0)
    lines += [
        "",
        f"{_done} of {len(_data['accounts'])} families signed in and saw their outcome and "
        f"letter in {seconds:.0f} s (arrivals spread over {WINDOW:.0f} s); peak "
        f"{peak} requests/s, mean {stats.total.total_rps:.1f}/s.",
    ]
    report_write(lines, REPORT_FILE)
    if _done < len(_data["accounts"]):
        environment.process_exit_code = 1


# --- Seeding (run as a script) ---------------------------------------------------------------


def _round() -> Any:
    import datetime as dt

    from phasetransfer.core.clock import LONDON, now
    from phasetransfer.models import Phase, Round

    # The latest secondary round whose offer day (12 February, 4pm) has passed.
    today = now().astimezone(LONDON)
    year = today.year if today.month > 2 else today.year - 1
    return Round.objects.create(
        name=f"Offer day load test {year} (synthetic)",
        phase=Phase.SECONDARY,
        entry_year=year,
        preference_opens_at=dt.datetime(year - 1, 9, 1, 9, tzinfo=LONDON),
        preference_closes_at=dt.datetime(year - 1, 12, 11, 17, tzinfo=LONDON),
        offer_day_at=dt.datetime(year, 2, 12, 16, tzinfo=LONDON),
        is_synthetic=True,
    )


def _render_slice(case_ids: list[int]) -> int:
    from django.db import connections

    from offers.services.letters import letter_render, offer_day_spec
    from phasetransfer.models import Case

    connections.close_all()
    for case in Case.objects.filter(pk__in=case_ids).select_related("child", "round"):
        letter_render(case=case, spec=offer_day_spec(case))
    return len(case_ids)


def _accounts(cases: list[Any]) -> list[dict[str, str]]:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from phasetransfer.core.roles import Role
    from phasetransfer.models import Contact, User

    password = make_password(BENCH_PASSWORD)  # hashed once: the run pays for checking
    users = User.objects.bulk_create(
        User(
            email=f"family{n:05d}@bench.family.example", full_name=f"Parent {n}", password=password
        )
        for n in range(len(cases))
    )
    parent = Group.objects.get(name=Role.PARENT.value)
    User.groups.through.objects.bulk_create(
        User.groups.through(user_id=u.pk, group_id=parent.pk) for u in users
    )
    contacts = {c.case_id: c for c in Contact.objects.filter(case__in=cases, is_primary=True)}
    for case, user in zip(cases, users, strict=True):
        contacts[case.pk].user = user
        contacts[case.pk].email = user.email
    Contact.objects.bulk_update(contacts.values(), ["user", "email"])
    return [
        {"email": user.email, "reference": case.reference}
        for case, user in zip(cases, users, strict=True)
    ]


def _publish(round_: Any, case_ids: list[int]) -> None:
    """Each case's offer-day release, as the release job leaves it: what families read."""
    from offers.models import Letter, Release
    from phasetransfer.models import Round

    moment = round_.offer_day_at
    Release.objects.bulk_create(
        Release(
            case_id=letter.case_id,
            number=1,
            round=round_,
            released_at=moment,
            dispatched_at=moment,
            completed_at=moment,
            kind=letter.kind,
            decision_id=letter.decision_id,
            letter=letter,
            letter_sha256=letter.sha256,
        )
        for letter in Letter.objects.filter(case__in=case_ids, superseded_at__isnull=True).defer(
            "html", "pdf"
        )
    )
    Round.objects.filter(pk=round_.pk).update(offer_day_published_at=moment)


def seed(*, families: int, out: Path, processes: int) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from django.db import connections

    from phasetransfer.models import Case, CaseState
    from tests.factories.offers import bulk_round

    started = time.perf_counter()
    round_ = _round()
    cases = bulk_round(round_, decided=families, undecided=0)
    Case.objects.filter(round=round_).update(state=CaseState.RELEASED)
    accounts = _accounts(cases)
    ids = [c.pk for c in cases]
    connections.close_all()  # the render processes open their own
    chunks = [ids[i::processes] for i in range(processes)]
    with ProcessPoolExecutor(processes) as pool:
        rendered = sum(pool.map(_render_slice, chunks))
    _publish(round_, ids)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"password": BENCH_PASSWORD, "accounts": accounts}))
    print(
        f"Seeded {families} released cases with a parent's account each and "
        f"{rendered} letters rendered ahead, in {time.perf_counter() - started:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Seed the offer-day load test's database")
    parser.add_argument("command", choices=["seed"])
    parser.add_argument("--families", type=int, default=3000)
    parser.add_argument("--processes", type=int, default=2, help="letter render processes")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phasetransfer.config.settings")
    import django

    django.setup()
    seed(
        families=args.families,
        out=args.out,
        processes=args.processes,
    )


if __name__ == "__main__":
    main()
