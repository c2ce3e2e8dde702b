"""Settings fail fast without production secrets and pass Django's deployment checks with them."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

from phasetransfer.config.env import ImproperlyConfiguredEnv, envbool, envint


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    required = {"SECRET_KEY", "ALLOWED_HOSTS", "DEPLOYMENT"}
    clean = {k: v for k, v in os.environ.items() if k not in required}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_saying_which_deployment_it_is() -> None:
    # Forgetting DEPLOYMENT used to run production as "development": every family's email
    # suppressed, without a word.
    result = _manage(
        "check",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="phase-transfer.example.gov.uk",
    )
    assert result.returncode != 0
    assert "DEPLOYMENT must be set" in result.stderr
    misspelt = _manage(
        "check",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="phase-transfer.example.gov.uk",
        DEPLOYMENT="prod",
    )
    assert misspelt.returncode != 0
    assert "use production, staging or development" in misspelt.stderr


def test_development_still_starts_without_a_deployment() -> None:
    result = _manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings as s; print(s.DEPLOYMENT)",
        DEBUG="true",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "development"


def test_check_deploy_passes_with_production_settings() -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="phase-transfer.example.gov.uk",
        DEPLOYMENT="production",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_typed_env_helpers_reject_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_FLAG", "perhaps")
    with pytest.raises(ImproperlyConfiguredEnv, match="SOME_FLAG"):
        envbool("SOME_FLAG", default=False)
    monkeypatch.setenv("SOME_NUMBER", "12x")
    with pytest.raises(ImproperlyConfiguredEnv, match="SOME_NUMBER"):
        envint("SOME_NUMBER", 3)
    monkeypatch.setenv("SOME_NUMBER", "0")
    with pytest.raises(ImproperlyConfiguredEnv, match="at least 1"):
        envint("SOME_NUMBER", 3, minimum=1)


def test_the_database_and_broker_follow_the_environment() -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if os.environ.get("DATABASE_URL"):
        assert engine == "django.db.backends.postgresql"
    else:
        assert engine == "django.db.backends.sqlite3"
    if os.environ.get("REDIS_URL"):
        assert settings.CELERY_BROKER_URL == os.environ["REDIS_URL"]
    else:
        assert settings.CELERY_BROKER_URL == "filesystem://"


def test_emails_have_a_queue_of_their_own_so_a_backlog_never_holds_up_a_release() -> None:
    from phasetransfer.config.celery import app

    default = app.conf.task_default_queue
    email_route = app.amqp.router.route({}, "phasetransfer.send_email")
    release_route = app.amqp.router.route({}, "offers.release_due")
    assert email_route["queue"].name == f"{default}-email"
    assert release_route["queue"].name == default
    # A worker started without -Q consumes both, each bound by its own key: a shared key
    # would deliver every task to both queues, and so run it twice.
    # (Queues other tests declared at run time are held to the same rule.)
    queues = {q.name: q.routing_key for q in app.amqp.queues.values()}
    assert {default, f"{default}-email"} <= set(queues)
    assert all(name == key for name, key in queues.items()), queues


@pytest.mark.django_db
def test_the_favicon_is_the_services_own_and_never_a_404(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("images/favicon.svg")
    page = client.get("/sign-in/").content.decode()
    assert 'rel="icon"' in page
    assert 'role="region" aria-label="About this service"' in page
