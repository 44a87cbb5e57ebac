"""Writes for users, their areas and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from jaring.accounts.models import ApiToken, AreaAssignment, LoginThrottle, Role, User
from jaring.core.audit import audit_log
from jaring.core.confirm import with_comment
from jaring.core.errors import Conflict, NotFound, ValidationFailed
from jaring.regions.selectors import region_by_code

TOKEN_PREFIX = "jrg_"  # noqa: S105 - a visible prefix, not a secret


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def user_create(*, actor: Any, username: str, name: str, role: str, password: str | None,
                areas: Iterable[str] = (), phone: str = "", validate: bool = True) -> User:
    if role not in Role.values:
        raise ValidationFailed(_("Peran tidak dikenal: %(role)s") % {"role": role},
                               fields={"role": [_("Pilih salah satu: %(roles)s") %
                                                {"roles": ", ".join(Role.values)}]})
    if User.objects.filter(username=username).exists():
        raise Conflict(_("Nama pengguna %(u)s sudah dipakai.") % {"u": username})
    regions = regions_for_codes(areas, field="area")
    if role == Role.FACILITATOR and not regions:
        raise ValidationFailed(_("Pendamping harus punya wilayah tugas."), fields={"area": []})
    user = User(username=username, name=name or username, role=role, phone=phone)
    if password is not None and validate:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed(" ".join(exc.messages), fields={"password": exc.messages}) from exc
    user.set_password(password)
    user.save()
    areas_replace(user, regions)
    audit_log(actor=actor, action="user.create", obj=user,
              after={"username": username, "role": role, "areas": [r.code for r in regions]})
    return user


def regions_for_codes(codes: Iterable[str], *, field: str = "areas") -> list[Any]:
    """The regions named by ``codes`` (blank and repeated codes skipped), or ValidationFailed on
    ``field`` naming the first unknown code."""
    regions = []
    for code in dict.fromkeys(c.strip() for c in codes if c and c.strip()):
        region = region_by_code(code)
        if region is None:
            raise ValidationFailed(_("Kode wilayah tidak dikenal: %(code)s") % {"code": code[:32]},
                                   fields={field: [code[:32]]})
        regions.append(region)
    return regions


def areas_replace(user: User, regions: Iterable[Any]) -> None:
    """The user's areas become ``regions`` (the caller audits); the cached scope is forgotten."""
    user.areas.all().delete()
    AreaAssignment.objects.bulk_create([AreaAssignment(user=user, region=r) for r in regions])
    user.__dict__.pop("_jaring_scope", None)


@transaction.atomic
def user_set_areas(*, actor: Any, user: User, codes: Iterable[str]) -> None:
    before = sorted(user.areas.values_list("region__code", flat=True))
    regions = regions_for_codes(codes)
    areas_replace(user, regions)
    audit_log(actor=actor, action="user.set_areas", obj=user,
              before={"areas": before}, after={"areas": sorted(r.code for r in regions)})


@transaction.atomic
def user_set_active(*, actor: Any, user: User, active: bool, comment: str = "") -> None:
    """Deactivate (or reactivate) an account: a deactivated user can neither log in nor use a token."""
    before = user.is_active
    User.objects.filter(pk=user.pk).update(is_active=active)
    user.is_active = active
    audit_log(actor=actor, action="user.activate" if active else "user.deactivate", obj=user,
              before={"is_active": before}, after=with_comment({"is_active": active}, comment))


@transaction.atomic
def api_token_create(*, actor: Any, user: User, name: str = "") -> str:
    """Create a token and return it; only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(user=user, name=name, prefix=token[:10],
                                     key_hash=hash_token(token))
    audit_log(actor=actor, action="api_token.create", obj=record,
              after={"user": user.username, "prefix": record.prefix})
    return token


@transaction.atomic
def api_token_revoke(*, actor: Any, token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_log(actor=actor, action="api_token.revoke", obj=token)


TOKEN_TOUCH_SECONDS = 300  # a token's last use is written at most this often: not on every request


def api_token_touch(*, actor: Any, token: ApiToken, now: dt.datetime | None = None) -> bool:
    """Note that ``token`` was just used: one UPDATE, and only when the recorded use is older than
    ``TOKEN_TOUCH_SECONDS``. Bookkeeping, not a change of anything: no audit event. Returns whether
    the row was written."""
    now = now or timezone.now()
    if token.last_used_at is not None and (now - token.last_used_at).total_seconds() <= TOKEN_TOUCH_SECONDS:
        return False
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
    return True


# --- Password logins: throttling with backoff (docs/decisions/0020-login-throttling.md) --------------

ANONYMOUS = "anonymous"  # the audit actor of an attempt nobody is logged in for


def login_throttle_keys(*, username: str, ip: str | None) -> dict[str, str]:
    """The three counters an attempt touches, as HMACs of the typed username and the address."""
    name = username.strip().casefold()[:150]
    address = ip or "-"

    def key(scope: str, value: str) -> str:
        return salted_hmac("jaring.accounts.login-throttle", f"{scope}\0{value}",
                           algorithm="sha256").hexdigest()

    return {LoginThrottle.Scope.PAIR: key("pair", f"{name}\0{address}"),
            LoginThrottle.Scope.ACCOUNT: key("account", name),
            LoginThrottle.Scope.IP: key("ip", address)}


def _backoff(scope: str, failures: int) -> dt.timedelta | None:
    """How long a key is blocked after its ``failures``-th failure in the window, if at all."""
    limits: dict[str, tuple[int, int]] = {
        LoginThrottle.Scope.PAIR: (settings.JARING_LOGIN_PAIR_FREE, settings.JARING_LOGIN_BACKOFF_SECONDS),
        LoginThrottle.Scope.IP: (settings.JARING_LOGIN_IP_FREE, settings.JARING_LOGIN_BACKOFF_SECONDS),
        LoginThrottle.Scope.ACCOUNT: (settings.JARING_LOGIN_ACCOUNT_FREE,
                                      settings.JARING_LOGIN_ACCOUNT_LOCK_SECONDS),
    }
    free, base = limits[scope]
    if failures < free:
        return None
    seconds = min(base * 2 ** min(failures - free, 30), settings.JARING_LOGIN_BACKOFF_MAX_SECONDS)
    return dt.timedelta(seconds=seconds)


def login_failed(*, user: User | None, username: str, ip: str | None) -> None:
    """Count a failed password login under its three keys; block the keys that reach their limit.

    ``user`` is the account the typed username names, or None: unknown usernames are counted
    the same way, so nothing here tells whether an account exists.
    """
    now = timezone.now()
    window = dt.timedelta(seconds=settings.JARING_LOGIN_WINDOW_SECONDS)
    account_locked_until = None
    with transaction.atomic():
        for scope, key in login_throttle_keys(username=username, ip=ip).items():
            row, _created = LoginThrottle.objects.select_for_update().get_or_create(
                key=key, defaults={"scope": scope, "last_failure_at": now})
            if row.last_failure_at < now - window:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            wait = _backoff(scope, row.failures)
            if wait is not None:
                row.blocked_until = now + wait
                if scope == LoginThrottle.Scope.ACCOUNT:
                    account_locked_until = row.blocked_until
            row.save()
        audit_log(actor=ANONYMOUS, action="login.failed", obj=user,
                  object_type="" if user else "accounts.user", after={"reason": "credentials"})
        if account_locked_until is not None and user is not None:
            User.objects.filter(pk=user.pk).update(locked_until=account_locked_until)
            audit_log(actor=ANONYMOUS, action="user.locked", obj=user,
                      after={"until": account_locked_until.isoformat()})


def user_password_rehash(*, actor: User, raw: str) -> None:
    """Store the password a user just logged in with under the preferred hasher (Django upgrades
    an older hash on a successful check). The password itself does not change: no audit event."""
    actor.set_password(raw)
    actor.save(update_fields=["password"])


def login_throttled(*, user: User | None, scope: str, until: dt.datetime | None) -> None:
    """An attempt refused without a verdict on its password: its key is blocked for a while."""
    audit_log(actor=ANONYMOUS, action="login.throttled", obj=user,
              object_type="" if user else "accounts.user",
              after={"scope": scope, "until": until.isoformat() if until else None})


def login_succeeded(*, user: User, username: str, ip: str | None) -> None:
    """The typed username and address start afresh; the account and address counters do not,
    so a success in between does not buy a distributed guesser more tries."""
    keys = login_throttle_keys(username=username, ip=ip)
    with transaction.atomic():
        LoginThrottle.objects.filter(key=keys[LoginThrottle.Scope.PAIR]).delete()
        if user.locked_until is not None and user.locked_until <= timezone.now():
            User.objects.filter(pk=user.pk).update(locked_until=None)


@transaction.atomic
def user_set_language(*, actor: User, language: str) -> bool:
    """Remember the language a user chose with the switch, to activate it at their next login on
    any device. An unknown code is ignored (False); an unchanged one writes nothing."""
    if language not in dict(settings.LANGUAGES) or actor.language == language:
        return False
    before = {"language": actor.language}
    User.objects.filter(pk=actor.pk).update(language=language)
    actor.language = language
    audit_log(actor=actor, action="user.set_language", obj=actor, before=before, after={"language": language})
    return True


def _reachable(actor: Any, user: User) -> None:
    """An admin acts only on users within their reach (``user_admin.manageable``); the CLI's
    installation actor (None) and the user themselves always may."""
    from jaring.accounts.user_admin import manageable

    if isinstance(actor, User) and actor.pk != user.pk and not manageable(actor, user):
        raise NotFound(_("Pengguna tidak ditemukan."))


@transaction.atomic
def user_unlock(*, actor: Any, user: User, comment: str = "") -> None:
    """Lift an account lock and forget the account's failed logins (an admin, after checking)."""
    _reachable(actor, user)
    before = {"locked_until": user.locked_until.isoformat() if user.locked_until else None}
    key = login_throttle_keys(username=user.username, ip=None)[LoginThrottle.Scope.ACCOUNT]
    LoginThrottle.objects.filter(key=key).delete()
    User.objects.filter(pk=user.pk).update(locked_until=None)
    user.locked_until = None
    audit_log(actor=actor, action="user.unlock", obj=user, before=before,
              after=with_comment({"locked_until": None}, comment))


# --- Second factor (TOTP) ---------------------------------------------------------------------------

BACKUP_CODES = 10


def user_requires_2fa(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in settings.JARING_2FA_REQUIRED_ROLES


@transaction.atomic
def totp_enrol_start(*, actor: User) -> TOTPDevice:
    """The user's unconfirmed TOTP device (created on first call): its secret is shown once the
    user has it on their phone and confirms with a code."""
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name="totp", confirmed=False)
        audit_log(actor=actor, action="user.totp_enrol_start", obj=actor)
    return device


@transaction.atomic
def totp_enrol_confirm(*, actor: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the device with a code from the phone; returns fresh backup codes, or None when the
    code is wrong. Other devices of the user (older phones) are removed."""
    if device.user_id != actor.pk or device.confirmed:
        raise ValidationFailed(_("Perangkat ini tidak bisa dikonfirmasi."))
    if not device.verify_token(code.strip()):
        audit_log(actor=actor, action="user.totp_enrol_failed", obj=actor)
        return None
    TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _backup_codes_replace(actor)
    audit_log(actor=actor, action="user.totp_enrol", obj=actor, after={"backup_codes": len(codes)})
    return codes


def _backup_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes


@transaction.atomic
def user_totp_reset(*, actor: Any, user: User, comment: str = "") -> int:
    """Remove every second-factor device of a user (a lost phone): they enrol again at their next
    login. Returns how many devices were removed."""
    _reachable(actor, user)
    removed = 0
    for model in (TOTPDevice, StaticDevice):
        removed += model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
    audit_log(actor=actor, action="user.totp_reset", obj=user,
              after=with_comment({"devices_removed": removed}, comment))
    return removed


def otp_devices(user: User) -> list[Device]:
    """The user's confirmed devices, TOTP first, then backup codes."""
    return [*TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"),
            *StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk")]


def otp_verify(*, actor: User, code: str) -> Device | None:
    """The device that accepts ``code`` (a TOTP code or a backup code), or None (audited).

    django-otp throttles each device: wrong codes make the next try wait longer."""
    from django_otp import verify_token

    code = code.strip().replace(" ", "")
    if code:
        for device in otp_devices(actor):
            verified = verify_token(actor, device.persistent_id, code)
            if verified is not None:
                if isinstance(verified, StaticDevice):
                    audit_log(actor=actor, action="login.backup_code_used", obj=actor,
                              after={"left": verified.token_set.count()})
                return verified  # type: ignore[no-any-return]
    audit_log(actor=actor, action="login.otp_failed", obj=actor)
    return None


SYSTEM_USERNAME = "system"


def system_user() -> User:
    """The actor for command-line and scheduled work: an admin over the tenant region that
    cannot log in. Audit events name it, with the channel (cli, task) beside it."""
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        user = User(username=SYSTEM_USERNAME, name="Sistem (CLI)", role=Role.ADMIN, is_active=True)
        user.set_unusable_password()
        user.save()
    return user


def user_by_username(username: str, *, active_only: bool = False) -> User:
    """The named user, or ``NotFound`` (a command's exit code, an API's 404)."""
    users = User.objects.filter(username=username)
    user = (users.filter(is_active=True) if active_only else users).first()
    if user is None:
        raise NotFound(f"no {'active ' if active_only else ''}user {username!r}")
    return user


def cli_actor(username: str | None) -> User:
    if not username:
        return system_user()
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationFailed(_("Pengguna %(u)s tidak ada.") % {"u": username})
    return user


def auditor_read_log(*, actor: User, action: str, **kwargs: Any) -> None:
    """A read that is not personal data but still leaves the auditor's trace (the dashboard, a
    round); whose reads count is ``accounts.reads.logs_reads_of``."""
    from jaring.accounts.reads import logs_reads_of

    if logs_reads_of(actor):
        audit_log(actor=actor, action=action, **kwargs)
