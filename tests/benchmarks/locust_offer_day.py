"""Offer day under load: families sign in and open their outcome and letter PDF (issue 9).

``run_offer_day_load.sh`` (``make bench-offer-day``) runs it; two halves:

* ``python tests/benchmarks/locust_offer_day.py seed --families 3000 --out FILE`` fills an
  empty, migrated database: one round whose offer day has passed, ``--families`` decided
  and released cases each with a parent's account and a letter rendered ahead (WeasyPrint,
  as the every-minute job does before the day), and a session already open for
  ``--signed-in-share`` of the families (see below). Every record is synthetic.
* As a locust file: each simulated family arrives once, signs in (unless its session is
  still open), opens ``/family/<ref>/outcome/``, then the letter PDF, then does nothing.
  Arrivals follow the offer-day rush: most come at the moment the emails go out, then
  fewer and fewer (an exponential decay whose first second brings ``OFFER_DAY_PEAK_RPS``
  requests), so all ``--families`` have come within the window. Every answer is checked
  (status, a phrase of the page, a PDF's first bytes), so an error page is an error.

Why some families are already signed in: a sign-in checks a PBKDF2 password hash, 0.3 s
of CPU each (Django's default iterations, which we keep: weakening the hash to survive
one afternoon would weaken it for ever). Families are told the date and time of offer
day, and many sign in beforehand to wait for it; a family's session lasts 8 hours.
``OFFER_DAY_SIGNED_IN_SHARE`` (seeded) says how many; the report gives sign-in figures
separately, and docs/security.md the cores that fresh sign-ins need.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

from locust import FastHttpUser, LoadTestShape, constant, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.stats import StatsEntry

ROOT = Path(__file__).resolve().parents[2]
USERS_FILE = Path(os.environ.get("OFFER_DAY_USERS_FILE", "var/bench/offer_day_users.json"))
REPORT_FILE = os.environ.get("OFFER_DAY_REPORT_FILE")
PEAK_RPS = float(os.environ.get("OFFER_DAY_PEAK_RPS", "200"))
TIME_LIMIT = float(os.environ.get("OFFER_DAY_TIME_LIMIT", "900"))  # seconds, then stop anyway
# Not a secret: synthetic accounts in a throwaway benchmark database.
BENCH_PASSWORD = "bench-offer-day-password-2027"
DOMAIN = "bench.family.example"

SIGN_IN_FORM = "sign in (form)"
SIGN_IN = "sign in (POST)"
OUTCOME = "outcome page"
LETTER = "letter PDF"
PAGES = [SIGN_IN_FORM, SIGN_IN, OUTCOME, LETTER]

_data: dict[str, Any] = (
    json.loads(USERS_FILE.read_text()) if USERS_FILE.exists() else {"accounts": []}
)
_next_account = itertools.count()
_finished = itertools.count(1)
_done = 0


def _requests_per_family() -> float:
    accounts = _data["accounts"] or [{"session": ""}]
    fresh = sum(1 for a in accounts if not a.get("session")) / len(accounts)
    return 2 + 2 * fresh  # outcome + letter, and the sign-in form and POST for the rest


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
        headers = {}
        if self.account.get("session"):
            headers["Cookie"] = f"sessionid={self.account['session']}"
        else:
            self._sign_in()
        self._check(f"/family/{reference}/outcome/", OUTCOME, headers, b"Your outcome")
        self._check(f"/family/{reference}/outcome/letter.pdf", LETTER, headers, b"%PDF")
        _done = next(_finished)

    def _sign_in(self) -> None:
        with self.client.get("/sign-in/", name=SIGN_IN_FORM, catch_response=True) as page:
            token = page.text.split('name="csrfmiddlewaretoken" value="', 1)[-1].split('"')[0]
            if page.status_code != 200:
                page.failure(f"HTTP {page.status_code}")
        self._send_cookies_over_http()
        form = {
            "username": self.account["email"],
            "password": _data["password"],
            "csrfmiddlewaretoken": token,
            "next": "",
        }
        with self.client.post(
            "/sign-in/", data=form, name=SIGN_IN, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302 or response.headers.get("Location") != "/home/":
                response.failure(f"HTTP {response.status_code}: not signed in")
        self._send_cookies_over_http()

    def _check(self, path: str, name: str, headers: dict[str, str], must: bytes) -> None:
        with self.client.get(
            path, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif must not in (response.content or b"")[:200_000]:
                response.failure(f"the answer does not contain {must!r}")

    def _send_cookies_over_http(self) -> None:
        """Production marks cookies Secure; the bench talks plain http to gunicorn on
        loopback, so it plays a browser on https (as locust_journey.py does)."""
        for cookie in self.client.cookiejar:
            cookie.secure = False


class OfferDayRush(LoadTestShape):
    """Families arrive at rate r(t) = peak * exp(-t / tau): a rush at the moment, then a tail.

    tau = families / peak arrivals, so that every family has arrived in a few tau.
    """

    def tick(self) -> tuple[int, float] | None:
        families = len(_data["accounts"])
        peak_families = PEAK_RPS / _requests_per_family()
        tau = families / peak_families
        elapsed = self.get_run_time()
        if _done >= families or elapsed > TIME_LIMIT:
            return None
        arrived = (
            families if elapsed > 6 * tau else round(families * (1 - math.exp(-elapsed / tau)))
        )
        return max(arrived, 1), max(peak_families * 2, 10.0)


def _row(label: str, entry: StatsEntry) -> str:
    p50, p95, p99 = (entry.get_response_time_percentile(p) for p in (0.5, 0.95, 0.99))
    return (
        f"| {label} | {entry.num_requests} | {entry.num_failures} ({entry.fail_ratio:.2%}) | "
        f"{p50:.0f} | {p95:.0f} | {p99:.0f} |"
    )


@events.test_stop.add_listener
def report(environment: Environment, **_: Any) -> None:
    stats = environment.stats
    after_sign_in = StatsEntry(stats, "outcome and letter", "")
    lines = [
        "| Request | Requests | Errors | p50 (ms) | p95 (ms) | p99 (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in PAGES:
        for (entry_name, _method), entry in stats.entries.items():
            if entry_name == name:
                lines.append(_row(name, entry))
                if name in (OUTCOME, LETTER):
                    after_sign_in.extend(entry)
    lines.append(_row("**Outcome and letter**", after_sign_in))
    lines.append(_row("**Every request**", stats.total))
    per_second = stats.total.num_reqs_per_sec
    peak = max(per_second.values()) if per_second else 0
    seconds = (stats.total.last_request_timestamp or 0) - (stats.total.start_time or 0)
    lines += [
        "",
        f"{_done} of {len(_data['accounts'])} families saw their outcome and letter in "
        f"{seconds:.0f} s; peak {peak} requests/s, mean {stats.total.total_rps:.1f}/s "
        f"(target peak {PEAK_RPS:.0f}/s).",
    ]
    text = "\n".join(lines)
    print("\n" + text)
    if REPORT_FILE:
        Path(REPORT_FILE).write_text(text + "\n")
    if _done < len(_data["accounts"]):
        environment.process_exit_code = 1


# --- Seeding (run as a script) ---------------------------------------------------------------


def _round() -> Any:
    import datetime as dt

    from phasetransfer.clock import LONDON, now
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

    from offers.services.letters import letter_render
    from phasetransfer.models import Case

    connections.close_all()
    for case in Case.objects.filter(pk__in=case_ids).select_related("child", "round"):
        letter_render(case=case)
    return len(case_ids)


def _accounts(cases: list[Any], share: float) -> list[dict[str, str]]:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore

    from phasetransfer.models import Contact, User
    from phasetransfer.roles import Role

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
    signed_in = round(len(users) * share)
    accounts = []
    for number, (case, user) in enumerate(zip(cases, users, strict=True)):
        session = ""
        if _spread(number, len(users), signed_in):
            store = SessionStore()
            store["_auth_user_id"] = str(user.pk)
            store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
            store["_auth_user_hash"] = user.get_session_auth_hash()
            store.create()
            session = store.session_key or ""
        accounts.append({"email": user.email, "reference": case.reference, "session": session})
    return accounts


def _spread(number: int, total: int, chosen: int) -> bool:
    """Pick ``chosen`` of ``total`` evenly, so fresh sign-ins are spread through the rush."""
    return chosen > 0 and (number * chosen) // total != ((number + 1) * chosen) // total


def seed(*, families: int, share: float, out: Path, processes: int) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from django.db import connections

    from phasetransfer.models import Case, CaseState
    from tests.offers.support import bulk_round

    started = time.perf_counter()
    round_ = _round()
    cases = bulk_round(round_, decided=families, undecided=0)
    Case.objects.filter(round=round_).update(state=CaseState.RELEASED)
    accounts = _accounts(cases, share)
    ids = [c.pk for c in cases]
    connections.close_all()  # the render processes open their own
    chunks = [ids[i::processes] for i in range(processes)]
    with ProcessPoolExecutor(processes) as pool:
        rendered = sum(pool.map(_render_slice, chunks))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"password": BENCH_PASSWORD, "accounts": accounts}))
    open_sessions = sum(1 for a in accounts if a["session"])
    print(
        f"Seeded {families} released cases, {rendered} letters rendered ahead, "
        f"{open_sessions} families already signed in, in {time.perf_counter() - started:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Seed the offer-day load test's database")
    parser.add_argument("command", choices=["seed"])
    parser.add_argument("--families", type=int, default=3000)
    parser.add_argument("--signed-in-share", type=float, default=0.8)
    parser.add_argument("--processes", type=int, default=2, help="letter render processes")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phasetransfer.settings")
    import django

    django.setup()
    seed(
        families=args.families,
        share=args.signed_in_share,
        out=args.out,
        processes=args.processes,
    )


if __name__ == "__main__":
    main()
