"""One's own account (issue 15, point 2): the password, a temporary password that must be changed,
one's own API tokens and one's own second factor."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from jaring.accounts.models import ApiToken, User
from jaring.accounts.services import api_token_create, user_set_language
from jaring.accounts.testing import OtpClient, otp_test_device
from jaring.accounts.user_admin import user_reset_password
from jaring.core.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "kelapa-muda-di-pantai-tanjung-kasuari"
CHANGE = "/akun/kata-sandi/"


def events(user: User, action: str) -> int:
    return AuditEvent.objects.filter(object_type="accounts.user", object_id=str(user.pk), action=action).count()


def change(client: Client, old: str, new: str, repeat: str | None = None) -> Any:
    return client.post(CHANGE, {"old_password": old, "new_password1": new,
                                "new_password2": new if repeat is None else repeat})


# --- Changing one's password ----------------------------------------------------------------------

def test_a_wrong_old_password_changes_nothing(client: Client, personas: dict[str, Any]) -> None:
    user = personas["facilitator_remu"]
    client.force_login(user)
    response = change(client, "bukan-kata-sandinya", NEW_PASSWORD)
    assert response.status_code == 200
    assert "Kata sandi lama salah." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and not user.check_password(NEW_PASSWORD)
    assert events(user, "user.password_change_failed") == 1 and events(user, "user.password_change") == 0


@pytest.mark.parametrize(("language", "expected"), [
    ("id", "Kata sandi terlalu pendek"), ("en", "This password is too short")])
def test_the_validators_refuse_in_the_users_language(personas: dict[str, Any], language: str,
                                                     expected: str) -> None:
    user = personas["facilitator_remu"]
    user_set_language(actor=user, language=language)
    browser = Client()
    assert browser.post("/masuk/", {"username": user.username, "password": PASSWORD}).status_code == 302
    response = change(browser, PASSWORD, "pendek1")
    body = response.content.decode()
    assert response.status_code == 200 and expected in body
    assert 'id="id_new_password1-error"' in body  # on the field, not only in the summary
    mismatch = change(browser, PASSWORD, NEW_PASSWORD, repeat=NEW_PASSWORD + "x")
    assert mismatch.status_code == 200 and 'id="id_new_password2-error"' in mismatch.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_change_keeps_this_session_and_ends_the_others(personas: dict[str, Any]) -> None:
    user = personas["operator_sorong"]  # a role behind the second factor: the session stays verified
    here, elsewhere = OtpClient(), OtpClient()
    here.force_login(user)
    elsewhere.force_login(user)
    response = change(here, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 200 and 'id="password-changed"' in response.content.decode()
    assert here.get("/akun/").status_code == 200
    assert here.get("/orang/").status_code == 200
    assert elsewhere.get("/akun/").status_code == 302  # the old hash no longer matches: logged out
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and user.password_changed_at is not None
    assert events(user, "user.password_change") == 1
    event = AuditEvent.objects.get(action="user.password_change", object_id=str(user.pk))
    assert PASSWORD not in repr(event.after) and NEW_PASSWORD not in repr(event.after)


def test_the_same_password_again_is_refused(client: Client, personas: dict[str, Any]) -> None:
    client.force_login(personas["facilitator_remu"])
    response = change(client, PASSWORD, PASSWORD)
    assert response.status_code == 200 and "harus berbeda" in response.content.decode()


def test_the_change_page_needs_a_login() -> None:
    response = Client().get(CHANGE)
    assert response.status_code == 302 and response["Location"].startswith("/masuk/")


# --- A temporary password -------------------------------------------------------------------------

def test_a_temporary_password_opens_only_the_change_page(personas: dict[str, Any]) -> None:
    user = personas["facilitator_remu"]
    temporary = user_reset_password(actor=personas["admin_sorong"], user=user).temporary_password
    token = api_token_create(actor=None, user=user, name="skrip")
    browser = Client()
    assert browser.post("/masuk/", {"username": user.username, "password": temporary}).status_code == 302
    for path in ("/", "/orang/", "/akun/", "/masuk/lupa/"):
        response = browser.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(CHANGE), (path, response["Location"])
    assert browser.post("/orang/baru/", {}).status_code == 302
    fragment = browser.get("/orang/", HTTP_HX_REQUEST="true")  # htmx goes to the whole page instead
    assert fragment.status_code == 204 and fragment["HX-Redirect"].startswith(CHANGE)
    page = browser.get(CHANGE)
    assert page.status_code == 200 and "kata sandi sementara" in page.content.decode()
    assert browser.post("/i18n/setlang/", {"language": "id", "next": CHANGE}).status_code == 302

    api = browser.get("/api/v1/persons/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "password_change_required"
    # A token is not a session: it keeps working.
    assert Client().get("/api/v1/persons/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200

    done = change(browser, temporary, NEW_PASSWORD)
    assert done.status_code == 200
    user.refresh_from_db()
    assert not user.must_change_password
    assert browser.get("/orang/").status_code == 200
    assert browser.get("/api/v1/persons/").status_code == 200


def test_the_second_factor_comes_before_the_change(personas: dict[str, Any]) -> None:
    user = personas["operator_sorong"]
    otp_test_device(user)
    temporary = user_reset_password(actor=personas["admin_sorong"], user=user).temporary_password
    browser = OtpClient(verify_otp=False)
    assert browser.post("/masuk/", {"username": user.username, "password": temporary}).status_code == 302
    assert browser.get("/orang/")["Location"].startswith("/masuk/kode/")
    assert browser.get(CHANGE)["Location"].startswith("/masuk/kode/")


def test_logging_out_stays_possible(personas: dict[str, Any]) -> None:
    user = personas["facilitator_remu"]
    temporary = user_reset_password(actor=personas["admin_sorong"], user=user).temporary_password
    browser = Client()
    browser.post("/masuk/", {"username": user.username, "password": temporary})
    response = browser.post("/keluar/")
    assert response.status_code == 302 and not response["Location"].startswith(CHANGE)
    assert browser.get("/orang/")["Location"].startswith("/masuk/")


# --- One's own API tokens -------------------------------------------------------------------------

def test_a_new_token_is_shown_once_and_works(client: Client, personas: dict[str, Any]) -> None:
    user = personas["facilitator_remu"]
    client.force_login(user)
    response = client.post("/akun/token/baru/", {"name": "laptop\x00 kantor"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    record = ApiToken.objects.get(user=user)
    token = response.context["token"]
    assert token.startswith(record.prefix) and record.name == "laptop kantor"
    assert token in response.content.decode()
    assert token not in client.get("/akun/").content.decode()  # never again
    assert Client().get("/api/v1/persons/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert client.get("/akun/token/baru/").status_code == 405


def test_the_page_lists_only_ones_own_tokens(client: Client, personas: dict[str, Any]) -> None:
    api_token_create(actor=None, user=personas["facilitator_remu"], name="punya-saya")
    api_token_create(actor=None, user=personas["facilitator_klawasi"], name="punya-orang-lain")
    client.force_login(personas["facilitator_remu"])
    body = client.get("/akun/").content.decode()
    mine = ApiToken.objects.get(name="punya-saya")
    theirs = ApiToken.objects.get(name="punya-orang-lain")
    assert mine.prefix in body and "punya-saya" in body
    assert theirs.prefix not in body and "punya-orang-lain" not in body


def test_revoking_ones_own_token(client: Client, personas: dict[str, Any]) -> None:
    user = personas["facilitator_remu"]
    token = api_token_create(actor=None, user=user, name="lama")
    record = ApiToken.objects.get(user=user)
    client.force_login(user)
    assert client.get(f"/akun/token/{record.pk}/cabut/").status_code == 405
    response = client.post(f"/akun/token/{record.pk}/cabut/")
    assert response.status_code == 302 and response["Location"] == "/akun/"
    record.refresh_from_db()
    assert record.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(record.pk), actor=user).exists()
    assert Client().get("/api/v1/persons/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert client.post(f"/akun/token/{record.pk}/cabut/").status_code == 404  # already revoked


@pytest.mark.parametrize("username", ["facilitator_remu", "admin_sorong"])
def test_another_users_token_is_not_found(client: Client, personas: dict[str, Any], username: str) -> None:
    """Not even an admin revokes somebody else's token here (that is the user administration's)."""
    api_token_create(actor=None, user=personas["facilitator_klawasi"], name="orang-lain")
    record = ApiToken.objects.get(name="orang-lain")
    client.force_login(personas[username])
    assert client.post(f"/akun/token/{record.pk}/cabut/").status_code == 404
    assert client.post("/akun/token/999999999/cabut/").status_code == 404
    record.refresh_from_db()
    assert record.revoked_at is None
    assert not AuditEvent.objects.filter(action="api_token.revoke").exists()


def test_the_account_page_shows_ones_own_details(client: Client, personas: dict[str, Any]) -> None:
    user = personas["facilitator_remu"]
    client.force_login(user)
    body = client.get("/akun/").content.decode()
    assert user.username in body and user.get_role_display() in body
    assert 'action="/i18n/setlang/"' in body and 'href="/akun/kata-sandi/"' in body
    assert Client().get("/akun/")["Location"].startswith("/masuk/")


# --- One's own second factor ----------------------------------------------------------------------

def test_resetting_ones_second_factor_needs_the_password(client: Client, personas: dict[str, Any]) -> None:
    user = personas["operator_sorong"]
    client.force_login(user)  # verified through a real device (OtpClient)
    wrong = client.post("/akun/dua-langkah/atur-ulang/", {"password": "bukan-ini"})
    assert wrong.status_code == 200 and "Kata sandi salah." in wrong.content.decode()
    assert TOTPDevice.objects.filter(user=user).exists() and events(user, "user.totp_reset") == 0

    right = client.post("/akun/dua-langkah/atur-ulang/", {"password": PASSWORD})
    assert right.status_code == 302 and right["Location"] == "/akun/dua-langkah/"
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    assert events(user, "user.totp_reset") == 1
    # The role requires the second factor: every page now leads to enrolment.
    assert client.get("/orang/")["Location"].startswith("/akun/dua-langkah/")
    assert client.get("/akun/dua-langkah/").status_code == 200


def test_the_account_page_offers_enrolment_when_the_role_requires_it(personas: dict[str, Any]) -> None:
    browser = OtpClient()
    browser.force_login(personas["operator_sorong"])
    body = browser.get("/akun/").content.decode()
    assert 'href="/akun/dua-langkah/atur-ulang/"' in body
    browser = OtpClient()
    browser.force_login(personas["facilitator_remu"])
    assert "tidak memerlukan verifikasi dua langkah" in browser.get("/akun/").content.decode()


def test_the_probes_answer_a_session_that_owes_a_second_factor_or_a_new_password(personas: dict[str, Any]) -> None:
    admin, remu = personas["admin_sorong"], personas["facilitator_remu"]
    User.objects.filter(pk=remu.pk).update(must_change_password=True)
    for user in (admin, remu):  # a plain client: the admin's second factor is not verified
        client = Client()
        client.force_login(user)
        assert client.get("/healthz").status_code == 200
        assert client.get("/orang/").status_code == 302
