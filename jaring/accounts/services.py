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
from django.utils.translation import gettext as _

from jaring.accounts.models import ApiToken, AreaAssignment, Role, User
from jaring.core.audit import audit_log
from jaring.core.errors import Conflict, ValidationFailed
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
    regions = []
    for code in areas:
        region = region_by_code(code)
        if region is None:
            raise ValidationFailed(_("Kode wilayah tidak dikenal: %(code)s") % {"code": code},
                                   fields={"area": [code]})
        regions.append(region)
    if role == Role.FACILITATOR and not regions:
        raise ValidationFailed(_("Pendamping harus punya wilayah tugas."), fields={"area": []})
    user = User(username=username, name=name or username, role=role, phone=phone)
    if password and validate:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed(" ".join(exc.messages), fields={"password": exc.messages}) from exc
    user.set_password(password)
    user.save()
    AreaAssignment.objects.bulk_create([AreaAssignment(user=user, region=r) for r in regions])
    audit_log(actor=actor, action="user.create", obj=user,
              after={"username": username, "role": role, "areas": [r.code for r in regions]})
    return user


@transaction.atomic
def user_set_areas(*, actor: Any, user: User, codes: Iterable[str]) -> None:
    before = sorted(user.areas.values_list("region__code", flat=True))
    regions = [region_by_code(c) for c in codes]
    if any(r is None for r in regions):
        raise ValidationFailed(_("Kode wilayah tidak dikenal."))
    user.areas.all().delete()
    AreaAssignment.objects.bulk_create([AreaAssignment(user=user, region=r) for r in regions if r])
    audit_log(actor=actor, action="user.set_areas", obj=user,
              before={"areas": before}, after={"areas": sorted(r.code for r in regions if r)})


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


def login_failed(*, user: User) -> None:
    """Count a failed login; lock the account for a while after too many in a row."""
    with transaction.atomic():
        locked = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
        locked.failed_logins += 1
        fields = ["failed_logins"]
        if locked.failed_logins >= settings.JARING_LOCKOUT_ATTEMPTS:
            locked.locked_until = timezone.now() + dt.timedelta(minutes=settings.JARING_LOCKOUT_MINUTES)
            locked.failed_logins = 0
            fields.append("locked_until")
            audit_log(actor=None, action="user.locked", obj=locked,
                      after={"until": locked.locked_until.isoformat()})
        locked.save(update_fields=fields)


def login_succeeded(*, user: User) -> None:
    if user.failed_logins or user.locked_until:
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)


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


def cli_actor(username: str | None) -> User:
    if not username:
        return system_user()
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationFailed(_("Pengguna %(u)s tidak ada.") % {"u": username})
    return user


def auditor_read_log(*, actor: User, action: str, **kwargs: Any) -> None:
    """Every read by an auditor leaves a trace (ARCHITECTURE §1); other roles' reads do not."""
    if actor.role == Role.AUDITOR:
        audit_log(actor=actor, action=action, **kwargs)
