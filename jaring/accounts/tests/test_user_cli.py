"""``jaring user …`` (issue 15): the same services and rules as the web pages and the API, with an
exit code per refusal (2 invalid, 3 conflict, 4 not found, 5 forbidden) and ``--json``. The system
account (the default ``--actor``) is an admin over the whole tenant region; ``--actor`` brings an
admin's own limits."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.core.management.base import CommandError

from conftest import CITY, KLAWASI, PASSWORD, REMU
from jaring.accounts.models import ApiToken, User
from jaring.accounts.services import api_token_create, user_create
from jaring.core.models import AuditEvent
from jaring.testing import run_jaring

pytestmark = pytest.mark.django_db
DISTRICT = "96.71.01"
SITE = "https://jaring.example.go.id"


@pytest.fixture
def run(capsys: Any) -> Any:
    def call(*argv: str) -> tuple[int, str, str]:
        return run_jaring(capsys, *argv)

    return call


@pytest.fixture
def district_admin(personas: dict[str, Any]) -> User:
    return user_create(actor=None, username="admin_distrik", name="Paulus Sapisa", role="admin", password=PASSWORD,
                       areas=[DISTRICT])


def test_add_with_a_link_prints_it_once(run: Any, personas: dict[str, Any]) -> None:
    code, out, err = run("user", "add", "siti", "--role", "facilitator", "--area", REMU, "--email", "siti@example.org",
                         "--link", "--base-url", SITE)
    assert code == 0, err
    created, link = out.splitlines()
    assert created == "created siti (facilitator)"
    assert link.startswith(f"{SITE}/masuk/atur-ulang/") and "not shown again" in err
    user = User.objects.get(username="siti")
    assert not user.has_usable_password() and user.email == "siti@example.org"
    assert AuditEvent.objects.filter(action="user.reset_link", object_id=str(user.pk)).exists()
    # Without the site's address, the path and a word on how to complete it.
    code, out, err = run("user", "add", "yosef", "--role", "operator", "--link")
    assert code == 0 and out.splitlines()[1].startswith("/masuk/atur-ulang/") and "--base-url" in err


def test_add_with_a_temporary_password_and_json(run: Any, personas: dict[str, Any]) -> None:
    code, out, err = run("user", "add", "rina", "--role", "operator", "--area", CITY, "--temporary", "--json",
                         "--actor", "admin_sorong")
    assert code == 0, err
    data = json.loads(out)
    user = User.objects.get(username="rina")
    assert data["id"] == user.pk and data["role"] == "operator" and data["areas"][0]["code"] == CITY
    assert user.check_password(data["temporary_password"]) and user.must_change_password
    assert AuditEvent.objects.get(action="user.create", object_id=str(user.pk)).actor_label == "admin_sorong"


def test_add_keeps_the_password_from_the_environment(run: Any, monkeypatch: Any, db: Any) -> None:
    monkeypatch.setenv("JARING_PASSWORD", PASSWORD)
    code, out, err = run("user", "add", "lama", "--role", "admin")
    assert code == 0 and out == "created lama (admin)\n", err
    user = User.objects.get(username="lama")
    assert user.check_password(PASSWORD) and not user.must_change_password
    event = AuditEvent.objects.get(action="user.create", object_id=str(user.pk))
    assert event.actor_label == "system" and event.channel == "cli"


def test_add_refusals_have_their_exit_codes(run: Any, monkeypatch: Any, personas: dict[str, Any],
                                            district_admin: User) -> None:
    monkeypatch.setenv("JARING_PASSWORD", PASSWORD)
    code, out, err = run("user", "add", "x", "--role", "facilitator", "--area", KLAWASI, "--actor", "admin_distrik")
    assert code == 2 and "areas" in err and out == ""
    code, out, _ = run("user", "add", "x", "--role", "operator", "--actor", "admin_distrik", "--json")
    assert code == 2 and json.loads(out)["error"]["fields"]["areas"]
    assert run("user", "add", "x", "--role", "operator", "--actor", "operator_sorong")[0] == 5
    assert run("user", "add", "x", "--role", "operator", "--actor", "nobody")[0] == 2
    assert run("user", "add", "x", "--role", "operator", "--email", "not-an-address")[0] == 2
    assert run("user", "add", "x", "--role", "operator", "--name", "n" * 10_000)[0] == 2
    assert run("user", "add", "x y", "--role", "operator")[0] == 2
    assert run("user", "add", "admin_sorong", "--role", "operator")[0] == 3
    with pytest.raises(CommandError):  # argparse: --link and --temporary exclude each other
        run("user", "add", "x", "--role", "operator", "--link", "--temporary")
    assert not User.objects.filter(username__in=["x", "x y"]).exists()


def test_list_as_a_table_and_as_json(run: Any, personas: dict[str, Any], district_admin: User) -> None:
    from django.utils import timezone

    from jaring.accounts.services import login_failed

    User.objects.filter(username="facilitator_klawasi").update(is_active=False)
    User.objects.filter(username="liaison").update(locked_until=timezone.now() + dt.timedelta(minutes=30),
                                                   last_login=timezone.now())
    login_failed(user=personas["liaison"], username="liaison", ip="198.51.100.9")
    code, out, err = run("user", "list")
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.split()[:4] == ["USERNAME", "NAME", "ROLE", "AREAS"]
    liaison = next(row for row in rows if row.startswith("liaison"))
    assert " 1  " in liaison  # one failed login
    assert len(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", liaison)) == 2  # the last login and the lock
    assert [row.split()[0] for row in rows] == sorted([*personas, "admin_distrik"])
    assert not any(row.startswith("system") for row in rows)
    code, out, _ = run("user", "list", "--json", "--role", "facilitator")
    data = json.loads(out)
    assert [u["username"] for u in data] == ["facilitator_klawasi", "facilitator_remu"]
    assert data[0]["is_active"] is False and data[1]["failed_logins_recent"] == 0
    assert "temporary_password" not in out and "password" not in data[1]
    code, out, _ = run("user", "list", "--json", "--inactive")
    assert [u["username"] for u in json.loads(out)] == ["facilitator_klawasi"]
    code, out, _ = run("user", "list", "--json", "--actor", "admin_distrik")
    assert [u["username"] for u in json.loads(out)] == ["admin_distrik", "facilitator_remu"]
    assert run("user", "list", "--actor", "facilitator_remu")[0] == 5


def test_show_is_the_apis_shape(run: Any, api_client_for: Any, personas: dict[str, Any],
                                district_admin: User) -> None:
    remu = personas["facilitator_remu"]
    code, out, err = run("user", "show", "facilitator_remu", "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown == api_client_for("admin_sorong").get(f"/api/v1/users/{remu.pk}/").json()
    code, out, _ = run("user", "show", "facilitator_remu")
    assert code == 0 and "Maria Mobalen" in out and REMU in out
    assert run("user", "show", "facilitator_klawasi", "--actor", "admin_distrik")[0] == 4
    assert run("user", "show", "tidak_ada")[0] == 4
    assert run("user", "show", "system")[0] == 4
    code, out, _ = run("user", "show", "tidak_ada", "--json")
    assert code == 4 and json.loads(out)["error"]["code"] == "not_found"


def test_set_changes_only_what_is_given(run: Any, personas: dict[str, Any], district_admin: User) -> None:
    code, out, err = run("user", "set", "facilitator_remu", "--name", "Maria M.", "--area", REMU, "--area", KLAWASI)
    assert (code, out) == (0, "updated facilitator_remu\n"), err
    user = User.objects.get(username="facilitator_remu")
    assert user.name == "Maria M." and user.phone == "" and user.role == "facilitator"
    assert sorted(user.areas.values_list("region__code", flat=True)) == [REMU, KLAWASI]
    assert run("user", "set", "facilitator_remu", "--name", "Maria M.")[1] == "unchanged facilitator_remu\n"
    code, out, _ = run("user", "set", "facilitator_remu", "--phone", "0812", "--json")
    assert code == 0 and json.loads(out)["phone"] == "0812" and json.loads(out)["changed"] is True
    event = AuditEvent.objects.filter(action="user.update", object_id=str(user.pk)).latest("id")
    assert event.actor_label == "system" and event.channel == "cli"
    # Refusals: an unknown area, an area outside the actor's, a facilitator without area, a bad address.
    assert run("user", "set", "facilitator_remu", "--area", "99.99")[0] == 2
    assert run("user", "set", "facilitator_klawasi", "--actor", "admin_distrik", "--name", "X")[0] == 4
    code, _, err = run("user", "set", "facilitator_remu", "--actor", "admin_distrik", "--area", REMU)
    assert code == 4  # Remu and Klawasi now: no longer wholly inside the district
    User.objects.get(username="facilitator_remu").areas.filter(region__code=KLAWASI).delete()
    code, _, err = run("user", "set", "facilitator_remu", "--actor", "admin_distrik", "--area", KLAWASI)
    assert code == 2 and "areas" in err
    assert run("user", "set", "facilitator_remu", "--no-area")[0] == 2
    assert run("user", "set", "facilitator_remu", "--email", "bukan surel")[0] == 2
    assert run("user", "set", "facilitator_remu", "--phone", "0" * 100)[0] == 2
    assert run("user", "set", "admin_sorong", "--role", "operator", "--actor", "admin_sorong")[0] == 3
    with pytest.raises(CommandError):
        run("user", "set", "facilitator_remu", "--role", "boss")
    user = User.objects.get(username="facilitator_remu")
    assert user.phone == "0812" and list(user.areas.values_list("region__code", flat=True)) == [REMU]


def test_deactivate_and_reactivate(run: Any, personas: dict[str, Any]) -> None:
    code, out, err = run("user", "deactivate", "facilitator_remu")
    assert (code, out) == (0, "deactivated facilitator_remu\n"), err
    assert not User.objects.get(username="facilitator_remu").is_active
    assert run("user", "deactivate", "facilitator_remu")[1] == "facilitator_remu was already inactive\n"
    code, out, _ = run("user", "reactivate", "facilitator_remu", "--json")
    assert code == 0 and json.loads(out) == {"username": "facilitator_remu", "is_active": True, "changed": True}
    # The last admin over the whole city, and one's own account: 3.
    code, out, err = run("user", "deactivate", "admin_sorong")
    assert code == 3 and "admin_sorong" in err and out == ""
    code, out, _ = run("user", "deactivate", "admin_sorong", "--json")
    assert code == 3 and json.loads(out)["error"]["code"] == "conflict"
    assert run("user", "deactivate", "admin_sorong", "--actor", "admin_sorong")[0] == 3
    assert User.objects.get(username="admin_sorong").is_active
    assert run("user", "deactivate", "facilitator_remu", "--actor", "operator_sorong")[0] == 5
    assert run("user", "deactivate", "tidak_ada")[0] == 4


def test_reset_password_prints_the_secret_alone(run: Any, personas: dict[str, Any]) -> None:
    code, out, err = run("user", "reset-password", "facilitator_remu")
    assert code == 0, err
    password = out.rstrip("\n")
    assert out == password + "\n" and len(password) == 16 and "not shown again" in err
    user = User.objects.get(username="facilitator_remu")
    assert user.check_password(password) and user.must_change_password
    code, out, _ = run("user", "reset-password", "facilitator_remu", "--link", "--base-url", SITE + "/")
    assert code == 0 and out.startswith(f"{SITE}/masuk/atur-ulang/") and out.count("\n") == 1
    code, out, _ = run("user", "reset-password", "facilitator_remu", "--json")
    assert code == 0 and set(json.loads(out)) == {"username", "temporary_password"}
    assert not any(password in json.dumps([e.before, e.after]) for e in AuditEvent.objects.all())
    assert run("user", "reset-password", "facilitator_remu", "--actor", "auditor")[0] == 5


def test_revoke_tokens_unlock_and_2fa_reset(run: Any, personas: dict[str, Any], district_admin: User) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = personas["facilitator_klawasi"]
    api_token_create(actor=None, user=user)
    api_token_create(actor=None, user=user)
    assert run("user", "revoke-tokens", "facilitator_klawasi", "--actor", "admin_distrik")[0] == 4
    code, out, err = run("user", "revoke-tokens", "facilitator_klawasi")
    assert (code, out) == (0, "revoked 2 token(s) of facilitator_klawasi\n"), err
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    code, out, _ = run("user", "revoke-tokens", "facilitator_klawasi", "--json")
    assert json.loads(out) == {"username": "facilitator_klawasi", "revoked": 0}

    TOTPDevice.objects.create(user=user, name="ponsel", confirmed=True)
    assert run("user", "2fa-reset", "facilitator_klawasi", "--actor", "admin_distrik")[0] == 4
    assert run("user", "unlock", "facilitator_klawasi", "--actor", "admin_distrik")[0] == 4
    assert TOTPDevice.objects.filter(user=user).exists()
    code, out, _ = run("user", "2fa-reset", "facilitator_klawasi", "--actor", "admin_sorong")
    assert code == 0 and "1 device" in out
    assert AuditEvent.objects.get(action="user.totp_reset").actor_label == "admin_sorong"
    assert run("user", "unlock", "facilitator_klawasi", "--actor", "admin_sorong")[0] == 0
    assert run("user", "unlock", "facilitator_remu")[0] == 0  # without --actor: as before
