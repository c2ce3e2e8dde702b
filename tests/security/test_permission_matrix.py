"""Every URL of the service x every persona: allowed or denied, over HTTP.

``RULES`` below is the one table of who may open what, keyed by URL name. The test walks
the whole URL conf (included ones too) and **fails for a URL name without a rule**: a new
page cannot ship without someone deciding who may see it.

- *Allowed* means 200 (201), or a redirect that ends on a page of the persona's own that
  answers 200; for POST-only URLs an empty form answered 400 also counts (the form was
  shown to someone permitted to use it).
- *Denied* means: anonymous (and an integration client's token outside the API) is sent
  to sign in, or gets 401 from the API; anyone signed in gets 403 or 404; an integration
  client without the scope gets 403 from the API.

Every answer must also be uncacheable by shared caches (``Cache-Control: private,
no-store`` and ``Vary: Cookie``), since any of them may carry a child's data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import signed_in
from tests.factories.worlds import SecurityWorld, world_for_security
from tests.moments import AFTER_OFFER_DAY

ANONYMOUS = "anonymous"
PARENT = "parent"
ANOTHER_PARENT = "another_parent"
YOUNG_PERSON = "young_person"
CASEWORKER = "caseworker"
CHAIR = "chair"
MEMBER_ELSEWHERE = "member_of_another_panel"
RECUSED = "recused_member"
SCHOOL_A = "school_a"
SCHOOL_B = "school_b"
CLIENT = "integration_client"  # an API token with no scopes
ADMIN = "administrator"
COORDINATOR = "coordinator"

PERSONAS = (
    ANONYMOUS,
    PARENT,
    ANOTHER_PARENT,
    YOUNG_PERSON,
    CASEWORKER,
    CHAIR,
    MEMBER_ELSEWHERE,
    RECUSED,
    SCHOOL_A,
    SCHOOL_B,
    CLIENT,
    ADMIN,
    COORDINATOR,
)
NOT_SIGNED_IN = frozenset({ANONYMOUS, CLIENT})


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[str]
    method: str = "GET"
    everyone_gets: int | None = None  # a fixed answer for all (the API's catch-all 404)


def only(*personas: str, method: str = "GET") -> Rule:
    return Rule(frozenset(personas), method)


def everyone(method: str = "GET") -> Rule:
    return Rule(frozenset(PERSONAS), method)


FAMILIES = (PARENT, ANOTHER_PARENT, YOUNG_PERSON)
SIGNED_IN = tuple(p for p in PERSONAS if p not in NOT_SIGNED_IN)
# The LA's officers who act; co-ordinators also read every case (roles.READ_ALL).
OFFICERS = (CASEWORKER, CHAIR, ADMIN)
READERS = (*OFFICERS, COORDINATOR)
CASEWORK = (CASEWORKER, ADMIN)
BOARD = (COORDINATOR, ADMIN, CASEWORKER, CHAIR)
PANEL_PEOPLE = (CHAIR, CASEWORKER, ADMIN, RECUSED, MEMBER_ELSEWHERE)
# Session S1 decides the parent's case; the recused member sits on it (and reads the pack
# minus that case); the member of another panel must not learn it exists.
S1_READERS = (CHAIR, CASEWORKER, ADMIN, RECUSED)
API_READERS = (CASEWORKER, ADMIN, CHAIR, COORDINATOR)
DJANGO_STAFF = (CASEWORKER, CHAIR, ADMIN, COORDINATOR)  # is_staff: the admin site's gate
POST = "POST"

# Expected access per persona, by URL name. Kwargs point at the parent's case, session S1,
# school A's consultation and so on (see tests/security/world.py).
RULES: dict[str, Rule] = {
    # Public pages and the account journey.
    "start": everyone(),
    "home": everyone(),
    "login": everyone(),
    "logout": everyone(POST),
    "password_reset": everyone(),
    "password_reset_done": everyone(),
    "password_reset_confirm": everyone(),
    "password_reset_complete": everyone(),
    "account-create": everyone(),
    "account-check-email": everyone(),
    "account-confirm": everyone(),
    # Linking a child is for family accounts only: an account that sees other families'
    # children (staff, panel, school) must never also be a family's.
    "account-link": only(*FAMILIES),
    "two-factor-setup": only(*SIGNED_IN),
    "two-factor-email": only(*SIGNED_IN),
    "two-factor-verify": only(*SIGNED_IN),
    # The family's own pages: the parent's case only.
    "family-home": only(*FAMILIES),
    "journey-case": only(PARENT),
    "journey-details": only(PARENT),
    "journey-details-change": only(PARENT),
    "journey-nearest": only(PARENT),
    "journey-preferences": only(PARENT),
    "journey-search": only(PARENT),
    "journey-other": only(PARENT),
    "journey-reasons": only(PARENT),
    "journey-remove": only(PARENT),
    "journey-move": only(PARENT, method=POST),
    "journey-check": only(PARENT),
    "journey-confirmation": only(PARENT),
    "offers-outcome": only(PARENT),
    "offers-letter": only(PARENT),
    "offers-letter-number": only(PARENT),
    # Caseworkers' pages.
    "staff-rounds": only(*READERS),
    "staff-cohort": only(*READERS),
    "staff-send-invitations": only(*CASEWORK, method=POST),
    "staff-print-letters": only(*CASEWORK, method=POST),
    "staff-send-reminders": only(*CASEWORK, method=POST),
    "staff-allocation": only(*OFFICERS),
    "staff-allocation-start": only(*OFFICERS, method=POST),
    "staff-allocation-run": only(*OFFICERS),
    "staff-case": only(*READERS),
    "staff-on-behalf": only(*CASEWORK),
    "staff-consultations-round": only(*READERS),
    "staff-consultations-send": only(*CASEWORK, method=POST),
    "staff-consultations-overdue": only(*READERS),
    "staff-consultations-chase": only(*CASEWORK, method=POST),
    "staff-consultations-waiting": only(*READERS),
    "staff-consultations-send-selected": only(*CASEWORK, method=POST),
    "delivery-undelivered": only(*READERS),
    # Notify's delivery receipts: only with the council's own bearer token, never a session.
    "notify-callback": Rule(frozenset(), method=POST, everyone_gets=401),
    "staff-consultations-case": only(*READERS),
    "staff-consultations-add": only(*CASEWORK),
    "staff-consultations-respond": only(*CASEWORK),
    "staff-consultations-withdraw": only(*CASEWORK),
    "staff-consultations-resend": only(*CASEWORK),
    "offers-officer": only(*READERS),
    "offers-rehearse": only(*OFFICERS, method=POST),
    "offers-retry": only(*OFFICERS, method=POST),
    # Moving offer day, retrying every failed email, print batches: officers, not co-ordinators.
    "offers-set-offer-day": only(*OFFICERS, method=POST),
    "offers-rehearsal": only(*READERS),
    "offers-retry-all": only(*OFFICERS, method=POST),
    "offers-print-batch-new": only(*OFFICERS, method=POST),
    "offers-print-batch-pdf": only(*OFFICERS),
    "offers-print-batch-posted": only(*OFFICERS, method=POST),
    # After offer day: the work queue and each case's mediation and appeals; officers act,
    # co-ordinators read; only a panel chair or an administrator approves an agreed change.
    "offers-after-queue": only(*READERS),
    "offers-after-case": only(*READERS),
    "offers-mediation-new": only(*OFFICERS, method=POST),
    "offers-mediation-meeting": only(*OFFICERS, method=POST),
    "offers-mediation-end": only(*OFFICERS, method=POST),
    "offers-mediation-certificate": only(*OFFICERS, method=POST),
    "offers-mediation-approve": only(CHAIR, ADMIN, method=POST),
    "offers-appeal-new": only(*OFFICERS, method=POST),
    "offers-appeal-dates": only(*OFFICERS, method=POST),
    "offers-appeal-outcome": only(*OFFICERS, method=POST),
    "offers-appeal-carry-out": only(*OFFICERS, method=POST),
    "offers-follow-up-done": only(*OFFICERS, method=POST),
    # Results day (post-16 conditional offers).
    "offers-results-day": only(*READERS),
    "offers-results-import": only(*OFFICERS, method=POST),
    "offers-results-day-date": only(*OFFICERS, method=POST),
    "offers-settle": only(*OFFICERS, method=POST),
    "offers-confirm-on-behalf": only(*OFFICERS, method=POST),
    # The world's round is not a demo: it has no demo results file for anyone (a demo
    # round's is tested in tests/offers/test_settlement.py).
    "offers-demo-results": only(),
    # A provider's own students with conditional offers; the world's decision is not one,
    # so no one may confirm it (tests/offers/test_settlement.py: a provider's own, allowed).
    "offers-results-provider": only(SCHOOL_A, SCHOOL_B),
    "offers-results-provider-import": only(SCHOOL_A, SCHOOL_B, method=POST),
    "offers-results-provider-confirm": only(method=POST),
    # The co-ordination board.
    "coordination-progress": only(*BOARD),
    "coordination-round-progress": only(*BOARD),
    "coordination-week": only(*BOARD),
    "coordination-progress-export": only(*BOARD),
    "coordination-workload": only(*BOARD),
    "coordination-figures": only(*BOARD),
    # Schools: school A's consultation, which school B's contact must not find.
    "school-home": only(SCHOOL_A, SCHOOL_B),
    "school-consultation": only(SCHOOL_A),
    # Panels.
    "panel-home": only(*PANEL_PEOPLE),
    "panels-round": only(*OFFICERS),
    "panels-settings": only(*OFFICERS, method=POST),
    "panels-schedule": only(*OFFICERS, method=POST),
    "panels-import": only(*OFFICERS),
    "panels-session-new": only(*OFFICERS),
    "panels-session": only(*OFFICERS),
    "panels-session-edit": only(*OFFICERS),
    "panels-member-add": only(*OFFICERS, method=POST),
    "panels-member-remove": only(*OFFICERS, method=POST),
    "panels-pack": only(*S1_READERS),
    "panels-pack-pdf": only(*S1_READERS),
    # One case of the pack: the recused member reads the session but not this case.
    "panels-pack-case": only(CHAIR, CASEWORKER, ADMIN),
    "panels-minutes-csv": only(*S1_READERS),
    "panels-minutes-pdf": only(*S1_READERS),
    "panels-decide": only(CHAIR),
    "panels-sign-off": only(CHAIR),
    "panels-decision-change": only(CHAIR),
    # Administrators: the audit trail.
    "security-audit": only(ADMIN),
    "security-audit-csv": only(ADMIN),
    "security-audit-retention": only(ADMIN, method=POST),
    # The REST API: a session's roles stand for scopes; the client here has none.
    "api-rounds": only(*API_READERS),
    "api-round-figures": only(*API_READERS),
    "api-cases": only(*API_READERS),
    "api-case": only(*API_READERS),
    "api-preferences": only(*API_READERS),
    "api-decisions": only(*API_READERS),
    "api-offers": only(*API_READERS),
    "api-cohort-import": only(*CASEWORK, method=POST),
    # The schema and its viewer describe the API and hold no one's data.
    "api-schema": everyone(),
    "api-docs": everyone(),
    # The service's icon: a redirect to a static file, for anyone.
    "favicon": Rule(frozenset(), everyone_gets=301),
    "unnamed:api/": Rule(frozenset(), everyone_gets=404),
    # The Django admin's front door (its own login page answers for the denied).
    "admin:index": only(*DJANGO_STAFF),
}

# URL names not in the matrix, each with the reason.
SKIPPED_NAMESPACES = {
    "admin": "Django admin internals: each ModelAdmin checks the role's model permissions "
    "(phasetransfer.core.roles.ADMIN_PERMISSIONS); the admin site's own gate is tested through "
    "admin:index",
}
SKIPPED_PREFIXES = {
    "static/": "static files (WhiteNoise, outside the URL conf in production): no data",
}
ADMIN_TESTED = {"admin:index"}


@dataclass(frozen=True)
class Route:
    name: str
    params: tuple[str, ...]
    route: str


def _params(pattern: Any) -> tuple[str, ...]:
    return tuple(pattern.regex.groupindex)  # path() and re_path() patterns alike


def walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            space = ":".join(p for p in (namespace, entry.namespace or "") if p)
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Route(name or f"unnamed:{route}", _params(entry.pattern), route)


def _skip_reason(route: Route) -> str | None:
    if route.name in ADMIN_TESTED:
        return None
    for space, reason in SKIPPED_NAMESPACES.items():
        if route.name.startswith(f"{space}:") or route.route.startswith(f"{space}/"):
            return reason
    for prefix, reason in SKIPPED_PREFIXES.items():
        if route.route.startswith(prefix):
            return reason
    return None


def matrix_routes() -> list[Route]:
    routes: dict[str, Route] = {}
    for route in walk(get_resolver().url_patterns):
        if _skip_reason(route) is None:
            routes.setdefault(route.name, route)
    return sorted(routes.values(), key=lambda r: r.name)


ROUTES = matrix_routes()


def test_every_url_name_has_a_rule() -> None:
    missing = [f"{r.name} ({r.route})" for r in ROUTES if r.name not in RULES]
    assert not missing, (
        "These URLs have no rule in tests/security/test_permission_matrix.py RULES: "
        "decide who may open them. " + ", ".join(missing)
    )


def test_every_rule_names_a_url_that_exists() -> None:
    names = {r.name for r in ROUTES}
    # API routes may not be there yet while the API is built; every other rule must be.
    stale = [name for name in RULES if name not in names]
    assert not stale, f"Rules for URL names that no longer exist: {stale}"


def test_skips_are_only_admin_internals_and_static() -> None:
    skipped = [r for r in walk(get_resolver().url_patterns) if _skip_reason(r) is not None]
    assert skipped, "the admin's internals should be listed as skipped"
    assert all(r.route.startswith(("admin/", "static/")) for r in skipped), skipped


# --- Requests -----------------------------------------------------------------------------


def _kwargs(route: Route, world: SecurityWorld) -> dict[str, object]:
    values: dict[str, object] = {
        "reference": world.case.reference,
        "pk": world.case.preferences.order_by("rank").first().pk,  # the parent's first
        "round_id": world.round.pk,
        "run_id": world.run.pk,
        "consultation_id": world.consultation.pk,
        "session_id": world.s1.pk,
        "member_id": world.recused_seat.pk,
        "case_id": world.case.pk,
        "decision_id": world.decision.pk,
        "email_id": world.email.pk,
        "rehearsal_id": world.rehearsal.pk,
        "mediation_id": world.mediation.pk,
        "appeal_id": world.appeal.pk,
        "follow_up_id": world.follow_up.pk,
        "batch_id": world.print_batch.pk,
        "number": 1,
        "uidb64": world.reset_uid,
        "token": world.reset_token
        if route.name == "password_reset_confirm"
        else world.registration_token,
    }
    return {param: values[param] for param in route.params}


def url_of(route: Route, world: SecurityWorld) -> str:
    if route.name.startswith("unnamed:"):
        return "/" + route.route
    return reverse(route.name, kwargs=_kwargs(route, world))


def client_for(persona: str, world: SecurityWorld) -> Client:
    if persona == ANONYMOUS:
        return Client()
    if persona == CLIENT:
        return Client(HTTP_AUTHORIZATION=f"Bearer {world.api_token}")
    return signed_in(Client(), world.users[persona])


SIGN_IN_PAGES = ("/sign-in/", "/admin/login/")
TWO_FACTOR_PAGES = ("/account/two-factor/",)


def _followed(client: Client, location: str) -> int:
    """The status of the page a redirect chain ends on (at most 5 hops)."""
    for _hop in range(5):
        if location.startswith(SIGN_IN_PAGES + TWO_FACTOR_PAGES):
            return 0
        response = client.get(location)
        if response.status_code != 302:
            return response.status_code
        location = response["Location"]
    return 0


def verdict(response: HttpResponse, client: Client, method: str) -> str:
    """'allowed', 'sign-in' (sent to sign in / 401), 'refused' (403/404), or the oddity."""
    status = response.status_code
    if status in (200, 201) or (status == 400 and method == POST):
        return "allowed"
    if status == 401:
        return "sign-in"
    if status in (403, 404):
        return "refused"
    if status == 302:
        location = response["Location"]
        if location.startswith(SIGN_IN_PAGES):
            return "sign-in"
        if location.startswith(TWO_FACTOR_PAGES):
            return "asked for a second factor"
        end = _followed(client, location)
        return "allowed" if end == 200 else f"redirected to {location} ({end})"
    return f"HTTP {status}"


def expected(rule: Rule, persona: str, route: Route) -> set[str]:
    if persona in rule.allowed:
        return {"allowed"}
    if persona == ANONYMOUS:
        return {"sign-in"}
    if persona == CLIENT:
        # A token is nobody outside the API; in it, a known caller without the scope.
        return {"refused"} if route.route.startswith("api/") else {"sign-in"}
    if route.name == "admin:index":
        return {"sign-in"}  # the admin site sends non-staff to its own login page
    return {"refused"}


def _cache_problem(response: HttpResponse) -> str | None:
    cache = response.get("Cache-Control", "")
    vary = response.get("Vary", "")
    if "no-store" not in cache or "private" not in cache or "Cookie" not in vary:
        return f"cacheable: Cache-Control={cache!r} Vary={vary!r}"
    return None


def _one(route: Route, rule: Rule, persona: str, world: SecurityWorld) -> str | None:
    client = client_for(persona, world)
    url = url_of(route, world)
    response = client.post(url, {}) if rule.method == POST else client.get(url)
    if (problem := _cache_problem(response)) is not None:
        return f"{persona}: {problem}"
    if rule.everyone_gets is not None:
        got = response.status_code
        return None if got == rule.everyone_gets else f"{persona}: HTTP {got}"
    got = verdict(response, client, rule.method)
    wanted = expected(rule, persona, route)
    return None if got in wanted else f"{persona}: {got}, expected {' or '.join(wanted)}"


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_access(route: Route) -> None:
    rule = RULES.get(route.name)
    if rule is None:
        pytest.fail(f"No rule for {route.name}: add one to RULES")
    problems = []
    with time_machine.travel(AFTER_OFFER_DAY, tick=False):
        world = world_for_security()
        for persona in PERSONAS:
            # Each persona starts from the same world: what an allowed one changed is undone.
            with transaction.atomic():
                problem = _one(route, rule, persona, world)
                transaction.set_rollback(True)
            if problem:
                problems.append(problem)
    assert not problems, f"{route.name} {url_of(route, world)}:\n  " + "\n  ".join(problems)
