"""Two factors for everyone who can see more than their own family, and staff sessions."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from phasetransfer.core.access import requires_two_factor
from phasetransfer.core.roles import Role
from phasetransfer.models import OutboundEmail, User
from phasetransfer.security import two_factor
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 1, 11, 9, 0, tzinfo=dt.UTC)


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = START.timestamp() + offset
    return f"{totp.token():06d}"


def password_only(client: Client, user: User) -> None:
    response = client.post("/sign-in/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize(
    "role",
    [
        Role.CASEWORKER,
        Role.PANEL_CHAIR,
        Role.ADMINISTRATOR,
        Role.COORDINATOR,
        Role.PANEL_MEMBER,
        Role.SCHOOL_CONTACT,
    ],
)
def test_every_role_that_sees_many_children_needs_two_factors(role: Role) -> None:
    assert requires_two_factor(UserFactory(roles=[role]))


@pytest.mark.parametrize("role", [Role.PARENT, Role.YOUNG_PERSON])
def test_families_need_only_a_password(client: Client, role: Role) -> None:
    user = UserFactory(roles=[role])
    assert not requires_two_factor(user)
    password_only(client, user)
    assert client.get("/home/")["Location"] == "/family/"


def test_a_new_staff_account_is_sent_to_set_up_an_app_and_every_page_waits(
    client: Client, clock: Any
) -> None:
    user = UserFactory(roles=[Role.CASEWORKER])
    password_only(client, user)
    assert client.get("/home/")["Location"] == "/account/two-factor/setup/?next=%2Fhome%2F"
    for path in ["/staff/rounds/", "/panels/", "/staff/progress/", "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/account/two-factor/setup/"), path
    # The API with the browser session: a password alone is no session (401, not data).
    assert client.get("/api/v1/cases/").status_code == 401


def emailed_code(user: User) -> str:
    """The code in the newest enrolment email to ``user`` (the outbox keeps every email)."""
    email = OutboundEmail.objects.filter(kind="two_factor_enrolment", to=user.email).latest("id")
    match = re.search(r"^(\d{6})$", email.body, re.MULTILINE)
    assert match, email.body
    return match.group(1)


def test_a_password_alone_cannot_set_up_the_first_app(client: Client, clock: Any) -> None:
    """Trust on first use is closed: the first app needs the code emailed to the account."""
    user = UserFactory(email="new.officer@kent.example", roles=[Role.CASEWORKER])
    password_only(client, user)

    setup = client.get("/account/two-factor/setup/?next=/staff/rounds/")
    assert setup["Location"] == "/account/two-factor/email/?next=%2Fstaff%2Frounds%2F"
    page = client.get(setup["Location"])

    assert page.status_code == 200
    assert "ne*********@kent.example" in page.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()  # no secret made, none shown
    code = emailed_code(user)
    assert code not in page.content.decode()
    assert code not in str(dict(client.session.items()))  # only a keyed hash is kept
    # Reloading the page does not send another email.
    client.get("/account/two-factor/email/")
    assert OutboundEmail.objects.filter(kind="two_factor_enrolment").count() == 1
    # Until the code is given, the app's page sends back here.
    assert client.get("/account/two-factor/setup/")["Location"].startswith(
        "/account/two-factor/email/"
    )


def test_wrong_emailed_codes_are_counted_and_a_new_code_starts_again(
    client: Client, clock: Any
) -> None:
    user = UserFactory(roles=[Role.SCHOOL_CONTACT])
    password_only(client, user)
    client.get("/account/two-factor/email/")
    first = emailed_code(user)

    blank = client.post("/account/two-factor/email/", {"code": ""})
    assert blank.status_code == 400
    assert "Enter the 6-digit code from the email" in blank.content.decode()
    wrong = "000000" if first != "000000" else "111111"
    for _ in range(5):
        refused = client.post("/account/two-factor/email/", {"code": wrong})
        assert refused.status_code == 400
    assert (
        "Too many wrong codes"
        in client.post("/account/two-factor/email/", {"code": first}).content.decode()
    )

    too_soon = client.post("/account/two-factor/email/", {"action": "resend"}, follow=True)
    assert "less than a minute ago" in too_soon.content.decode()
    clock.shift(61)
    client.post("/account/two-factor/email/", {"action": "resend"})
    second = emailed_code(user)
    assert OutboundEmail.objects.filter(kind="two_factor_enrolment").count() == 2
    if second != first:
        assert client.post("/account/two-factor/email/", {"code": first}).status_code == 400
    accepted = client.post("/account/two-factor/email/", {"code": second})
    assert accepted["Location"].startswith("/account/two-factor/setup/")


def test_at_most_five_codes_a_day_go_to_one_account(client: Client, clock: Any) -> None:
    """Guessing is bounded: 5 codes of 5 tries a day, each email warning the owner."""
    user = UserFactory(roles=[Role.CASEWORKER])
    password_only(client, user)
    client.get("/account/two-factor/email/")
    for _ in range(4):
        clock.shift(61)
        client.post("/account/two-factor/email/", {"action": "resend"})
    clock.shift(61)
    refused = client.post("/account/two-factor/email/", {"action": "resend"}, follow=True)

    assert "We have sent 5 codes to this account today" in refused.content.decode()
    emails = OutboundEmail.objects.filter(kind="two_factor_enrolment", to=user.email)
    assert emails.count() == 5
    assert all("If you did not just sign in" in email.body for email in emails)
    # The newest code still works.
    accepted = client.post("/account/two-factor/email/", {"code": emailed_code(user)})
    assert accepted["Location"].startswith("/account/two-factor/setup/")
    clock.shift(24 * 60 * 60)
    other = Client()
    password_only(other, user)
    other.get("/account/two-factor/email/")
    assert emails.all().count() == 6  # a day later, a new one


def test_an_emailed_code_expires_after_15_minutes(client: Client, clock: Any) -> None:
    user = UserFactory(roles=[Role.PANEL_MEMBER])
    password_only(client, user)
    client.get("/account/two-factor/email/")
    clock.shift(15 * 60 + 1)
    late = client.post("/account/two-factor/email/", {"code": emailed_code(user)})
    assert late.status_code == 400
    assert "This code has expired" in late.content.decode()


def test_another_session_cannot_use_the_code(client: Client, clock: Any) -> None:
    """The code belongs to the session that asked for it, not to the account."""
    user = UserFactory(roles=[Role.CASEWORKER])
    password_only(client, user)
    client.get("/account/two-factor/email/")
    code = emailed_code(user)
    elsewhere = Client()
    password_only(elsewhere, user)
    response = elsewhere.post("/account/two-factor/email/", {"code": code})
    assert response.status_code == 400


def test_setting_up_the_app_shows_a_qr_code_and_key_and_a_right_code_signs_in(
    client: Client, clock: Any
) -> None:
    user = UserFactory(roles=[Role.PANEL_CHAIR])
    password_only(client, user)
    client.get("/account/two-factor/email/?next=/staff/rounds/")
    confirmed = client.post(
        "/account/two-factor/email/", {"code": emailed_code(user), "next": "/staff/rounds/"}
    )
    assert confirmed["Location"] == "/account/two-factor/setup/?next=%2Fstaff%2Frounds%2F"
    page = client.get(confirmed["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html
    assert "Set up your authenticator app" in html
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert code_for(device) not in html  # the code itself is never on the page
    wrong = client.post("/account/two-factor/setup/", {"code": "000000", "next": "/panels/"})
    assert wrong.status_code == 400
    assert "The code is not right" in wrong.content.decode()
    key_before = client.session.session_key
    clock.shift(2)  # the throttle's 1 s wait after one wrong code
    right = client.post(
        "/account/two-factor/setup/", {"code": code_for(device, 2), "next": "/staff/rounds/"}
    )
    assert right["Location"] == "/staff/rounds/"
    assert client.session.session_key != key_before  # a fresh key once fully signed in
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/staff/rounds/").status_code == 200


def test_a_password_alone_cannot_add_a_second_app(client: Client, clock: Any) -> None:
    user = UserFactory(roles=[Role.ADMINISTRATOR])
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    password_only(client, user)
    assert client.get("/home/")["Location"].startswith("/account/two-factor/?next=")
    setup = client.get("/account/two-factor/setup/")
    assert setup["Location"].startswith("/account/two-factor/?")
    assert TOTPDevice.objects.filter(user=user).count() == 1
    response = client.post("/account/two-factor/", {"code": code_for(device)})
    assert response["Location"] == "/home/"
    assert client.get("/staff/audit/").status_code == 200


def test_wrong_codes_slow_down_even_the_right_one(client: Client, clock: Any) -> None:
    user = UserFactory(roles=[Role.SCHOOL_CONTACT])
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    password_only(client, user)
    for _ in range(4):
        client.post("/account/two-factor/", {"code": "123455"})
    refused = client.post("/account/two-factor/", {"code": code_for(device)})
    assert refused.status_code == 400
    assert "Too many wrong codes" in refused.content.decode()
    clock.shift(20)  # 2**(4-1) = 8 s after the fourth failure
    accepted = client.post("/account/two-factor/", {"code": code_for(device, 20)})
    assert accepted.status_code == 302


def test_an_open_redirect_is_not_followed_after_the_code(client: Client, clock: Any) -> None:
    user = UserFactory(roles=[Role.CASEWORKER])
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    password_only(client, user)
    response = client.post(
        "/account/two-factor/", {"code": code_for(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/home/"


def test_idle_staff_sessions_end_after_30_minutes_and_families_keep_theirs(
    clock: Any,
) -> None:
    from tests.conftest import signed_in

    staff = signed_in(Client(), UserFactory(roles=[Role.CASEWORKER]))
    family = signed_in(Client(), UserFactory(roles=[Role.PARENT]))
    assert staff.get("/staff/rounds/").status_code == 200
    assert family.get("/family/").status_code == 200
    clock.shift(settings.STAFF_SESSION_IDLE_SECONDS - 60)  # busy, but within the limit
    assert staff.get("/staff/rounds/").status_code == 200
    clock.shift(settings.STAFF_SESSION_IDLE_SECONDS - 60)  # sliding: still within it
    assert staff.get("/staff/rounds/").status_code == 200
    clock.shift(settings.STAFF_SESSION_IDLE_SECONDS + 1)
    ended = staff.get("/staff/rounds/")
    assert ended["Location"].startswith("/sign-in/")
    assert staff.get("/staff/rounds/")["Location"].startswith("/sign-in/")  # really gone
    assert family.get("/family/").status_code == 200


def test_staff_session_cookies_end_with_the_browser_and_families_last_longer(
    client: Client, clock: Any
) -> None:
    staff = UserFactory(roles=[Role.CASEWORKER])
    password_only(client, staff)
    response = client.get("/staff/rounds/")
    assert not response.cookies["sessionid"]["max-age"]  # a browser-session cookie
    family = Client()
    parent = UserFactory(roles=[Role.PARENT])
    signed = family.post("/sign-in/", {"username": parent.email, "password": PASSWORD})
    assert int(signed.cookies["sessionid"]["max-age"]) == settings.SESSION_COOKIE_AGE


def test_the_demo_shows_its_code_only_for_synthetic_demo_accounts(
    client: Client, clock: Any, settings: Any
) -> None:
    settings.OTP_DEMO_EMAIL_DOMAIN = "kent-demo.example"
    settings.DEBUG = True  # the test runner turns it off; the demo runs with it on
    demo = UserFactory(email="caseworker01@kent-demo.example", roles=[Role.CASEWORKER])
    password_only(client, demo)
    page = client.get("/account/two-factor/").content.decode()
    device = TOTPDevice.objects.get(user=demo)
    assert device.key == two_factor.DEMO_TOTP_KEY_HEX
    assert device.confirmed
    assert f">{code_for(device)}<" in page
    assert client.post("/account/two-factor/", {"code": code_for(device)}).status_code == 302
    # Signing in again within the same 30 seconds: this step's code is spent, so the page
    # gives the next one, which the device accepts now.
    again = Client()
    password_only(again, demo)
    page = again.get("/account/two-factor/").content.decode()
    assert f">{code_for(device)}<" not in page
    assert f">{code_for(device, offset=device.step)}<" in page
    assert (
        again.post("/account/two-factor/", {"code": code_for(device, device.step)})["Location"]
        != "/account/two-factor/"
    )
    real = Client()
    person = UserFactory(email="officer@kent.gov.uk", roles=[Role.CASEWORKER])
    password_only(real, person)
    assert "Demo only" not in real.get("/account/two-factor/setup/", follow=True).content.decode()
    assert not TOTPDevice.objects.filter(user=person, key=two_factor.DEMO_TOTP_KEY_HEX).exists()


def test_the_demo_device_never_exists_without_debug_or_in_production(settings: Any) -> None:
    demo = UserFactory(email="admin@kent-demo.example", roles=[Role.ADMINISTRATOR])
    settings.OTP_DEMO_EMAIL_DOMAIN = "kent-demo.example"
    settings.DEBUG = False
    assert two_factor.demo_device_for(demo) is None
    settings.DEBUG, settings.DEPLOYMENT = True, "production"
    assert two_factor.demo_device_for(demo) is None
    assert not TOTPDevice.objects.filter(user=demo).exists()


def test_passwords_follow_djangos_validators() -> None:
    names = {v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert names >= {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }
    assert settings.AXES_FAILURE_LIMIT <= 10
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_the_documented_demo_secret_is_the_one_in_the_code() -> None:
    docs = (Path(settings.BASE_DIR) / "docs" / "security.md").read_text()
    assert two_factor.demo_secret_base32() in docs
