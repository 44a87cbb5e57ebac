"""Users, roles, areas, passwords, API tokens, lockout and the user CLI (accounts app)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse

from conftest import CITY, KLAWASI, PASSWORD, REMU
from jaring.accounts.models import ApiToken, AreaAssignment, LoginThrottle, Role, User
from jaring.accounts.selectors import scope_for
from jaring.accounts.services import (
    api_token_create,
    api_token_revoke,
    hash_token,
    user_create,
    user_set_areas,
)
from jaring.core.errors import Conflict, NotFound, ValidationFailed
from jaring.core.models import AuditEvent
from jaring.regions.models import Region

SORONG_DISTRICT = "96.71.01"  # distrik Sorong: Remu Utara, Klademak, Kofkerbu, Remu
REFUSED_MESSAGE = "Nama pengguna atau kata sandi salah, atau akun dikunci sementara"


def make_user(username: str = "yakob", role: str = "operator", areas: tuple[str, ...] = (CITY,),
              name: str = "Yakob Wanma") -> User:
    return user_create(actor=None, username=username, name=name, role=role, password=PASSWORD, areas=areas)


# --- The user model -------------------------------------------------------------------------------


def test_custom_user_has_one_name_field_and_is_the_auth_model(db):
    assert get_user_model() is User
    fields = {f.name for f in User._meta.get_fields()}
    assert "name" in fields
    assert not {"first_name", "last_name"} & fields
    assert User.REQUIRED_FIELDS == ["name"]
    user = make_user(name="Yohana Kambu Sawaki")
    assert user.get_full_name() == "Yohana Kambu Sawaki"
    assert user.get_short_name() == "Yohana"
    assert str(user) == "Yohana Kambu Sawaki"


def test_blank_name_falls_back_to_the_username(db):
    user = user_create(actor=None, username="pelaksana", name="", role="operator", password=PASSWORD,
                       areas=[CITY])
    assert User.objects.get(pk=user.pk).name == "pelaksana"


def test_roles_are_exactly_the_five_and_say_who_writes_and_who_sees_poverty_data():
    assert set(Role.values) == {"admin", "operator", "facilitator", "liaison", "auditor"}
    writers = {r for r in Role.values if User(role=r).can_write_registry}
    assert writers == {"admin", "operator", "facilitator"}
    blind_to_poverty = {r for r in Role.values if not User(role=r).sees_poverty_data}
    assert blind_to_poverty == {"liaison"}


def test_personas_have_their_roles_and_areas(personas):
    assert {u: p.role for u, p in personas.items()} == {
        "admin_sorong": "admin", "operator_sorong": "operator", "facilitator_remu": "facilitator",
        "facilitator_klawasi": "facilitator", "liaison": "liaison", "auditor": "auditor",
    }
    areas = {u: sorted(p.areas.values_list("region__code", flat=True)) for u, p in personas.items()}
    assert areas["facilitator_remu"] == [REMU]
    assert areas["facilitator_klawasi"] == [KLAWASI]
    assert areas["admin_sorong"] == [CITY]


# --- user_create ----------------------------------------------------------------------------------


def test_user_create_stores_areas_and_audits(db):
    user = make_user(username="maria", role="facilitator", areas=(REMU, KLAWASI), name="Maria Mobalen")
    assert sorted(user.areas.values_list("region__code", flat=True)) == [REMU, KLAWASI]
    assert user.check_password(PASSWORD)
    event = AuditEvent.objects.get(action="user.create", object_id=str(user.pk))
    assert event.after == {"username": "maria", "role": "facilitator", "areas": [REMU, KLAWASI]}
    assert PASSWORD not in json.dumps(event.after)


def test_user_create_accepts_a_legacy_area_code_and_stores_the_current_region(db):
    user = make_user(username="maria", role="facilitator", areas=("92.71.01.1008",))
    assert list(user.areas.values_list("region__code", flat=True)) == [REMU]


@pytest.mark.parametrize("kwargs, error, field", [
    ({"role": "superhero"}, ValidationFailed, "role"),
    ({"role": "Admin"}, ValidationFailed, "role"),  # role names are exact
    ({"areas": ["99.99.99.9999"]}, ValidationFailed, "area"),
    ({"areas": [CITY, "96.71.99"]}, ValidationFailed, "area"),
    ({"role": "facilitator", "areas": []}, ValidationFailed, "area"),
    ({"password": "pendek"}, ValidationFailed, "password"),
])
def test_user_create_refusals_write_nothing(db, kwargs, error, field):
    values = {"actor": None, "username": "baru", "name": "Orang Baru", "role": "operator",
              "password": PASSWORD, "areas": [CITY]}
    values.update(kwargs)
    with pytest.raises(error) as info:
        user_create(**values)
    assert field in info.value.fields
    assert not User.objects.filter(username="baru").exists()
    assert not AreaAssignment.objects.exists()
    assert not AuditEvent.objects.filter(action="user.create").exists()


@pytest.mark.parametrize("blank", ["", " "])
def test_user_create_refuses_a_blank_area_code(db, blank):
    with pytest.raises(ValidationFailed):
        user_create(actor=None, username="baru", name="Orang Baru", role="facilitator", password=PASSWORD,
                    areas=[blank])
    assert not User.objects.filter(username="baru").exists()


def test_user_create_refuses_a_duplicate_username(db):
    first = make_user(username="rudi")
    with pytest.raises(Conflict) as info:
        make_user(username="rudi", role="admin", name="Rudi Lain")
    assert "rudi" in str(info.value)
    assert list(User.objects.filter(username="rudi")) == [first]
    assert User.objects.get(username="rudi").role == "operator"


# --- Area grants ----------------------------------------------------------------------------------


def test_a_district_area_grants_every_kelurahan_below_it(db):
    user = make_user(username="distrik", areas=(SORONG_DISTRICT,))
    scope = scope_for(user)
    visible = set(Region.objects.filter(id__in=scope.region_ids).values_list("code", flat=True))
    assert visible == {SORONG_DISTRICT, "96.71.01.1001", "96.71.01.1002", "96.71.01.1003", REMU}
    assert scope.contains_code(REMU)
    assert not scope.contains_code(KLAWASI)
    assert not scope.contains_code(CITY)  # an area grants what lies below it, not above
    assert not scope.covers_every_kelurahan
    by_q = set(Region.objects.filter(scope.q("code")).values_list("code", flat=True))
    assert by_q == visible


def test_a_city_area_grants_the_whole_tree_below_the_city(personas):
    scope = scope_for(personas["operator_sorong"])
    kelurahan = Region.objects.filter(level=Region.Level.KELURAHAN)
    assert set(kelurahan.values_list("id", flat=True)) <= set(scope.region_ids)
    assert scope.covers_every_kelurahan
    assert not scope.contains_code("96")  # the province is above the area


def test_facilitator_klawasi_sees_nothing_of_remu(personas, register_person):
    klawasi = scope_for(personas["facilitator_klawasi"])
    remu = Region.objects.get(code=REMU)
    assert klawasi.region_ids == [Region.objects.get(code=KLAWASI).id]
    assert remu.id not in klawasi.region_ids
    assert not klawasi.contains_code(REMU)

    from jaring.registry.selectors import person_get, person_list

    person = register_person()
    assert person.kelurahan_id == remu.id
    assert list(person_list(actor=personas["facilitator_klawasi"])) == []
    with pytest.raises(NotFound):
        person_get(actor=personas["facilitator_klawasi"], person_id=person.pk)
    assert person_get(actor=personas["facilitator_remu"], person_id=person.pk) == person


def test_an_area_does_not_grant_a_sibling_whose_code_merely_starts_the_same(personas):
    from jaring.regions.services import regions_load

    # 96.71.01.10041 begins with Remu's code (96.71.01.1004) but is not below it.
    regions_load(rows=[{"code": "96.71.01.10041", "legacy_code": "", "level": "kelurahan",
                        "name": "Remu Baru", "parent_code": "96.71.01"}])
    remu_scope = scope_for(personas["facilitator_remu"])
    assert not remu_scope.contains_code("96.71.01.10041")
    assert set(Region.objects.filter(id__in=remu_scope.region_ids).values_list("code", flat=True)) == {REMU}


def test_several_areas_grant_their_union(db):
    user = make_user(username="dua", role="facilitator", areas=(REMU, KLAWASI))
    codes = set(Region.objects.filter(id__in=scope_for(user).region_ids).values_list("code", flat=True))
    assert codes == {REMU, KLAWASI}


def test_a_facilitator_never_falls_back_to_the_tenant_region(db):
    user = make_user(username="kosong", role="facilitator", areas=(REMU,))
    user_set_areas(actor=None, user=user, codes=[])
    assert scope_for(User.objects.get(pk=user.pk)).region_ids == []


def test_an_admin_without_areas_sees_the_tenant_region(db):
    user = user_create(actor=None, username="kepala", name="Kepala Seksi", role="admin",
                       password=PASSWORD, areas=[])
    assert scope_for(user).codes == [settings.JARING_TENANT_REGION]


# --- Passwords ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def production_hashers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """PASSWORD_HASHERS and a fresh hash as configured outside the test suite (JARING_TESTING off)."""
    home = tmp_path_factory.mktemp("prod-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JARING_", "DJANGO_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "jaring.settings", "JARING_HOME": str(home),
                "JARING_TESTING": "false"})
    script = ("import json, django; django.setup(); from django.conf import settings; "
              "from django.contrib.auth.hashers import make_password; "
              "print(json.dumps({'hashers': settings.PASSWORD_HASHERS, 'hash': make_password('x' * 12)}))")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          cwd=Path(settings.BASE_DIR), timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_argon2_is_the_hasher_outside_tests(production_hashers):
    assert production_hashers["hashers"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"  # type: ignore[index]
    assert str(production_hashers["hash"]).startswith("argon2")


def test_user_create_stores_an_argon2_hash_with_the_production_hashers(db, production_hashers, client):
    with override_settings(PASSWORD_HASHERS=production_hashers["hashers"]):
        user = make_user(username="argon")
        stored = User.objects.get(pk=user.pk).password
        assert stored.startswith("argon2")
        assert PASSWORD not in stored
        assert user.check_password(PASSWORD)
        assert not user.check_password(PASSWORD + "x")
        response = client.post(reverse("login"), {"username": "argon", "password": PASSWORD})
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(user.pk)


# --- API tokens -----------------------------------------------------------------------------------


def test_api_token_is_stored_only_as_its_sha256(personas):
    user = personas["operator_sorong"]
    token = api_token_create(actor=user, user=user, name="laptop")
    assert token.startswith("jrg_") and len(token) > 40
    record = ApiToken.objects.get(user=user)
    assert record.key_hash == hashlib.sha256(token.encode()).hexdigest() == hash_token(token)
    assert token.startswith(record.prefix) and len(record.prefix) < len(token) // 2
    out = io.StringIO()
    call_command("dumpdata", stdout=out)  # every table of the database
    assert token not in out.getvalue()
    assert token[len(record.prefix):] not in out.getvalue()


def test_two_tokens_differ(personas):
    user = personas["operator_sorong"]
    assert api_token_create(actor=None, user=user) != api_token_create(actor=None, user=user)


def test_a_token_authenticates_and_stops_once_revoked(personas, client):
    from rest_framework.test import APIClient

    user = personas["facilitator_remu"]
    token = api_token_create(actor=user, user=user)
    other = api_token_create(actor=user, user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "facilitator_remu"
    assert ApiToken.objects.get(key_hash=hash_token(token)).last_used_at is not None

    api_token_revoke(actor=personas["admin_sorong"], token=ApiToken.objects.get(key_hash=hash_token(token)))
    assert api.get("/api/v1/me/").status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {other}")  # revoking one leaves the others
    assert api.get("/api/v1/me/").status_code == 200


def test_a_wrong_or_hashed_token_is_refused(personas):
    from rest_framework.test import APIClient

    user = personas["operator_sorong"]
    token = api_token_create(actor=None, user=user)
    api = APIClient()
    for candidate in (token + "x", token[:-1], hash_token(token), token.upper()):
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {candidate}")
        assert api.get("/api/v1/me/").status_code == 401, candidate


def test_a_deactivated_users_token_is_refused(personas):
    from rest_framework.test import APIClient

    user = personas["operator_sorong"]
    token = api_token_create(actor=None, user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/me/").status_code == 401


# --- Throttling (web login form; the abuse cases are in tests/security) -----------------------------


def post_login(client, username: str, password: str, ip: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def logged_in(client) -> bool:  # type: ignore[no-untyped-def]
    return "_auth_user_id" in client.session


def test_right_password_logs_in(personas, client):
    response = post_login(client, "operator_sorong", PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


def test_backoff_after_repeated_failures_refuses_even_the_right_password(personas, client):
    free = settings.JARING_LOGIN_PAIR_FREE
    assert free >= 2
    for _ in range(free - 1):
        response = post_login(client, "facilitator_remu", "salah-sekali-2026")
        assert response.status_code == 200
        assert REFUSED_MESSAGE in response.content.decode()
    assert not LoginThrottle.objects.filter(blocked_until__isnull=False).exists()

    post_login(client, "facilitator_remu", "salah-sekali-2026")  # the last free failure
    pair = LoginThrottle.objects.get(scope="pair")
    assert pair.failures == free and pair.blocked_until is not None
    assert AuditEvent.objects.filter(action="login.failed", object_id=str(personas["facilitator_remu"].pk)
                                     ).count() == free

    response = post_login(client, "facilitator_remu", PASSWORD)
    page = response.content.decode()
    assert response.status_code == 200
    assert not logged_in(client)
    assert REFUSED_MESSAGE in page  # in Indonesian, the office's language, and the same as a wrong password
    assert response.headers["Content-Language"] == "id"
    assert AuditEvent.objects.filter(action="login.throttled").count() == 1
    # The account itself is not locked, and other accounts are not affected.
    assert User.objects.get(username="facilitator_remu").locked_until is None
    assert post_login(client, "facilitator_klawasi", PASSWORD).status_code == 302


def test_backoff_ends_when_its_time_has_passed(personas, client):
    for _ in range(settings.JARING_LOGIN_PAIR_FREE):
        post_login(client, "facilitator_remu", "salah-sekali-2026")
    assert post_login(client, "facilitator_remu", PASSWORD).status_code == 200
    assert not logged_in(client)
    # Move the block into the past, as if its time had passed.
    LoginThrottle.objects.update(blocked_until=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    response = post_login(client, "facilitator_remu", PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)
    assert not LoginThrottle.objects.filter(scope="pair").exists()  # the pair starts afresh


def test_the_wait_doubles_with_each_further_failure(personas, client):
    free = settings.JARING_LOGIN_PAIR_FREE
    waits = []
    for _ in range(3):
        for _ in range(free if not waits else 1):
            post_login(client, "auditor", "salah-sekali-2026")
        row = LoginThrottle.objects.get(scope="pair")
        waits.append((row.blocked_until - row.last_failure_at).total_seconds())
        LoginThrottle.objects.update(blocked_until=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    base = settings.JARING_LOGIN_BACKOFF_SECONDS
    assert waits == [base, 2 * base, 4 * base]


def test_a_successful_login_resets_the_count_of_its_username_and_address(personas, client):
    free = settings.JARING_LOGIN_PAIR_FREE
    for _ in range(free - 1):
        post_login(client, "operator_sorong", "salah-sekali-2026")
    assert post_login(client, "operator_sorong", PASSWORD).status_code == 302
    client.logout()
    assert not LoginThrottle.objects.filter(scope="pair").exists()
    for _ in range(free - 1):
        post_login(client, "operator_sorong", "salah-sekali-2026")
    assert not LoginThrottle.objects.filter(blocked_until__isnull=False).exists()
    assert post_login(client, "operator_sorong", PASSWORD).status_code == 302
    # The account's own count (failures from anywhere) is kept: a success does not reset it.
    assert LoginThrottle.objects.get(scope="account").failures == 2 * (free - 1)


def test_the_limits_come_from_the_settings(personas, client):
    with override_settings(JARING_LOGIN_ACCOUNT_FREE=2, JARING_LOGIN_PAIR_FREE=10):
        post_login(client, "auditor", "salah-sekali-2026", ip="10.1.0.1")
        assert User.objects.get(username="auditor").locked_until is None
        post_login(client, "auditor", "salah-sekali-2026", ip="10.1.0.2")
        assert User.objects.get(username="auditor").locked_until is not None
        assert AuditEvent.objects.filter(action="user.locked").count() == 1
        response = post_login(client, "auditor", PASSWORD, ip="10.1.0.3")
        assert REFUSED_MESSAGE in response.content.decode()
        assert not logged_in(client)


def test_an_unknown_username_is_refused_plainly(personas, client):
    response = post_login(client, "tidak_ada", PASSWORD)
    assert response.status_code == 200
    assert REFUSED_MESSAGE in response.content.decode()
    assert not logged_in(client)


# --- CLI: jaring user add / jaring user token -----------------------------------------------------


def run(name: str, *args: str) -> tuple[int, str, str]:
    """call_command with captured output; JaringCommand turns refusals into SystemExit(code)."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stderr
    sys.stderr = err  # JaringCommand writes its one-line refusal to sys.stderr
    try:
        call_command(name, *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


def test_cli_user_add_creates_a_user_with_areas(db, monkeypatch):
    monkeypatch.setenv("JARING_PASSWORD", PASSWORD)
    code, out, err = run("user_add", "maria", "--role", "facilitator", "--area", REMU,
                         "--area", "92.71.03.1005", "--name", "Maria Mobalen", "--phone", "081234567890")
    assert code == 0, err
    assert out.strip() == "created maria (facilitator)"
    user = User.objects.get(username="maria")
    assert user.name == "Maria Mobalen" and user.role == "facilitator" and user.phone == "081234567890"
    assert sorted(user.areas.values_list("region__code", flat=True)) == [REMU, KLAWASI]
    assert user.check_password(PASSWORD)
    assert AuditEvent.objects.get(action="user.create", object_id=str(user.pk)).actor_label == "system"


def test_cli_user_add_asks_for_the_password_twice(db, monkeypatch):
    monkeypatch.delenv("JARING_PASSWORD", raising=False)
    answers = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    code, _, err = run("user_add", "yakob", "--role", "operator")
    assert code == 2 and err.startswith("error: ")
    assert not User.objects.filter(username="yakob").exists()

    answers = iter([PASSWORD, PASSWORD])
    code, _, err = run("user_add", "yakob", "--role", "operator")
    assert code == 0, err
    assert User.objects.get(username="yakob").check_password(PASSWORD)


def test_cli_user_add_refusals(db, monkeypatch):
    monkeypatch.setenv("JARING_PASSWORD", PASSWORD)
    code, _, err = run("user_add", "x", "--role", "facilitator")
    assert code == 2 and "area" in err and "Traceback" not in err
    code, _, err = run("user_add", "x", "--role", "operator", "--area", "99.99")
    assert code == 2 and "99.99" in err
    assert run("user_add", "x", "--role", "operator")[0] == 0
    code, _, err = run("user_add", "x", "--role", "operator")
    assert code == 3 and "x" in err
    with pytest.raises(CommandError):  # argparse refuses a role outside the choices
        call_command("user_add", "y", "--role", "boss")
    assert list(User.objects.values_list("username", flat=True)) == ["x"]


def test_cli_user_token_prints_the_token_alone(db, monkeypatch):
    monkeypatch.setenv("JARING_PASSWORD", PASSWORD)
    assert run("user_add", "rudi", "--role", "operator")[0] == 0
    code, out, err = run("user_token", "rudi", "--name", "skrip")
    assert code == 0, err
    token = out.rstrip("\n")
    assert out == token + "\n" and token.strip() == token and " " not in token
    record = ApiToken.objects.get(user__username="rudi")
    assert record.name == "skrip" and record.key_hash == hash_token(token)

    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/me/").json()["username"] == "rudi"


def test_cli_user_token_refuses_unknown_or_inactive_users(db, monkeypatch):
    monkeypatch.setenv("JARING_PASSWORD", PASSWORD)
    code, out, err = run("user_token", "nobody")
    assert code == 4 and out == "" and "nobody" in err
    assert run("user_add", "lama", "--role", "operator")[0] == 0
    User.objects.filter(username="lama").update(is_active=False)
    code, out, _ = run("user_token", "lama")
    assert code == 4 and out == ""
    assert not ApiToken.objects.exists()
