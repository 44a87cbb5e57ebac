"""``/api/v1/users/`` (issue 15): admins manage users within their own region through the same
services as the web pages and the command line. Credentials are shown once and never cached; a
user outside the admin's region is 404; a grant above the admin's own is 400 naming the field; the
last admin stays (409); anyone but an admin is 403; hostile input is 400, never 500."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import resolve
from rest_framework.test import APIClient

from conftest import CITY, KLAWASI, PASSWORD, REMU
from jaring.accounts.models import ApiToken, User
from jaring.accounts.services import api_token_create, user_create
from jaring.core.models import AuditEvent

pytestmark = pytest.mark.django_db
USERS = "/api/v1/users/"
DISTRICT = "96.71.01"  # Remu's district; Klawasi lies in 96.71.03
ACTIONS = ["deactivate", "reactivate", "reset-password", "revoke-tokens", "unlock", "reset-2fa"]


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    return body["error"]


def names(error: dict[str, Any], field: str) -> bool:
    """The error names ``field`` (or an item of it: ``areas.0``)."""
    return any(key == field or key.startswith(field + ".") for key in error.get("fields", {}))


def token_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(actor=None, user=user)}")
    return client


@pytest.fixture
def district_admin(personas: dict[str, Any]) -> User:
    return user_create(actor=None, username="admin_distrik", name="Paulus Sapisa", role="admin", password=PASSWORD,
                       areas=[DISTRICT])


@pytest.fixture
def admin(api_client_for: Any) -> APIClient:
    return api_client_for("admin_sorong")


def test_admin_creates_a_facilitator_and_sees_the_password_once(admin: APIClient, personas: dict[str, Any]) -> None:
    response = admin.post(USERS, {"username": "yuli", "name": "Yuliana Tapilatu", "role": "facilitator",
                                  "areas": ["92.71.01.1008"], "phone": "081298765432",
                                  "email": "yuli@example.org"}, format="json")
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    password = data["temporary_password"]
    assert len(password) == 16 and "reset_link" not in data
    user = User.objects.get(username="yuli")
    assert response["Location"] == f"{USERS}{user.pk}/"
    assert data["id"] == user.pk and data["role"] == "facilitator" and data["is_active"] is True
    assert data["areas"] == [{"code": REMU, "name": "Remu"}]  # the legacy code is the current one
    assert user.check_password(password) and user.must_change_password and user.email == "yuli@example.org"
    # Shown once: not in what is read back, nor in the trail.
    detail = admin.get(f"{USERS}{user.pk}/")
    assert detail.status_code == 200 and password not in detail.content.decode()
    assert "temporary_password" not in detail.json() and detail.json()["must_change_password"] is True
    assert not any(password in json.dumps([e.before, e.after]) for e in AuditEvent.objects.all())
    event = AuditEvent.objects.get(action="user.create", object_id=str(user.pk))
    assert event.actor_label == "admin_sorong" and event.channel == "api"
    listing = admin.get(USERS).json()
    assert "yuli" in [row["username"] for row in listing["results"]]
    assert "system" not in [row["username"] for row in listing["results"]]


def test_a_new_user_may_get_a_one_time_link_instead(admin: APIClient, client: Any) -> None:
    response = admin.post(USERS, {"username": "andi", "role": "operator", "areas": [CITY],
                                  "credentials": "link"}, format="json")
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    data = response.json()
    assert "temporary_password" not in data and data["reset_link_minutes"] > 0
    link = urlsplit(data["reset_link"])
    assert link.scheme == "http" and link.netloc == "testserver"
    assert resolve(link.path).url_name == "password_reset_confirm"
    assert client.get(link.path).status_code == 200  # the link opens the page to set a password
    user = User.objects.get(username="andi")
    assert not user.has_usable_password() and user.name == "andi"
    assert AuditEvent.objects.filter(action="user.reset_link", object_id=str(user.pk)).exists()


def test_list_filters_and_shows_login_facts(admin: APIClient, personas: dict[str, Any]) -> None:
    User.objects.filter(username="facilitator_klawasi").update(is_active=False)
    rows = admin.get(USERS, {"role": "facilitator"}).json()["results"]
    assert [r["username"] for r in rows] == ["facilitator_klawasi", "facilitator_remu"]
    row = rows[1]
    assert row["areas"] == [{"code": REMU, "name": "Remu"}] and row["last_login"] is None
    assert row["failed_logins_recent"] == 0 and row["failed_logins_days"] == 30 and row["locked"] is False
    assert [r["username"] for r in admin.get(USERS, {"active": "false"}).json()["results"]] == ["facilitator_klawasi"]
    assert [r["username"] for r in admin.get(USERS, {"q": "mobalen"}).json()["results"]] == ["facilitator_remu"]
    page = admin.get(USERS, {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    assert admin.get(page["next"]).json()["results"][0]["username"] > page["results"][-1]["username"]
    for params in ({"role": "boss"}, {"active": "maybe"}, {"q": "a\x00b"}, {"page_size": "x"}):
        response = admin.get(USERS, params)
        assert response.status_code in (200, 400), (params, response.status_code)
        if response.status_code == 400:
            assert error_of(response)["code"] in ("invalid", "invalid_parameter")
    assert admin.get(USERS, {"role": "boss"}).status_code == 400


def test_admin_changes_details_role_and_areas(admin: APIClient, personas: dict[str, Any]) -> None:
    user = personas["facilitator_remu"]
    response = admin.patch(f"{USERS}{user.pk}/", {"name": "Maria M.", "phone": "0812", "email": "m@example.org",
                                                  "areas": [REMU, KLAWASI]}, format="json")
    assert response.status_code == 200, response.content
    assert [a["code"] for a in response.json()["areas"]] == [REMU, KLAWASI]
    assert response.json()["name"] == "Maria M." and response.json()["email"] == "m@example.org"
    event = AuditEvent.objects.filter(action="user.update", object_id=str(user.pk)).latest("id")
    assert event.after["areas"] == [REMU, KLAWASI] and event.actor_label == "admin_sorong"
    assert admin.patch(f"{USERS}{user.pk}/", {}, format="json").status_code == 200  # nothing: unchanged
    response = admin.patch(f"{USERS}{user.pk}/", {"role": "operator", "areas": []}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "operator" and response.json()["areas"] == []
    # A facilitator needs an area; the admin does not change their own role.
    response = admin.patch(f"{USERS}{user.pk}/", {"role": "facilitator", "areas": []}, format="json")
    assert response.status_code == 400 and "areas" in error_of(response)["fields"]
    me = personas["admin_sorong"]
    response = admin.patch(f"{USERS}{me.pk}/", {"role": "operator"}, format="json")
    assert response.status_code == 409 and User.objects.get(pk=me.pk).role == "admin"


def test_a_district_admin_sees_only_their_district(personas: dict[str, Any], district_admin: User) -> None:
    api = token_client(district_admin)
    remu, klawasi = personas["facilitator_remu"], personas["facilitator_klawasi"]
    assert [r["username"] for r in api.get(USERS).json()["results"]] == ["admin_distrik", "facilitator_remu"]
    assert api.get(f"{USERS}{remu.pk}/").status_code == 200
    for target in (klawasi, personas["admin_sorong"], personas["operator_sorong"]):
        assert error_of(api.get(f"{USERS}{target.pk}/"))["code"] == "not_found"
        assert api.patch(f"{USERS}{target.pk}/", {"name": "X"}, format="json").status_code == 404
        for action in ACTIONS:
            assert api.post(f"{USERS}{target.pk}/{action}/", {}, format="json").status_code == 404, action
    assert User.objects.get(pk=klawasi.pk).is_active and User.objects.get(pk=klawasi.pk).name == "Siti Aisyah"
    # An area outside their own: 400 naming the field, nothing created or changed.
    response = api.post(USERS, {"username": "baru", "role": "facilitator", "areas": [KLAWASI]}, format="json")
    assert response.status_code == 400 and "areas" in error_of(response)["fields"]
    response = api.post(USERS, {"username": "baru", "role": "operator"}, format="json")  # no area: the whole city
    assert response.status_code == 400 and "areas" in error_of(response)["fields"]
    response = api.patch(f"{USERS}{remu.pk}/", {"areas": [REMU, KLAWASI]}, format="json")
    assert response.status_code == 400 and "areas" in error_of(response)["fields"]
    assert not User.objects.filter(username="baru").exists()
    assert list(User.objects.get(pk=remu.pk).areas.values_list("region__code", flat=True)) == [REMU]
    # Within their district they may.
    response = api.post(USERS, {"username": "baru", "role": "facilitator", "areas": [REMU]}, format="json")
    assert response.status_code == 201, response.content


def test_the_last_admin_over_the_whole_city_stays(personas: dict[str, Any], admin: APIClient) -> None:
    me = personas["admin_sorong"]
    assert admin.post(f"{USERS}{me.pk}/deactivate/").status_code == 409  # not one's own account
    root = User.objects.create_superuser("root", PASSWORD, name="Root", role="operator")
    response = token_client(root).post(f"{USERS}{me.pk}/deactivate/")
    assert response.status_code == 409 and error_of(response)["code"] == "conflict"
    assert User.objects.get(pk=me.pk).is_active
    assert token_client(root).patch(f"{USERS}{me.pk}/", {"role": "operator"}, format="json").status_code == 409
    # With a second admin over the city, the first may go (and come back).
    user_create(actor=None, username="admin_kedua", name="Admin Kedua", role="admin", password=PASSWORD, areas=[CITY])
    response = token_client(root).post(f"{USERS}{me.pk}/deactivate/")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert admin.get(USERS).status_code == 401  # the deactivated admin's token is refused
    response = token_client(root).post(f"{USERS}{me.pk}/reactivate/")
    assert response.status_code == 200 and response.json()["is_active"] is True


@pytest.mark.parametrize("username", ["operator_sorong", "facilitator_remu", "liaison", "auditor"])
def test_anyone_but_an_admin_is_refused(api_client_for: Any, personas: dict[str, Any], username: str) -> None:
    api = api_client_for(username)
    target = personas["facilitator_klawasi"]
    assert error_of(api.get(USERS))["code"] == "forbidden"
    assert api.post(USERS, {"username": "x", "role": "facilitator", "areas": [REMU]}, format="json").status_code == 403
    assert api.get(f"{USERS}{target.pk}/").status_code == 403
    assert api.patch(f"{USERS}{target.pk}/", {"role": "admin"}, format="json").status_code == 403
    for action in ACTIONS:
        assert api.post(f"{USERS}{target.pk}/{action}/", {}, format="json").status_code == 403, action
    assert not User.objects.filter(username="x").exists() and User.objects.get(pk=target.pk).role == "facilitator"


def test_reset_password_revoke_unlock_and_second_factor(admin: APIClient, personas: dict[str, Any]) -> None:
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = personas["facilitator_remu"]
    url = f"{USERS}{user.pk}/"
    response = admin.post(url + "reset-password/", {"method": "temporary"}, format="json")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    password = response.json()["temporary_password"]
    assert User.objects.get(pk=user.pk).check_password(password) and not User.objects.get(pk=user.pk).check_password(
        PASSWORD)
    response = admin.post(url + "reset-password/", {"method": "link"}, format="json")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert set(response.json()) == {"reset_link", "reset_link_minutes"}
    assert response.json()["reset_link"].startswith("http://testserver/")
    response = admin.post(url + "reset-password/", {"method": "email"}, format="json")
    assert response.status_code == 400 and "method" in error_of(response)["fields"]

    api_token_create(actor=None, user=user)
    api_token_create(actor=None, user=user)
    assert admin.get(url).json()["active_tokens"] == 2
    assert admin.post(url + "revoke-tokens/").json() == {"revoked": 2}
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="api_token.revoke_all", object_id=str(user.pk)).exists()

    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() + dt.timedelta(minutes=30))
    assert admin.get(url).json()["locked"] is True
    response = admin.post(url + "unlock/")
    assert response.status_code == 200 and response.json()["locked"] is False
    assert User.objects.get(pk=user.pk).locked_until is None

    TOTPDevice.objects.create(user=user, name="ponsel", confirmed=True)
    assert admin.get(url).json()["has_second_factor"] is True
    assert admin.post(url + "reset-2fa/").json() == {"devices_removed": 1}
    assert AuditEvent.objects.filter(action="user.totp_reset", actor__username="admin_sorong").exists()


def test_unknown_ids_are_404(admin: APIClient, personas: dict[str, Any]) -> None:
    from jaring.accounts.services import system_user

    for user_id in (999999, 2**31, 2**63, 10**30, system_user().pk):
        assert admin.get(f"{USERS}{user_id}/").status_code == 404
        assert admin.post(f"{USERS}{user_id}/deactivate/").status_code == 404
    assert admin.get(f"{USERS}abc/").status_code == 404


BIG = "x" * 1_000_000


@pytest.mark.parametrize("payload, field", [
    ({"username": BIG, "role": "facilitator", "areas": [REMU]}, "username"),
    ({"username": "a", "name": BIG, "role": "facilitator", "areas": [REMU]}, "name"),
    ({"username": "a", "role": "facilitator", "areas": [REMU], "phone": "0" * 10_000}, "phone"),
    ({"username": "a", "role": "facilitator", "areas": [BIG]}, "areas"),
    ({"username": "a", "role": "facilitator", "areas": [REMU] * 100_000}, "areas"),
    ({"username": "a", "role": "boss", "areas": [REMU]}, "role"),
    ({"username": "a", "role": 5, "areas": [REMU]}, "role"),
    ({"username": "a", "role": ["admin"], "areas": [REMU]}, "role"),
    ({"username": "a", "role": "facilitator", "areas": REMU}, "areas"),
    ({"username": "a", "role": "facilitator", "areas": {"code": REMU}}, "areas"),
    ({"username": "a", "role": "facilitator", "areas": [[REMU]]}, "areas.0"),
    ({"username": "a", "role": "facilitator", "areas": ["99.99.99.9999"]}, "areas"),
    ({"username": "a", "role": "facilitator", "areas": ["96.71\x00"]}, "areas.0"),
    ({"username": "a b", "role": "facilitator", "areas": [REMU]}, "username"),
    ({"username": "a\x00b", "role": "facilitator", "areas": [REMU]}, "username"),
    ({"username": "a\x07b", "role": "facilitator", "areas": [REMU]}, "username"),
    ({"username": {"$ne": ""}, "role": "facilitator", "areas": [REMU]}, "username"),
    ({"username": None, "role": "facilitator", "areas": [REMU]}, "username"),
    ({"username": "a", "role": "facilitator", "areas": [REMU], "email": "not-an-address"}, "email"),
    ({"username": "a", "role": "facilitator", "areas": [REMU], "credentials": "plain"}, "credentials"),
    ({"role": "facilitator", "areas": [REMU]}, "username"),
    ({"username": "a", "areas": [REMU]}, "role"),
])
def test_hostile_create_payloads_are_400_naming_the_field(admin: APIClient, payload: dict[str, Any],
                                                          field: str) -> None:
    count = User.objects.count()
    response = admin.post(USERS, payload, format="json")
    assert response.status_code == 400, response.content[:300]
    assert names(error_of(response), field), error_of(response)
    assert User.objects.count() == count


@pytest.mark.parametrize("payload, field", [
    ({"name": BIG}, "name"),
    ({"role": "root"}, "role"),
    ({"role": None}, "role"),
    ({"areas": "96.71"}, "areas"),
    ({"areas": None}, "areas"),
    ({"areas": [None]}, "areas.0"),
    ({"areas": ["00.00"]}, "areas"),
    ({"email": ["a@example.org"]}, "email"),
    ({"phone": {"n": 1}}, "phone"),
])
def test_hostile_update_payloads_are_400_naming_the_field(admin: APIClient, personas: dict[str, Any],
                                                          payload: dict[str, Any], field: str) -> None:
    user = personas["facilitator_remu"]
    response = admin.patch(f"{USERS}{user.pk}/", payload, format="json")
    assert response.status_code == 400, response.content[:300]
    assert names(error_of(response), field), error_of(response)
    fresh = User.objects.get(pk=user.pk)
    assert fresh.name == "Maria Mobalen" and fresh.role == "facilitator"


@pytest.mark.parametrize("body", ["[]", "\"admin\"", "null", "17", "{", "{\"username\": \"a\", \"role\": "])
def test_bodies_that_are_not_an_object_are_400(admin: APIClient, personas: dict[str, Any], body: str) -> None:
    user = personas["facilitator_remu"]
    targets = (("post", USERS), ("patch", f"{USERS}{user.pk}/"), ("post", f"{USERS}{user.pk}/reset-password/"))
    for method, url in targets:
        response = getattr(admin, method)(url, body, content_type="application/json")
        assert response.status_code == 400, (method, url, body, response.content[:300])
        assert error_of(response)["code"] in ("invalid", "parse_error")


def test_a_one_megabyte_body_is_400_with_the_field(admin: APIClient) -> None:
    body = json.dumps({"username": "besar", "role": "facilitator", "areas": [REMU], "name": "n" * (1 << 20)})
    response = admin.post(USERS, body, content_type="application/json")
    assert response.status_code == 400 and "name" in error_of(response)["fields"]
    assert not User.objects.filter(username="besar").exists()
