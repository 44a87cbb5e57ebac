"""The user administration pages (issue 15): an admin creates, edits and acts on the users of their
own region; the credential is shown once; refusals are messages on the page, never a crash."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import CITY, KLAWASI, PASSWORD, REMU
from jaring.accounts import user_admin
from jaring.accounts.models import ApiToken, Role, User
from jaring.accounts.services import api_token_create
from jaring.core.models import AuditEvent

DISTRICT_1 = "96.71.01"  # the district of Remu
CREDENTIAL = re.compile(r'data-credential>([A-Za-z0-9]+)<')
LINK = re.compile(r'value="(http://testserver/masuk/atur-ulang/[^"]+)"')


@pytest.fixture
def district_admin(personas: dict[str, Any]) -> User:
    user, _creds = user_admin.user_add(actor=None, username="admin_distrik", name="Admin Distrik", role=Role.ADMIN,
                                       areas=[DISTRICT_1], password=PASSWORD)
    return user


def _as(client: Any, user: User) -> Any:
    client.force_login(user)
    return client


def _new_user(**overrides: Any) -> dict[str, Any]:
    data = {"username": "pendamping_baru", "name": "Ester Malibela", "role": "facilitator", "areas": [REMU],
            "phone": "081211112222", "email": "ester@example.org", "credentials": "temporary"}
    data.update(overrides)
    return data


def _messages(response: Any) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


# --- Creating a user ----------------------------------------------------------------------------------

def test_an_admin_creates_a_facilitator_and_sees_the_temporary_password_once(client: Any,
                                                                             personas: dict[str, Any]) -> None:
    _as(client, personas["admin_sorong"])
    page = client.get(reverse("user_create"))
    assert page.status_code == 200
    response = client.post(reverse("user_create"), _new_user())
    assert response.status_code == 200  # the answer itself, never a redirect with the secret in a URL
    assert "no-store" in response["Cache-Control"]
    password = CREDENTIAL.search(response.content.decode()).group(1)  # type: ignore[union-attr]
    assert len(password) == user_admin.TEMP_PASSWORD_LENGTH
    user = User.objects.get(username="pendamping_baru")
    assert user.role == Role.FACILITATOR and user.must_change_password and user.email == "ester@example.org"
    assert list(user.areas.values_list("region__code", flat=True)) == [REMU]
    # Never stored in clear, never in the trail, not on the user's page afterwards.
    assert not any(password in repr((e.before, e.after)) for e in AuditEvent.objects.all())
    detail = client.get(reverse("user_detail", kwargs={"user_id": user.pk}))
    assert detail.status_code == 200 and password not in detail.content.decode()
    # The new user logs in with it (and is then asked for a password of their own).
    newcomer = Client()
    login = newcomer.post(reverse("login"), {"username": "pendamping_baru", "password": password})
    assert login.status_code == 302
    assert newcomer.session["_auth_user_id"] == str(user.pk)


def test_the_link_option_shows_an_absolute_link_that_opens_the_set_password_page(
        client: Any, personas: dict[str, Any], settings: Any) -> None:
    settings.JARING_PASSWORD_RESET_MINUTES = 45
    _as(client, personas["admin_sorong"])
    response = client.post(reverse("user_create"), _new_user(username="operator_baru", role="operator", areas=[],
                                                             credentials="link"))
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    body = response.content.decode()
    link = LINK.search(body).group(1)  # type: ignore[union-attr]
    assert "Berlaku 45 menit" in body
    user = User.objects.get(username="operator_baru")
    assert not user.has_usable_password()
    opened = Client().get(link.removeprefix("http://testserver"))
    assert opened.status_code == 200
    assert "registration/password_reset_confirm.html" in [t.name for t in opened.templates]


def test_a_city_admin_sees_the_new_user_in_the_list_with_the_filters(client: Any, personas: dict[str, Any]) -> None:
    _as(client, personas["admin_sorong"])
    page = client.get(reverse("users"))
    assert page.status_code == 200
    body = page.content.decode()
    assert all(name in body for name in personas)
    filtered = client.get(reverse("users"), {"role": "facilitator", "active": "1", "q": "remu"}).content.decode()
    assert "facilitator_remu" in filtered
    assert "facilitator_klawasi" not in filtered and "operator_sorong" not in filtered


# --- Never above one's own role or area ----------------------------------------------------------------

def test_a_district_admin_grants_nothing_outside_their_district(client: Any, district_admin: User) -> None:
    _as(client, district_admin)
    form = client.get(reverse("user_create")).content.decode()
    assert f'value="{REMU}"' in form and f'value="{KLAWASI}"' not in form and f'value="{CITY}"' not in form
    for areas in ([KLAWASI], [CITY], ["96"]):
        response = client.post(reverse("user_create"), _new_user(areas=areas))
        assert response.status_code == 200
        assert response.context["form"].errors["areas"], areas
    # An office role without areas would see the whole city: refused by the service, on the areas field.
    response = client.post(reverse("user_create"), _new_user(role="operator", areas=[]))
    assert response.status_code == 200 and "areas" in response.context["form"].errors
    assert not User.objects.filter(username="pendamping_baru").exists()
    # Inside the district it works.
    assert client.post(reverse("user_create"), _new_user()).status_code == 200
    assert User.objects.filter(username="pendamping_baru").exists()


def test_a_district_admin_does_not_see_users_of_another_district(client: Any, personas: dict[str, Any],
                                                                  district_admin: User) -> None:
    _as(client, district_admin)
    body = client.get(reverse("users")).content.decode()
    assert "facilitator_remu" in body
    assert "facilitator_klawasi" not in body and "admin_sorong" not in body
    for other in (personas["facilitator_klawasi"], personas["admin_sorong"]):
        assert client.get(reverse("user_detail", kwargs={"user_id": other.pk})).status_code == 404
        assert client.post(reverse("user_detail", kwargs={"user_id": other.pk}), {"name": "X"}).status_code == 404
        for action in ("deactivate", "reset_password", "reset_link", "unlock"):
            url = reverse(f"user_{action}", kwargs={"user_id": other.pk})
            assert client.post(url, {"confirmed": "1"}).status_code == 404
    assert User.objects.get(pk=personas["facilitator_klawasi"].pk).is_active


# --- The last admin and one's own account ------------------------------------------------------------

def test_the_last_city_wide_admin_cannot_be_deactivated(client: Any, personas: dict[str, Any]) -> None:
    # A technical superuser (not an admin) may manage admin_sorong, who is the only city-wide admin.
    root = User.objects.create_superuser("root", PASSWORD, name="Root", role=Role.AUDITOR)
    _as(client, root)
    admin = personas["admin_sorong"]
    url = reverse("user_deactivate", kwargs={"user_id": admin.pk})
    confirm = client.post(url)
    assert confirm.status_code == 200 and 'name="confirmed"' in confirm.content.decode()
    response = client.post(url, {"confirmed": "1"}, follow=True)
    assert response.status_code == 200
    assert "admin aktif terakhir" in _messages(response)
    assert User.objects.get(pk=admin.pk).is_active


def test_a_second_admin_may_deactivate_the_first_and_reactivate_them(client: Any, personas: dict[str, Any]) -> None:
    second, _c = user_admin.user_add(actor=None, username="admin_dua", name="Dua", role=Role.ADMIN, password=PASSWORD)
    _as(client, second)
    admin = personas["admin_sorong"]
    response = client.post(reverse("user_deactivate", kwargs={"user_id": admin.pk}), {"confirmed": "1"}, follow=True)
    assert response.status_code == 200 and "dinonaktifkan" in _messages(response)
    assert not User.objects.get(pk=admin.pk).is_active
    client.post(reverse("user_reactivate", kwargs={"user_id": admin.pk}), {"confirmed": "1"})
    assert User.objects.get(pk=admin.pk).is_active


def test_an_admin_cannot_deactivate_their_own_account(client: Any, personas: dict[str, Any]) -> None:
    admin = personas["admin_sorong"]
    user_admin.user_add(actor=None, username="admin_dua", name="Dua", role=Role.ADMIN, password=PASSWORD)
    _as(client, admin)
    url = reverse("user_deactivate", kwargs={"user_id": admin.pk})
    confirm = client.post(url).content.decode()
    assert "akun Anda sendiri" in confirm and 'name="confirmed"' not in confirm
    response = client.post(url, {"confirmed": "1"}, follow=True)
    assert response.status_code == 200 and "akun Anda sendiri" in _messages(response)
    assert User.objects.get(pk=admin.pk).is_active
    # Their own name they may change; role and areas stay as they are whatever is posted.
    page = client.post(reverse("user_detail", kwargs={"user_id": admin.pk}),
                       {"name": "Yohana K.", "role": "operator", "areas": [REMU], "phone": "", "email": ""},
                       follow=True)
    assert page.status_code == 200
    admin.refresh_from_db()
    assert admin.name == "Yohana K." and admin.role == Role.ADMIN
    assert list(admin.areas.values_list("region__code", flat=True)) == [CITY]


# --- Editing and the other actions ------------------------------------------------------------------

def test_an_unchanged_form_changes_nothing_and_a_change_is_saved(client: Any, personas: dict[str, Any]) -> None:
    _as(client, personas["admin_sorong"])
    remu = personas["facilitator_remu"]
    url = reverse("user_detail", kwargs={"user_id": remu.pk})
    initial = client.get(url).context["form"].initial
    data = {k: v for k, v in initial.items() if v is not None}
    before = AuditEvent.objects.filter(action="user.update").count()
    assert "Tidak ada yang berubah" in _messages(client.post(url, data, follow=True))
    assert AuditEvent.objects.filter(action="user.update").count() == before
    client.post(url, {**data, "areas": [KLAWASI, REMU]})
    assert sorted(remu.areas.values_list("region__code", flat=True)) == sorted([KLAWASI, REMU])


def test_reset_actions_show_the_credential_once_and_end_the_old_password(client: Any,
                                                                         personas: dict[str, Any]) -> None:
    _as(client, personas["admin_sorong"])
    remu = personas["facilitator_remu"]
    url = reverse("user_reset_link", kwargs={"user_id": remu.pk})
    preview = client.post(url)
    assert preview.status_code == 200 and not LINK.search(preview.content.decode())
    done = client.post(url, {"confirmed": "1"})
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    link = LINK.search(done.content.decode()).group(1)  # type: ignore[union-attr]
    assert Client().get(link.removeprefix("http://testserver")).status_code == 200
    assert User.objects.get(pk=remu.pk).check_password(PASSWORD)  # a link leaves the old password working

    done = client.post(reverse("user_reset_password", kwargs={"user_id": remu.pk}), {"confirmed": "1"})
    temporary = CREDENTIAL.search(done.content.decode()).group(1)  # type: ignore[union-attr]
    remu.refresh_from_db()
    assert remu.check_password(temporary) and not remu.check_password(PASSWORD) and remu.must_change_password


def test_tokens_are_revoked_and_the_second_factor_reset_from_the_page(client: Any, personas: dict[str, Any]) -> None:
    from jaring.accounts.testing import otp_test_device

    admin, operator = personas["admin_sorong"], personas["operator_sorong"]
    api_token_create(actor=None, user=operator)
    otp_test_device(operator)
    _as(client, admin)
    page = client.get(reverse("user_detail", kwargs={"user_id": operator.pk})).content.decode()
    assert reverse("user_revoke_tokens", kwargs={"user_id": operator.pk}) in page
    assert f"/jejak/?actor={operator.username}" in page
    response = client.post(reverse("user_revoke_tokens", kwargs={"user_id": operator.pk}), {"confirmed": "1"},
                           follow=True)
    assert "1 token API dicabut" in _messages(response)
    assert not ApiToken.objects.filter(user=operator, revoked_at__isnull=True).exists()
    client.post(reverse("user_totp_reset", kwargs={"user_id": operator.pk}), {"confirmed": "1"})
    assert not user_admin.login_facts(operator).has_second_factor


# --- Access and hostile input -------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["operator_sorong", "facilitator_remu", "liaison", "auditor"])
def test_only_admins_reach_the_pages(client: Any, personas: dict[str, Any], username: str) -> None:
    _as(client, personas[username])
    target = personas["facilitator_klawasi"].pk
    assert client.get(reverse("users")).status_code == 403
    assert client.get(reverse("user_create")).status_code == 403
    assert client.post(reverse("user_create"), _new_user()).status_code == 403
    assert client.get(reverse("user_detail", kwargs={"user_id": target})).status_code == 403
    assert client.post(reverse("user_deactivate", kwargs={"user_id": target}), {"confirmed": "1"}).status_code == 403
    assert 'href="/pengguna/"' not in client.get(reverse("home")).content.decode()
    assert not User.objects.filter(username="pendamping_baru").exists()
    assert User.objects.get(pk=target).is_active


def test_anonymous_visitors_go_to_the_login(personas: dict[str, Any]) -> None:
    response = Client().get(reverse("users"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_nav_shows_users_to_admins(client: Any, personas: dict[str, Any]) -> None:
    _as(client, personas["admin_sorong"])
    assert 'href="/pengguna/"' in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("overrides", [
    {"username": "x" * 5000},
    {"username": "dua kata"},
    {"username": ""},
    {"areas": ["96.71.99.9999"]},
    {"areas": ["' OR 1=1 --"]},
    {"role": "root"},
    {"role": ""},
    {"name": "nul\x00name"},
    {"email": "bukan-surel"},
    {"phone": "0" * 500},
    {"credentials": "both"},
])
def test_hostile_input_is_a_form_error(client: Any, personas: dict[str, Any], overrides: dict[str, Any]) -> None:
    _as(client, personas["admin_sorong"])
    response = client.post(reverse("user_create"), _new_user(**overrides))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert User.objects.count() == len(personas)


def test_hostile_filters_and_ids_do_not_crash(client: Any, personas: dict[str, Any]) -> None:
    _as(client, personas["admin_sorong"])
    for params in ({"role": "root"}, {"active": "maybe"}, {"q": "x" * 5000}, {"q": "\x00"}, {"page": "-1"},
                   {"page": "abc"}):
        assert client.get(reverse("users"), params).status_code == 200, params
    for path in ("/pengguna/abc/", "/pengguna/-1/", "/pengguna/99999999999999999999/",
                 "/pengguna/99999999999999999999/nonaktifkan/", "/pengguna/1/hapus/"):
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"confirmed": "1"}).status_code == 404, path
    remu = personas["facilitator_remu"]
    url = reverse("user_detail", kwargs={"user_id": remu.pk})
    response = client.post(url, {"name": "Maria", "role": "admin' --", "areas": ["96.71.99.9999"]})
    assert response.status_code == 200 and {"role", "areas"} <= set(response.context["form"].errors)
    assert User.objects.get(pk=remu.pk).role == Role.FACILITATOR


def test_a_refused_edit_is_a_message_on_the_form_and_changes_nothing(client: Any, personas: dict[str, Any]) -> None:
    _as(client, personas["admin_sorong"])
    remu = personas["facilitator_remu"]
    url = reverse("user_detail", kwargs={"user_id": remu.pk})
    # A facilitator without an area is refused by the service, on the areas field.
    response = client.post(url, {"name": "Maria Baru", "role": "facilitator", "phone": "", "email": ""})
    assert response.status_code == 200 and "areas" in response.context["form"].errors
    # A control character in the phone number: refused, and the page shows the stored name.
    response = client.post(url, {"name": "Maria Baru", "role": "facilitator", "areas": [REMU], "phone": "08\x01",
                                 "email": ""})
    assert response.status_code == 200 and response.context["form"].errors
    assert response.context["account"].name == "Maria Mobalen"
    assert User.objects.get(pk=remu.pk).name == "Maria Mobalen"


def test_an_action_asks_first_and_keeps_the_comment_in_its_audit_event(client: Any,
                                                                      personas: dict[str, Any]) -> None:
    remu = personas["facilitator_remu"]
    url = reverse("user_deactivate", kwargs={"user_id": remu.pk})
    page = _as(client, personas["admin_sorong"]).get(url)
    assert page.status_code == 200 and 'name="comment"' in page.content.decode()
    assert User.objects.get(pk=remu.pk).is_active  # the GET only shows what will happen
    client.post(url, {"confirmed": "1", "comment": "Pindah tugas ke\x00 Distrik Klawasi"})
    event = AuditEvent.objects.get(action="user.deactivate", object_id=str(remu.pk))
    assert event.after == {"is_active": False, "comment": "Pindah tugas ke Distrik Klawasi"}
