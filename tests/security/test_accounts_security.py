"""Accounts under attack: lockout abuse, username probing, tokens of locked users, weak passwords,
the second factor and idle sessions (issue 9, point 7)."""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from conftest import CITY, PASSWORD
from jaring.accounts import backends
from jaring.accounts.middleware import SEEN_KEY, STARTED_KEY
from jaring.accounts.models import LoginThrottle, User
from jaring.accounts.services import (
    api_token_create,
    user_create,
    user_set_active,
    user_totp_reset,
    user_unlock,
)
from jaring.accounts.testing import OtpClient, totp_code
from jaring.core.errors import ValidationFailed
from jaring.core.models import AuditEvent

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
REFUSED = "Nama pengguna atau kata sandi salah, atau akun dikunci sementara"
LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def attempt(client: Any, username: str, password: str, ip: str) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def logged_in(client: Any) -> bool:
    return SESSION_KEY in client.session


def password_client() -> OtpClient:
    """A client that logs in with the password only, as a browser does."""
    return OtpClient(verify_otp=False)


def comparable(response: Any, username: str) -> str:
    """The page without what legitimately differs: the CSRF token and the echoed username."""
    page = response.content.decode()
    page = re.sub(r"\b[A-Za-z0-9]{64}\b", "CSRF-TOKEN", page)  # masked anew on every page
    return page.replace(f'value="{username}"', 'value="USERNAME"')


def no_password_in_audit(*passwords: str) -> None:
    for event in AuditEvent.objects.all():
        text = f"{event.before} {event.after} {event.object_id} {event.actor_label}"
        for password in passwords:
            assert password not in text, event.action


# --- Lockout that cannot be used to deny service ----------------------------------------------------


def test_an_attacker_hammering_the_admin_from_one_address_does_not_keep_the_real_admin_out(personas):
    attacker = password_client()
    guesses = [f"tebakan-salah-{i:03d}" for i in range(25)]
    for guess in guesses:
        response = attempt(attacker, "admin_sorong", guess, ATTACKER)
        assert response.status_code == 200 and REFUSED in response.content.decode()
    # Only the free failures were checked; every later guess was refused without a verdict.
    admin = personas["admin_sorong"]
    assert AuditEvent.objects.filter(action="login.failed", object_id=str(admin.pk)).count() == \
        settings.JARING_LOGIN_PAIR_FREE
    assert AuditEvent.objects.filter(action="login.throttled", object_id=str(admin.pk)).count() == \
        len(guesses) - settings.JARING_LOGIN_PAIR_FREE
    # Even the right password from the attacker's address is refused while it is blocked...
    assert not logged_in(attacker) and attempt(attacker, "admin_sorong", PASSWORD, ATTACKER).status_code == 200
    assert not logged_in(attacker)
    # ...but the account is not locked: the real admin, elsewhere, logs in at once.
    assert User.objects.get(pk=admin.pk).locked_until is None
    real = password_client()
    response = attempt(real, "admin_sorong", PASSWORD, "198.51.100.7")
    assert response.status_code == 302 and logged_in(real)
    no_password_in_audit(PASSWORD, *guesses)


def test_the_backoff_grows_per_address_and_is_capped(personas):
    client = password_client()
    free, base = settings.JARING_LOGIN_PAIR_FREE, settings.JARING_LOGIN_BACKOFF_SECONDS
    waits = []
    for n in range(12):
        for _ in range(free if n == 0 else 1):
            attempt(client, "operator_sorong", "tebakan-salah-2026", ATTACKER)
        row = LoginThrottle.objects.get(scope="pair")
        waits.append((row.blocked_until - row.last_failure_at).total_seconds())
        LoginThrottle.objects.filter(scope="pair").update(blocked_until=LONG_AGO)  # the wait has passed
    cap = settings.JARING_LOGIN_BACKOFF_MAX_SECONDS
    assert waits == [min(base * 2 ** n, cap) for n in range(12)]
    assert waits[-1] == cap


@override_settings(JARING_LOGIN_ACCOUNT_FREE=6, JARING_LOGIN_ACCOUNT_LOCK_SECONDS=60)
def test_failures_from_many_addresses_lock_the_account_only_briefly(personas):
    client = password_client()
    for i in range(6):  # a botnet: one guess from each address, no address throttled
        attempt(client, "operator_sorong", f"tebakan-salah-{i}", f"192.0.2.{i + 1}")
    operator = User.objects.get(username="operator_sorong")
    account = LoginThrottle.objects.get(scope="account")
    assert operator.locked_until == account.blocked_until
    assert (account.blocked_until - account.last_failure_at).total_seconds() == 60
    assert AuditEvent.objects.filter(action="user.locked", object_id=str(operator.pk)).count() == 1
    # Locked: the right password from a clean address is refused, and looks like any refusal.
    response = attempt(client, "operator_sorong", PASSWORD, "198.51.100.7")
    assert response.status_code == 200 and REFUSED in response.content.decode() and not logged_in(client)
    # A minute later it is over.
    LoginThrottle.objects.update(blocked_until=LONG_AGO)
    User.objects.filter(pk=operator.pk).update(locked_until=LONG_AGO)
    assert attempt(client, "operator_sorong", PASSWORD, "198.51.100.7").status_code == 302
    assert User.objects.get(pk=operator.pk).locked_until is None


@override_settings(JARING_LOGIN_IP_FREE=5)
def test_one_address_spraying_many_usernames_is_slowed_down(personas):
    client = password_client()
    for i in range(5):
        attempt(client, f"pengguna{i}", "tebakan-salah-2026", ATTACKER)
    assert LoginThrottle.objects.get(scope="ip").blocked_until is not None
    # Even a real account with its right password waits while that address is blocked...
    assert attempt(client, "facilitator_remu", PASSWORD, ATTACKER).status_code == 200
    assert not logged_in(client)
    # ...and from anywhere else it logs in.
    assert attempt(client, "facilitator_remu", PASSWORD, "198.51.100.7").status_code == 302


def test_an_admin_can_lift_a_lock(personas):
    with override_settings(JARING_LOGIN_ACCOUNT_FREE=2):
        client = password_client()
        attempt(client, "auditor", "tebakan-salah-1", "192.0.2.1")
        attempt(client, "auditor", "tebakan-salah-2", "192.0.2.2")
        auditor = User.objects.get(username="auditor")
        assert auditor.locked_until is not None
        user_unlock(actor=personas["admin_sorong"], user=auditor)
        assert User.objects.get(pk=auditor.pk).locked_until is None
        assert attempt(client, "auditor", PASSWORD, "192.0.2.3").status_code == 302
    assert AuditEvent.objects.filter(action="user.unlock", actor__username="admin_sorong").count() == 1


# --- One refusal for every failure, with the same work -----------------------------------------------


@override_settings(JARING_LOGIN_ACCOUNT_FREE=4)
def test_unknown_wrong_inactive_throttled_and_locked_look_the_same(personas):
    # Set the scene through the login itself: auditor locked (failures from four addresses),
    # liaison deactivated, operator throttled at one address.
    client = password_client()
    for i in range(4):
        attempt(client, "auditor", "tebakan-salah-2026", f"192.0.2.{i + 1}")
    assert User.objects.get(username="auditor").locked_until is not None
    user_set_active(actor=personas["admin_sorong"], user=personas["liaison"], active=False)
    for _ in range(settings.JARING_LOGIN_PAIR_FREE):
        attempt(client, "operator_sorong", "tebakan-salah-2026", "192.0.2.50")

    cases = [
        ("unknown", "tidak_ada_orangnya", PASSWORD, "198.51.100.1"),
        ("wrong password", "facilitator_remu", "tebakan-salah-2026", "198.51.100.2"),
        ("inactive, right password", "liaison", PASSWORD, "198.51.100.3"),
        ("locked, right password", "auditor", PASSWORD, "198.51.100.4"),
        ("throttled, right password", "operator_sorong", PASSWORD, "192.0.2.50"),
    ]
    pages = {}
    for label, username, password, ip in cases:
        with mock.patch.object(backends, "check_password", wraps=backends.check_password) as hasher:
            response = attempt(client, username, password, ip)
        assert hasher.call_count == 1, label  # the password is hashed whatever the case
        assert hasher.call_args.args[0] == password, label
        assert response.status_code == 200, label
        assert next(t.name for t in response.templates) == "registration/login.html", label
        assert REFUSED in response.content.decode(), label
        assert not logged_in(client), label
        pages[label] = comparable(response, username)
    assert len(set(pages.values())) == 1, "the refusals differ"
    # The audit tells the cases apart, for the office; the visitor cannot.
    assert AuditEvent.objects.filter(action="login.throttled").count() == 2
    no_password_in_audit(PASSWORD, "tebakan-salah-2026")


def test_an_unknown_username_is_hashed_with_the_preferred_hasher(personas):
    from django.contrib.auth.hashers import get_hasher, identify_hasher

    seen = []

    def spy(password: str, encoded: str, setter: Any = None) -> bool:
        seen.append(identify_hasher(encoded).algorithm)
        return False

    with mock.patch.object(backends, "check_password", side_effect=spy):
        attempt(password_client(), "tidak_ada_orangnya", PASSWORD, "198.51.100.1")
        attempt(password_client(), "admin_sorong", PASSWORD + "x", "198.51.100.1")
    assert seen == [get_hasher().algorithm, get_hasher().algorithm]


# --- API tokens of locked and inactive users ----------------------------------------------------------


def api_for(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


def assert_refused(response: Any) -> None:
    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == "not_authenticated" and body["error"]["message"]


@override_settings(JARING_LOGIN_ACCOUNT_FREE=3)
def test_a_locked_users_token_is_refused_until_the_lock_is_lifted(personas):
    facilitator = personas["facilitator_remu"]
    api = api_for(api_token_create(actor=personas["admin_sorong"], user=facilitator))
    assert api.get("/api/v1/me/").status_code == 200
    client = password_client()
    for i in range(3):
        attempt(client, "facilitator_remu", "tebakan-salah-2026", f"192.0.2.{i + 1}")
    assert_refused(api.get("/api/v1/me/"))
    user_unlock(actor=personas["admin_sorong"], user=User.objects.get(pk=facilitator.pk))
    assert api.get("/api/v1/me/").status_code == 200


def test_a_deactivated_users_token_is_refused(personas):
    operator = personas["operator_sorong"]
    api = api_for(api_token_create(actor=personas["admin_sorong"], user=operator))
    assert api.get("/api/v1/me/").status_code == 200
    user_set_active(actor=personas["admin_sorong"], user=operator, active=False)
    assert_refused(api.get("/api/v1/me/"))
    assert AuditEvent.objects.filter(action="user.deactivate", object_id=str(operator.pk)).count() == 1


def test_a_throttled_address_does_not_stop_the_users_token(personas):
    """The per-address backoff is about password guesses from there, not about the account."""
    api = api_for(api_token_create(actor=None, user=personas["operator_sorong"]))
    client = password_client()
    for _ in range(settings.JARING_LOGIN_PAIR_FREE + 2):
        attempt(client, "operator_sorong", "tebakan-salah-2026", ATTACKER)
    assert api.get("/api/v1/me/").status_code == 200


# --- Passwords ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("password", "message"), [
    ("sorong2026", "terlalu pendek"),
    ("sorong2026", "nama aplikasi, kantor atau kota"),
    ("jaring12345678", "nama aplikasi, kantor atau kota"),
    ("Dinsos-Sorong-2026!", "nama aplikasi, kantor atau kota"),
    ("pendek-12", "terlalu pendek"),
    ("382910475561", "seluruhnya terdiri dari angka"),
    ("password1234", "terlalu umum"),
    ("yohanakambu99", "terlalu mirip"),
])
def test_weak_passwords_are_refused_in_indonesian(db, password, message):
    with pytest.raises(ValidationFailed) as refused:
        user_create(actor=None, username="yohana", name="Yohana Kambu", role="operator",
                    password=password, areas=[CITY])
    assert any(message in str(m) for m in refused.value.fields["password"]), refused.value.fields
    assert not User.objects.filter(username="yohana").exists()


def test_an_empty_password_is_refused_too(db):
    with pytest.raises(ValidationFailed):
        user_create(actor=None, username="kosong", name="Kosong", role="operator", password="", areas=[CITY])


def test_the_test_and_demo_passwords_pass_the_validators(db):
    from django.contrib.auth.password_validation import validate_password

    from jaring.demo import DEMO_PASSWORD, STAFF

    for password in (PASSWORD, DEMO_PASSWORD):
        for username, name, role, _areas in STAFF:
            validate_password(password, User(username=username, name=name, role=role))


def test_cli_user_add_refuses_a_local_name_password(db, monkeypatch):
    monkeypatch.setenv("JARING_PASSWORD", "sorong2026")
    err, saved = io.StringIO(), sys.stderr
    sys.stderr = err
    try:
        with pytest.raises(SystemExit) as done:
            call_command("user_add", "lemah", "--role", "operator", stdout=io.StringIO(), stderr=err)
    finally:
        sys.stderr = saved
    assert done.value.code == 2
    assert "nama aplikasi, kantor atau kota" in err.getvalue()
    assert not User.objects.filter(username="lemah").exists()


# --- Second factor ----------------------------------------------------------------------------------------


def test_an_admin_enrols_then_logs_in_with_a_code(personas):
    admin = personas["admin_sorong"]
    client = password_client()
    assert attempt(client, "admin_sorong", PASSWORD, "198.51.100.7").status_code == 302
    # Logged in by password, but nothing works before the second factor is set up.
    for url in ("/", reverse("registry:person_list"), "/admin/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("otp_enrol")), url
    assert client.get("/api/v1/me/").status_code == 401  # the session API refuses too

    page = client.get(reverse("otp_enrol"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "<script" not in html.split("<main", 1)[1]
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    secret = page.context["secret"].replace(" ", "")
    import base64

    assert base64.b32decode(secret) == device.bin_key  # the key shown is the device's

    refused = client.post(reverse("otp_enrol"), {"code": "000000" if totp_code(device) != "000000" else "111111"})
    assert refused.status_code == 200 and "Kode salah" in refused.content.decode()
    assert client.get("/").status_code == 302
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)  # its wait has passed

    done = client.post(reverse("otp_enrol"), {"code": totp_code(device)})
    assert done.status_code == 200
    codes = done.context["backup_codes"]
    assert len(codes) == 10 and all(c in done.content.decode() for c in codes)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    assert AuditEvent.objects.filter(action="user.totp_enrol", object_id=str(admin.pk)).count() == 1

    # The next login asks for the code after the password.
    client.post(reverse("logout"))
    client = password_client()
    assert attempt(client, "admin_sorong", PASSWORD, "198.51.100.7").status_code == 302
    response = client.get("/orang/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login_otp"))
    wrong = client.post(reverse("login_otp"), {"code": "12345", "next": "/orang/"})
    assert wrong.status_code == 200 and "Kode salah" in wrong.content.decode()
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="login.otp_failed", object_id=str(admin.pk)).count() == 1
    TOTPDevice.objects.filter(user=admin).update(throttling_failure_count=0)
    device.refresh_from_db()
    ok = client.post(reverse("login_otp"), {"code": totp_code(device, steps_ahead=1), "next": "/orang/"})
    assert ok.status_code == 302 and ok["Location"] == "/orang/"
    assert client.get("/").status_code == 200


def test_a_code_is_not_accepted_twice_and_backup_codes_work_once(personas):
    operator = personas["operator_sorong"]
    device = TOTPDevice.objects.create(user=operator, name="ponsel", confirmed=True)
    backup = StaticDevice.objects.create(user=operator, name="backup", confirmed=True)
    backup.token_set.create(token="cadangan01")

    first = password_client()
    attempt(first, "operator_sorong", PASSWORD, "198.51.100.7")
    code = totp_code(device)
    assert first.post(reverse("login_otp"), {"code": code}).status_code == 302
    assert first.get("/").status_code == 200

    second = password_client()
    attempt(second, "operator_sorong", PASSWORD, "198.51.100.8")
    assert second.post(reverse("login_otp"), {"code": code}).status_code == 200  # replayed
    StaticDevice.objects.filter(pk=backup.pk).update(throttling_failure_count=0)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    assert second.post(reverse("login_otp"), {"code": "cadangan01"}).status_code == 302
    assert second.get("/").status_code == 200
    assert not backup.token_set.exists()
    assert AuditEvent.objects.filter(action="login.backup_code_used").count() == 1


def test_roles_without_the_second_factor_are_unaffected(personas):
    for username in ("facilitator_remu", "liaison", "auditor"):
        client = password_client()
        assert attempt(client, username, PASSWORD, "198.51.100.7").status_code == 302
        assert client.get("/").status_code == 200, username
        assert client.get(reverse("otp_enrol")).context["not_required"] is True
    assert not TOTPDevice.objects.exists()


def test_the_required_roles_come_from_the_setting(personas):
    with override_settings(JARING_2FA_REQUIRED_ROLES=["facilitator"]):
        client = password_client()
        attempt(client, "facilitator_remu", PASSWORD, "198.51.100.7")
        assert client.get("/").status_code == 302
        client = password_client()
        attempt(client, "admin_sorong", PASSWORD, "198.51.100.7")
        assert client.get("/").status_code == 200


def test_api_tokens_of_2fa_roles_are_unaffected(personas):
    api = api_for(api_token_create(actor=None, user=personas["admin_sorong"]))
    assert api.get("/api/v1/me/").status_code == 200


def test_a_lost_phone_is_reset_from_the_command_line(personas):
    admin = personas["admin_sorong"]
    TOTPDevice.objects.create(user=admin, name="ponsel", confirmed=True)
    out = io.StringIO()
    call_command("user_2fa_reset", "admin_sorong", stdout=out)
    assert "admin_sorong" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=admin).exists()
    assert AuditEvent.objects.filter(action="user.totp_reset", object_id=str(admin.pk)).count() == 1
    client = password_client()
    attempt(client, "admin_sorong", PASSWORD, "198.51.100.7")
    assert client.get("/")["Location"].startswith(reverse("otp_enrol"))
    assert user_totp_reset(actor=None, user=admin) == 0


def test_the_test_client_verifies_through_a_real_device_not_a_bypass(personas):
    """The conftest client verifies admin logins with a TOTP device of the user; a session
    without that device id is not verified."""
    client = OtpClient()
    client.force_login(personas["admin_sorong"])
    assert client.get("/").status_code == 200
    assert TOTPDevice.objects.filter(user=personas["admin_sorong"], confirmed=True).count() == 1
    TOTPDevice.objects.filter(user=personas["admin_sorong"]).delete()
    assert client.get("/").status_code == 302


# --- Sessions ----------------------------------------------------------------------------------------------


def age_session(client: Any, **seconds_ago: int) -> None:
    session = client.session
    for key, ago in seconds_ago.items():
        session[{"seen": SEEN_KEY, "started": STARTED_KEY}[key]] -= ago
    session.save()


def test_an_idle_session_ends(personas, client):
    client.force_login(personas["facilitator_remu"])
    assert client.get("/").status_code == 200
    age_session(client, seen=(settings.JARING_SESSION_IDLE_MINUTES - 1) * 60)
    assert client.get("/").status_code == 200  # still within the idle time
    age_session(client, seen=(settings.JARING_SESSION_IDLE_MINUTES + 1) * 60)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not logged_in(client)


def test_a_busy_session_still_ends_after_the_absolute_age(personas, client):
    client.force_login(personas["facilitator_remu"])
    assert client.get("/").status_code == 200
    age_session(client, started=settings.SESSION_COOKIE_AGE + 60)
    response = client.get("/")
    assert response.status_code == 302 and not logged_in(client)


def test_the_idle_time_comes_from_the_setting(personas, client):
    client.force_login(personas["facilitator_remu"])
    age_session(client, seen=10 * 60)
    with override_settings(JARING_SESSION_IDLE_MINUTES=5):
        assert client.get("/").status_code == 302
