"""The rules of user administration (accounts.user_admin), below every channel: who an admin sees,
what they may grant, the last admin, one's own account, and the reset links."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.test import override_settings
from django.urls import resolve

from conftest import CITY, KLAWASI, PASSWORD, REMU
from jaring.accounts import user_admin
from jaring.accounts.models import ApiToken, Role, User
from jaring.accounts.passwords import reset_path, user_for_link
from jaring.accounts.services import api_token_create, system_user, user_create
from jaring.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jaring.core.models import AuditEvent

DISTRICT_1 = "96.71.01"  # Sorong Barat (Remu lies here)
DISTRICT_3 = "96.71.03"  # Klawasi's district


@pytest.fixture
def district_admin(personas: dict[str, Any]) -> User:
    return user_create(actor=None, username="admin_barat", name="Admin Barat", role=Role.ADMIN,
                       password=PASSWORD, areas=[DISTRICT_1])


def _events(user: User, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="accounts.user", object_id=str(user.pk), action=action))


# --- Who an admin sees ------------------------------------------------------------------------------

def test_a_city_admin_sees_everyone_but_the_system_account(personas: dict[str, Any]) -> None:
    system_user()
    names = [u.username for u in user_admin.users_for(personas["admin_sorong"])]
    assert names == sorted(personas)
    assert "system" not in names


def test_a_district_admin_sees_only_users_inside_their_district(personas: dict[str, Any],
                                                                  district_admin: User) -> None:
    names = {u.username for u in user_admin.users_for(district_admin)}
    assert names == {"admin_barat", "facilitator_remu"}
    with pytest.raises(NotFound):
        user_admin.user_for(district_admin, personas["facilitator_klawasi"].pk)
    with pytest.raises(NotFound):  # a city-wide admin is above them, not below
        user_admin.user_for(district_admin, personas["admin_sorong"].pk)
    with pytest.raises(NotFound):
        user_admin.user_for(district_admin, "1 OR 1=1")


@pytest.mark.parametrize("role", ["operator", "facilitator", "liaison", "auditor"])
def test_only_admins_manage_users(personas: dict[str, Any], role: str) -> None:
    actor = next(u for u in personas.values() if u.role == role)
    with pytest.raises(PermissionDenied):
        user_admin.users_for(actor)
    with pytest.raises(PermissionDenied):
        user_admin.user_add(actor=actor, username="x1", name="X", role=Role.FACILITATOR, areas=[REMU])
    assert not User.objects.filter(username="x1").exists()


# --- Never more than they have ----------------------------------------------------------------------

def test_a_district_admin_creates_a_facilitator_inside_their_district(district_admin: User) -> None:
    user, creds = user_admin.user_add(actor=district_admin, username="pendamping_remu2", name="Ester",
                                      role=Role.FACILITATOR, areas=[REMU])
    assert user.must_change_password and len(creds.temporary_password) == user_admin.TEMP_PASSWORD_LENGTH
    assert user.check_password(creds.temporary_password)
    event = _events(user, "user.create")[0]
    assert event.actor_label == "admin_barat" and event.after["areas"] == [REMU]
    assert creds.temporary_password not in str(event.after)


@pytest.mark.parametrize(("role", "areas"), [
    ("facilitator", [KLAWASI]),        # a kelurahan in another district
    ("operator", []),                  # no area means the whole city
    ("admin", [CITY]),                 # the whole city
    ("facilitator", [REMU, KLAWASI]),  # one inside, one outside
])
def test_a_district_admin_grants_no_area_beyond_their_own(district_admin: User, role: str,
                                                          areas: list[str]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        user_admin.user_add(actor=district_admin, username="too_wide", name="X", role=role, areas=areas)
    assert "areas" in refused.value.fields
    assert not User.objects.filter(username="too_wide").exists()


def test_an_admin_cannot_widen_a_users_area_beyond_their_own(personas: dict[str, Any],
                                                             district_admin: User) -> None:
    remu = personas["facilitator_remu"]
    with pytest.raises(ValidationFailed):
        user_admin.user_update(actor=district_admin, user=remu, areas=[REMU, KLAWASI])
    assert [a.region.code for a in remu.areas.all()] == [REMU]
    assert user_admin.user_update(actor=district_admin, user=remu, areas=[DISTRICT_1])
    assert [a.region.code for a in User.objects.get(pk=remu.pk).areas.all()] == [DISTRICT_1]


def test_a_role_above_ones_own_is_refused(personas: dict[str, Any]) -> None:
    """Today only admins manage users and admin is the top rank; the rank table still decides,
    so a role given users.manage later could not create admins."""
    with mock.patch.dict(user_admin.ROLE_RANK, {Role.ADMIN: 3, Role.OPERATOR: 2}):
        assert Role.ADMIN in user_admin.grantable_roles(personas["admin_sorong"])
        with mock.patch.object(personas["admin_sorong"], "role", Role.OPERATOR):
            assert Role.ADMIN not in user_admin.grantable_roles(personas["admin_sorong"])
            with pytest.raises(ValidationFailed) as refused:
                user_admin._check_grant(personas["admin_sorong"], role=Role.ADMIN, codes=[CITY])
    assert "role" in refused.value.fields


def test_a_superuser_is_managed_only_by_a_superuser(personas: dict[str, Any]) -> None:
    root = User.objects.create_superuser("root", "x-very-long-password-2026", name="Root")
    assert not user_admin.manageable(personas["admin_sorong"], root)
    with pytest.raises(NotFound):
        user_admin.user_activate(actor=personas["admin_sorong"], user=root, active=False)


def test_hostile_input_is_refused_with_the_field_named(personas: dict[str, Any]) -> None:
    admin = personas["admin_sorong"]
    for username in ["", " ", "a b", "x" * 151, "nul\x00name"]:
        with pytest.raises(ValidationFailed) as refused:
            user_admin.user_add(actor=admin, username=username, name="X", role=Role.OPERATOR)
        assert "username" in refused.value.fields or "name" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        user_admin.user_add(actor=admin, username="ok_name", name="X", role="superadmin")
    assert "role" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        user_admin.user_add(actor=admin, username="ok_name", name="X", role=Role.FACILITATOR,
                            areas=["96.71.99.9999" + "9" * 5000])
    assert "areas" in refused.value.fields
    with pytest.raises(ValidationFailed):
        user_admin.user_update(actor=admin, user=personas["facilitator_remu"], role="root")
    assert not User.objects.filter(username="ok_name").exists()


# --- The last admin, and one's own account ----------------------------------------------------------

def test_the_last_city_wide_admin_cannot_be_deactivated_demoted_or_narrowed(personas: dict[str, Any],
                                                                             district_admin: User) -> None:
    city_admin = personas["admin_sorong"]
    second, _creds = user_admin.user_add(actor=city_admin, username="admin_dua", name="Dua", role=Role.ADMIN)
    # With two city-wide admins either may go; the other then is the last.
    assert user_admin.user_activate(actor=second, user=city_admin, active=False)
    with pytest.raises(Conflict):
        user_admin.user_update(actor=None, user=second, role=Role.OPERATOR)
    with pytest.raises(Conflict):
        user_admin.user_update(actor=None, user=second, areas=[DISTRICT_1])
    with pytest.raises(Conflict):
        user_admin.user_activate(actor=None, user=second, active=False)
    # A district admin does not count as a city-wide one.
    assert district_admin.is_active
    assert User.objects.get(pk=second.pk).is_active and User.objects.get(pk=second.pk).role == Role.ADMIN
    assert user_admin.user_activate(actor=second, user=city_admin, active=True)
    assert user_admin.user_update(actor=city_admin, user=second, role=Role.OPERATOR)


def test_an_admin_does_not_deactivate_or_demote_themselves(personas: dict[str, Any]) -> None:
    admin = personas["admin_sorong"]
    user_admin.user_add(actor=admin, username="admin_dua", name="Dua", role=Role.ADMIN)
    with pytest.raises(Conflict):
        user_admin.user_activate(actor=admin, user=admin, active=False)
    with pytest.raises(Conflict):
        user_admin.user_update(actor=admin, user=admin, role=Role.OPERATOR)
    # Their own name and e-mail they may change.
    assert user_admin.user_update(actor=admin, user=admin, name="Yohana K.", email="yohana@example.org")


def test_reactivating_needs_the_user_within_reach(personas: dict[str, Any], district_admin: User) -> None:
    remu = personas["facilitator_remu"]
    assert user_admin.user_activate(actor=district_admin, user=remu, active=False)
    assert not User.objects.get(pk=remu.pk).is_active
    assert not user_admin.user_activate(actor=district_admin, user=remu, active=False)  # no change, no event
    assert len(_events(remu, "user.deactivate")) == 1
    assert user_admin.user_activate(actor=district_admin, user=remu, active=True)


# --- Passwords and tokens ---------------------------------------------------------------------------

def test_a_temporary_password_replaces_the_old_one_and_is_never_in_the_trail(personas: dict[str, Any]) -> None:
    remu = personas["facilitator_remu"]
    creds = user_admin.user_reset_password(actor=personas["admin_sorong"], user=remu)
    remu.refresh_from_db()
    assert not remu.check_password(PASSWORD) and remu.check_password(creds.temporary_password)
    assert remu.must_change_password
    assert not any(creds.temporary_password in str(e.after) for e in AuditEvent.objects.all())
    user_admin.password_change(actor=remu, old=creds.temporary_password, new="kopi-pagi-di-remu-77")
    remu.refresh_from_db()
    assert not remu.must_change_password and remu.check_password("kopi-pagi-di-remu-77")


def test_password_change_checks_the_old_password_and_the_validators(personas: dict[str, Any]) -> None:
    remu = personas["facilitator_remu"]
    with pytest.raises(ValidationFailed) as refused:
        user_admin.password_change(actor=remu, old="wrong", new="kopi-pagi-di-remu-77")
    assert "old_password" in refused.value.fields
    for weak in ["short", "123456789012", "facilitator_remu1", PASSWORD]:
        with pytest.raises(ValidationFailed):
            user_admin.password_change(actor=remu, old=PASSWORD, new=weak)
    assert User.objects.get(pk=remu.pk).check_password(PASSWORD)


def _link_parts(path: str) -> tuple[str, str]:
    kwargs = resolve(path).kwargs
    return kwargs["uidb64"], kwargs["token"]


def test_a_reset_link_works_once(personas: dict[str, Any]) -> None:
    remu = personas["facilitator_remu"]
    creds = user_admin.user_reset_password(actor=personas["admin_sorong"], user=remu, method="link")
    uid, token = _link_parts(creds.reset_path)
    assert user_for_link(uid, token) == remu
    assert User.objects.get(pk=remu.pk).check_password(PASSWORD)  # the old password works until used
    user_admin.password_set(actor=remu, user=remu, new="kopi-pagi-di-remu-77", action="user.password_reset")
    assert user_for_link(uid, token) is None
    assert _events(remu, "user.reset_link")[0].after["reason"] == "admin"


def test_a_reset_link_expires(personas: dict[str, Any]) -> None:
    remu = personas["facilitator_remu"]
    with override_settings(JARING_PASSWORD_RESET_MINUTES=30):
        uid, token = _link_parts(reset_path(remu))
        later = dt.datetime.now() + dt.timedelta(minutes=29)  # noqa: DTZ005 - Django's token clock is naive
        with mock.patch("django.contrib.auth.tokens.PasswordResetTokenGenerator._now", return_value=later):
            assert user_for_link(uid, token) == remu
        later = dt.datetime.now() + dt.timedelta(minutes=31)  # noqa: DTZ005
        with mock.patch("django.contrib.auth.tokens.PasswordResetTokenGenerator._now", return_value=later):
            assert user_for_link(uid, token) is None


def test_a_reset_link_dies_with_deactivation_and_survives_no_tampering(personas: dict[str, Any]) -> None:
    remu = personas["facilitator_remu"]
    uid, token = _link_parts(reset_path(remu))
    klawasi_uid, _token = _link_parts(reset_path(personas["facilitator_klawasi"]))
    assert user_for_link(klawasi_uid, token) is None  # another user's id with this token
    assert user_for_link(uid, token[:-1] + ("a" if token[-1] != "a" else "b")) is None
    for junk in ["", "!!", "x" * 5000, "\x00"]:
        assert user_for_link(junk, token) is None
        assert user_for_link(uid, junk) is None
    user_admin.user_activate(actor=personas["admin_sorong"], user=remu, active=False)
    assert user_for_link(uid, token) is None


def test_a_new_user_invited_by_link_has_no_password_until_they_set_one(personas: dict[str, Any]) -> None:
    user, creds = user_admin.user_add(actor=personas["admin_sorong"], username="auditor2", name="Aud",
                                      role=Role.AUDITOR, credentials="link")
    assert not user.has_usable_password() and not creds.temporary_password
    uid, token = _link_parts(creds.reset_path)
    assert user_for_link(uid, token) == user


def test_revoking_tokens_revokes_only_live_ones_of_that_user(personas: dict[str, Any], district_admin: User) -> None:
    remu, klawasi = personas["facilitator_remu"], personas["facilitator_klawasi"]
    for user in (remu, remu, klawasi):
        api_token_create(actor=None, user=user)
    with pytest.raises(NotFound):
        user_admin.user_revoke_tokens(actor=district_admin, user=klawasi)
    assert user_admin.user_revoke_tokens(actor=district_admin, user=remu) == 2
    assert user_admin.user_revoke_tokens(actor=district_admin, user=remu) == 0
    assert ApiToken.objects.filter(user=klawasi, revoked_at__isnull=True).count() == 1
    assert _events(remu, "api_token.revoke_all")[0].after["revoked"] == 2


def test_login_facts_count_recent_failed_logins(personas: dict[str, Any]) -> None:
    from jaring.accounts.services import login_failed

    remu = personas["facilitator_remu"]
    for _ in range(3):
        login_failed(user=remu, username=remu.username, ip="10.0.0.1")
    facts = user_admin.login_facts(remu)
    assert facts.failed_recent == 3 and facts.last_failed is not None and facts.active_tokens == 0


def test_one_address_asking_for_many_links_is_stopped(personas: dict[str, Any]) -> None:
    from django.core import mail

    from jaring.accounts.passwords import reset_request
    from jaring.core.context import RequestInfo, current_request

    for user in personas.values():
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@example.org")
    token = current_request.set(RequestInfo(ip="10.9.8.7", request_id="r", channel="web"))
    try:
        with override_settings(JARING_PASSWORD_RESET_PER_IP_HOUR=3):
            for username in ["nobody", "facilitator_remu", "facilitator_klawasi", "auditor", "liaison"]:
                reset_request(identifier=username, base_url="http://testserver/", ip="10.9.8.7")
    finally:
        current_request.reset(token)
    assert [m.to for m in mail.outbox] == [["facilitator_remu@example.org"], ["facilitator_klawasi@example.org"]]
    assert AuditEvent.objects.filter(action="password_reset.throttled", after__scope="ip").count() == 2
