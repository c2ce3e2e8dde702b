"""Security headers: CSP with nonces, HSTS and secure cookies in production, no inline code."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

from phasetransfer.core.roles import Role
from phasetransfer.models import Contact
from tests.conftest import signed_in
from tests.factories import ContactFactory, UserFactory

NONCE = re.compile(r"'nonce-([^']+)'")
TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Rendered into PDFs by WeasyPrint (letters, panel pack and minutes), never served as a
# web page: the browser's CSP does not apply to them.
PDF_ONLY = {
    "offers/_letter_base.html",
    "offers/print_addresses.html",
    "panels/_print_style.html",
}


def _policy(response: object) -> dict[str, str]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.django_db
def test_every_page_has_a_strict_content_security_policy(client: Client) -> None:
    policy = _policy(client.get("/"))
    assert policy["default-src"] == "default-src 'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["object-src"] == "object-src 'none'"


@pytest.mark.django_db
def test_the_printed_invitation_letters_style_carries_the_pages_nonce(client: Client) -> None:
    contact = ContactFactory(email="", address="1 High Street, Maidstone")
    Contact.objects.filter(pk=contact.pk).update(email="")
    staff = signed_in(client, UserFactory(roles=[Role.CASEWORKER]))
    response = staff.post(f"/staff/rounds/{contact.case.round_id}/letters/")
    nonce = NONCE.search(response["Content-Security-Policy"])
    assert nonce is not None
    assert f'<style nonce="{nonce.group(1)}">' in response.content.decode()


@pytest.mark.django_db
def test_the_api_docs_page_runs_no_inline_code_without_its_nonce(client: Client) -> None:
    response = client.get("/api/docs/")
    nonce = NONCE.search(response["Content-Security-Policy"])
    assert nonce is not None
    html = response.content.decode()
    assert f'<style nonce="{nonce.group(1)}">' in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or f'nonce="{nonce.group(1)}"' in tag, tag


def _served_templates() -> list[Path]:
    return [
        path
        for path in TEMPLATES.rglob("*.html")
        if path.relative_to(TEMPLATES).as_posix() not in PDF_ONLY
    ]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle=\"", re.I)
EVENT_HANDLER = re.compile(r"\son[a-z]+=\"", re.I)


@pytest.mark.parametrize(
    "pattern", [INLINE_SCRIPT, INLINE_STYLE, STYLE_ATTRIBUTE, EVENT_HANDLER], ids=str
)
def test_no_template_served_as_a_page_has_inline_code_without_a_nonce(
    pattern: re.Pattern[str],
) -> None:
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in _served_templates()
        if pattern.search(path.read_text())
    ]
    assert not offenders, f"inline code without a nonce (the CSP blocks it): {offenders}"


@pytest.mark.django_db
@override_settings(
    SECURE_HSTS_SECONDS=31536000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True
)
def test_https_answers_carry_hsts(client: Client) -> None:
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_production_settings_secure_the_cookies_and_turn_the_demo_off() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEPLOYMENT"}
    }
    script = (
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_HTTPONLY, repr(s.OTP_DEMO_EMAIL_DOMAIN))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", script],
        cwd=settings.BASE_DIR,
        env={
            **env,
            "DEBUG": "false",
            "DEPLOYMENT": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "phase-transfer.example.gov.uk",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "31536000",
        "True",
        "True",
        "True",
        "True",
        "''",
    ]
