"""The second-factor pages (set up an authenticator, give a code) and the audit trail page."""

from __future__ import annotations

from base64 import b32encode
from itertools import islice
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from phasetransfer.core import clock
from phasetransfer.core.access import (
    AuthenticatedRequest,
    is_verified,
    requires_two_factor,
    role_required,
)
from phasetransfer.core.csv_safe import csv_lines
from phasetransfer.core.roles import Role
from phasetransfer.models import Round, User
from phasetransfer.security.access_log import (
    TrailFilter,
    audit_trail,
    retention_days,
    retention_set,
)
from phasetransfer.security.enrolment import (
    enrolment_code_check,
    enrolment_code_live,
    enrolment_code_send,
    enrolment_email_confirmed,
    enrolment_finished,
)
from phasetransfer.security.forms import CodeForm, EmailCodeForm, RetentionForm, TrailFilterForm
from phasetransfer.security.two_factor import code_now, confirmed_devices, demo_device_for

SETUP_DEVICE_NAME = "Authenticator app"
TRAIL_PAGE_ROWS = 200


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if safe and wanted else settings.LOGIN_REDIRECT_URL


def _not_needed(request: HttpRequest) -> HttpResponse | None:
    """Where to go instead when this account owes no second factor (or gave it)."""
    if not request.user.is_authenticated:
        return redirect("login")
    if not requires_two_factor(request.user) or is_verified(request.user):
        return redirect(_next_url(request))
    return None


def _verified(request: HttpRequest, device: TOTPDevice) -> HttpResponse:
    # A new session key once the second factor is given: a key seen before it (on a
    # shared machine, in a proxy log) must not become a fully signed-in session.
    request.session.cycle_key()
    otp_login(request, device)
    return redirect(_next_url(request))


def _qr_svg(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    # Generated here from the device's own URL: no user input reaches the markup.
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def setup(request: HttpRequest) -> HttpResponse:
    """First sign-in of an account that needs two factors: add an authenticator app.

    Only while the account has no confirmed device, and only once the code emailed to
    the account's address has been given: anyone who knows the password alone must not
    be able to add a device of their own (security/enrolment.py).
    """
    if (elsewhere := _not_needed(request)) is not None:
        return elsewhere
    if confirmed_devices(request.user):
        return _step(request, "two-factor-verify")
    if not enrolment_email_confirmed(request.session, request.user):
        return _step(request, "two-factor-email")
    device, _ = TOTPDevice.objects.get_or_create(
        user=request.user, name=SETUP_DEVICE_NAME, confirmed=False
    )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        checked = _check_code([device], form.cleaned_data["code"])
        if isinstance(checked, TOTPDevice):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            enrolment_finished(request.session)
            messages.success(request, "Your authenticator app is set up")
            return _verified(request, device)
        form.add_error("code", checked)
    return render(
        request,
        "phasetransfer/security/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device),
            "secret": _grouped(b32encode(device.bin_key).decode("ascii")),
            "next": _next_url(request),
        },
        status=400 if form.errors else 200,
    )


def email_check(request: HttpRequest) -> HttpResponse:
    """Before the first app: give the code sent to the account's email address."""
    if (elsewhere := _not_needed(request)) is not None:
        return elsewhere
    user = request.user
    assert isinstance(user, User)  # _not_needed sent anyone not signed in to sign in
    if confirmed_devices(user):
        return _step(request, "two-factor-verify")
    if enrolment_email_confirmed(request.session, user):
        return _step(request, "two-factor-setup")
    if request.method == "POST" and request.POST.get("action") == "resend":
        not_sent = enrolment_code_send(request.session, user)
        messages.info(request, not_sent or "We have sent a new code")
        return _step(request, "two-factor-email")
    if request.method == "GET" and not enrolment_code_live(request.session, user):
        if not_sent := enrolment_code_send(request.session, user):
            messages.info(request, not_sent)
    form = EmailCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        problem = enrolment_code_check(request.session, user, form.cleaned_data["code"])
        if not problem:
            return _step(request, "two-factor-setup")
        form.add_error("code", problem)
    return render(
        request,
        "phasetransfer/security/two_factor_email.html",
        {"form": form, "next": _next_url(request), "email": _masked(user.email)},
        status=400 if form.errors else 200,
    )


def _masked(address: str) -> str:
    """Enough of the address to recognise it, for whoever is looking at the screen."""
    name, _, domain = address.partition("@")
    return f"{name[:2]}{'*' * max(len(name) - 2, 1)}@{domain}"


def _step(request: HttpRequest, name: str) -> HttpResponse:
    return redirect(f"{reverse(name)}?{urlencode({'next': _next_url(request)})}")


def _check_code(devices: list[TOTPDevice], code: str) -> TOTPDevice | str:
    """The device that accepts ``code`` (it then refuses it a second time), or why none did.

    Each wrong code doubles the wait before a device accepts another (django-otp's
    throttle), so the page says how long to wait rather than "wrong" for a right code.
    """
    waits = []
    for device in devices:
        allowed, details = device.verify_is_allowed()
        if not allowed:
            until = (details or {}).get("locked_until")
            waits.append(int((until - clock.now()).total_seconds()) + 1 if until else 1)
            continue
        if device.verify_token(code):
            return device
    if waits and len(waits) == len(devices):
        return f"Too many wrong codes. Wait {max(1, min(waits))} seconds, then try the newest code"
    return "The code is not right. Enter the newest code the app shows"


def verify(request: HttpRequest) -> HttpResponse:
    """Every sign-in of an account that needs two factors: give the current code."""
    if (elsewhere := _not_needed(request)) is not None:
        return elsewhere
    demo_device = demo_device_for(request.user)
    devices = confirmed_devices(request.user)
    if not devices:
        return _step(request, "two-factor-setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        checked = _check_code(devices, form.cleaned_data["code"])
        if isinstance(checked, TOTPDevice):
            return _verified(request, checked)
        form.add_error("code", checked)
    return render(
        request,
        "phasetransfer/security/two_factor_verify.html",
        {
            "form": form,
            "next": _next_url(request),
            "demo_code": code_now(demo_device) if demo_device else "",
        },
        status=400 if form.errors else 200,
    )


# --- The audit trail (administrators) ------------------------------------------------------


def _trail_filter(form: TrailFilterForm) -> TrailFilter | None:
    """The filter asked for; None if the form has errors (it shows them, and no rows)."""
    if not form.is_bound:
        return TrailFilter()
    if not form.is_valid():
        return None
    data = form.cleaned_data
    return TrailFilter(
        reference=data["reference"],
        user_email=data["user"],
        since=data["since"],
        until=data["until"],
    )


@role_required(Role.ADMINISTRATOR)
def audit(request: AuthenticatedRequest) -> HttpResponse:
    form = TrailFilterForm(request.GET or None)
    wanted = _trail_filter(form)
    rows = [] if wanted is None else list(islice(audit_trail(wanted), TRAIL_PAGE_ROWS + 1))
    rounds = [(r, retention_days(r)) for r in Round.objects.order_by("-entry_year", "phase")]
    return render(
        request,
        "phasetransfer/security/audit.html",
        {
            "form": form,
            "rows": rows[:TRAIL_PAGE_ROWS],
            "more": len(rows) > TRAIL_PAGE_ROWS,
            "limit": TRAIL_PAGE_ROWS,
            "query": request.GET.urlencode(),
            "rounds": rounds,
            "retention_form": RetentionForm(),
        },
    )


@role_required(Role.ADMINISTRATOR)
def audit_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    form = TrailFilterForm(request.GET or None)
    wanted = _trail_filter(form) or TrailFilter(reference="-")  # no case has that reference
    header = ["When (London)", "Case reference", "User", "Kind", "Page or action"]
    rows = (
        [f"{r.at.astimezone(clock.LONDON):%Y-%m-%d %H:%M:%S}", r.case_reference, r.user_email]
        + [r.kind, r.what]
        for r in audit_trail(wanted)
    )
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    return response


@require_POST
@role_required(Role.ADMINISTRATOR)
def audit_retention(request: AuthenticatedRequest) -> HttpResponse:
    form = RetentionForm(request.POST)
    round_ = None
    if form.is_valid():
        round_ = Round.objects.filter(pk=form.cleaned_data["round_id"]).first()
    if round_ is None:
        errors = [str(e) for errs in form.errors.values() for e in errs] or ["Choose a round"]
        messages.error(request, "; ".join(errors))
    else:
        retention_set(round_=round_, days=form.cleaned_data["days"])
        messages.success(
            request, f"{round_.name}: page access records kept {form.cleaned_data['days']} days"
        )
    return redirect("security-audit")
