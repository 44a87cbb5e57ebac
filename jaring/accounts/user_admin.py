"""User administration: who an admin may see and change, and the writes they may make (issue 15).

One place for the rules the web pages, ``/api/v1/users/`` and ``jaring user …`` all follow
(decision 0045):

* **Within their own region.** An admin sees and manages the users whose whole area lies inside the
  admin's own area (``Scope``); anyone else is "not found", as for persons.
* **Never more than they have.** A role is granted only by a user whose role ranks at least as high
  (``ROLE_RANK``), and an area only inside the granter's own area. A user without areas sees the
  tenant region (``Scope``), so giving no area is giving the whole tenant.
* **The last admin stays.** A change that would leave no active admin over the whole tenant region
  (deactivating, demoting or narrowing them) is refused, so somebody can always manage everyone.
* **Not oneself.** An admin does not deactivate, demote or re-area their own account (a slip
  would lock them out); another admin does it.

Every write is one service with one audit event; passwords and tokens never enter the trail.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaring.accounts.capabilities import require
from jaring.accounts.models import ApiToken, Role, User
from jaring.accounts.selectors import Scope, scope_for
from jaring.accounts.services import SYSTEM_USERNAME, areas_replace, regions_for_codes, user_create
from jaring.core.audit import audit_log, diff
from jaring.core.confirm import with_comment
from jaring.core.errors import Conflict, NotFound, ValidationFailed

# Who may grant whom: a role is granted only by a role of at least its rank.
ROLE_RANK: dict[str, int] = {Role.ADMIN: 2, Role.OPERATOR: 1, Role.FACILITATOR: 1, Role.LIAISON: 1,
                             Role.AUDITOR: 1}
# Roles that see the tenant region when they have no area (accounts.selectors.Scope).
TENANT_WHEN_AREALESS = frozenset({Role.ADMIN, Role.AUDITOR, Role.OPERATOR, Role.LIAISON})
# A temporary password: 16 characters from an alphabet without look-alikes (0/O, 1/l/I), read
# aloud over the phone or copied into a message.
TEMP_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"  # noqa: S105
TEMP_PASSWORD_LENGTH = 16


# --- Reading ----------------------------------------------------------------------------------------

def _within(codes: Sequence[str], scope: Scope) -> bool:
    return bool(codes) and all(scope.contains_code(code) for code in codes)


def _effective_codes(role: str, codes: Sequence[str], *, superuser: bool = False) -> list[str]:
    if codes:
        return list(codes)
    if superuser or role in TENANT_WHEN_AREALESS:
        return [settings.JARING_TENANT_REGION]
    return []


def user_codes(user: User) -> list[str]:
    """The region codes the user sees (their areas, or the tenant region for area-less office roles)."""
    return scope_for(user).codes


def manageable(actor: User, user: User) -> bool:
    """True when ``actor`` may see and change ``user``: an admin, and the user's area inside theirs.
    The system account (command-line work) is nobody's to manage."""
    from jaring.accounts.capabilities import can

    if not can(actor, "users.manage") or user.username == SYSTEM_USERNAME:
        return False
    if user.is_superuser and not actor.is_superuser:
        return False
    codes = user_codes(user)
    # A facilitator without an area (left so by an earlier change) sees nothing: any admin may fix it.
    return not codes or _within(codes, scope_for(actor))


def users_for(actor: User, *, query: str = "", role: str = "", active: bool | None = None) -> list[User]:
    """The users ``actor`` manages, by username; ``query`` matches username or name."""
    require(actor, "users.manage")
    qs = User.objects.exclude(username=SYSTEM_USERNAME).prefetch_related("areas__region").order_by("username")
    if query:
        from django.db.models import Q

        qs = qs.filter(Q(username__icontains=query[:150]) | Q(name__icontains=query[:150]))
    if role:
        qs = qs.filter(role=role)
    if active is not None:
        qs = qs.filter(is_active=active)
    return [u for u in qs if manageable(actor, u)]


def user_for(actor: User, user_id: int | str) -> User:
    """The user ``actor`` manages with this id, or NotFound (outside their region looks the same)."""
    require(actor, "users.manage")
    user = User.objects.filter(pk=int(user_id) if str(user_id).isdigit() else -1).first()
    if user is None or not manageable(actor, user):
        raise NotFound(_("Pengguna tidak ditemukan."))
    return user


def user_for_username(actor: User, username: str) -> User:
    require(actor, "users.manage")
    user = User.objects.filter(username=username).first()
    if user is None or not manageable(actor, user):
        raise NotFound(_("Pengguna %(u)s tidak ditemukan.") % {"u": username})
    return user


@dataclass(frozen=True)
class LoginFacts:
    last_login: dt.datetime | None
    failed_recent: int  # failed password logins in the last FAILED_DAYS days
    last_failed: dt.datetime | None
    locked_until: dt.datetime | None
    active_tokens: int
    has_second_factor: bool


FAILED_DAYS = 30


def login_facts(user: User) -> LoginFacts:
    """What an admin checks before unlocking or resetting: last login, recent failed attempts
    (from the trail), the lock, live tokens and the second factor."""
    return login_facts_many([user])[user.pk]


def login_facts_many(users: Sequence[User]) -> dict[int, LoginFacts]:
    """``login_facts`` for a page of users in three queries, whatever the page's length."""
    from django.db.models import Count, Max
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from jaring.core.models import AuditEvent

    ids = [u.pk for u in users]
    since = timezone.now() - dt.timedelta(days=FAILED_DAYS)
    failed: dict[int, dict[str, Any]] = {int(row["object_id"]): dict(row) for row in
              AuditEvent.objects.filter(object_type="accounts.user", object_id__in=[str(i) for i in ids],
                                        action="login.failed", at__gte=since)
              .order_by().values("object_id").annotate(n=Count("id"), last=Max("at"))}
    tokens = dict(ApiToken.objects.filter(user_id__in=ids, revoked_at__isnull=True).order_by()
                  .values_list("user_id").annotate(n=Count("id")))
    devices = set(TOTPDevice.objects.filter(user_id__in=ids, confirmed=True).values_list("user_id", flat=True))
    now = timezone.now()
    return {u.pk: LoginFacts(
        last_login=u.last_login, failed_recent=failed.get(u.pk, {}).get("n", 0),
        last_failed=failed.get(u.pk, {}).get("last"),
        locked_until=u.locked_until if u.locked_until and u.locked_until > now else None,
        active_tokens=tokens.get(u.pk, 0), has_second_factor=u.pk in devices) for u in users}


def grantable_roles(actor: User) -> list[str]:
    """The roles ``actor`` may give, in the model's order."""
    rank = ROLE_RANK.get(actor.role, 0) if not actor.is_superuser else max(ROLE_RANK.values())
    return [r for r in Role.values if ROLE_RANK[r] <= rank]


def grantable_regions(actor: User) -> list[Any]:
    """The regions ``actor`` may give as areas: their own areas and everything below."""
    from jaring.regions.models import Region

    return list(Region.objects.filter(id__in=scope_for(actor).region_ids).order_by("code"))


# --- The rules ------------------------------------------------------------------------------------

def _check_grant(actor: User | None, *, role: str, codes: Sequence[str]) -> None:
    """Refuse a role or an area above ``actor``'s own. ``actor`` None is the installation itself
    (``jaring user add`` before any admin exists, the demo, migrations): no limit."""
    if actor is None:
        return
    if role not in grantable_roles(actor):
        raise ValidationFailed(_("Anda tidak boleh memberi peran %(role)s.") % {"role": Role(role).label},
                               fields={"role": [_("Peran di atas peran Anda sendiri.")]})
    effective = _effective_codes(role, codes)
    if effective and not _within(effective, scope_for(actor)):
        outside = [c for c in effective if not scope_for(actor).contains_code(c)]
        raise ValidationFailed(
            _("Wilayah di luar wilayah Anda: %(codes)s.") % {"codes": ", ".join(outside)},
            fields={"areas": [_("Pilih wilayah di dalam wilayah tugas Anda.")]})


def _covers_tenant(user: User, *, role: str | None = None, codes: Sequence[str] | None = None,
                   active: bool | None = None) -> bool:
    role = role if role is not None else user.role
    active = active if active is not None else user.is_active
    codes = codes if codes is not None else [a.region.code for a in user.areas.select_related("region")]
    tenant = settings.JARING_TENANT_REGION
    return (active and role == Role.ADMIN and user.username != SYSTEM_USERNAME
            and any(tenant == c or tenant.startswith(c + ".") for c in _effective_codes(role, codes)))


def _ensure_an_admin_remains(user: User, *, role: str | None = None, codes: Sequence[str] | None = None,
                             active: bool | None = None) -> None:
    """Refuse a change to ``user`` that would leave no active admin over the whole tenant region."""
    if not _covers_tenant(user) or _covers_tenant(user, role=role, codes=codes, active=active):
        return
    others = (User.objects.filter(is_active=True, role=Role.ADMIN).exclude(pk=user.pk)
              .exclude(username=SYSTEM_USERNAME).prefetch_related("areas__region"))
    if not any(_covers_tenant(o, codes=[a.region.code for a in o.areas.all()]) for o in others):
        raise Conflict(_("%(u)s adalah admin aktif terakhir untuk seluruh wilayah: tambahkan admin lain "
                         "dulu.") % {"u": user.username})


def _not_self(actor: User | None, user: User, what: str) -> None:
    if actor is not None and actor.pk == user.pk:
        raise Conflict(_("Anda tidak bisa %(what)s akun Anda sendiri; minta admin lain.") % {"what": what})


USERNAME_RE = re.compile(r"[\w.@+-]{1,150}", re.ASCII)  # ASCII: typed on any keyboard, filtered in the trail


def _text(value: str | None, field: str, limit: int) -> str:
    """A short text field, trimmed; control characters and overlong values are refused by name."""
    value = (value or "").strip()
    if len(value) > limit or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        reason = _("Paling panjang %(n)s huruf, tanpa karakter kendali.") % {"n": limit}
        raise ValidationFailed(_("Isian %(field)s terlalu panjang atau memuat karakter kendali.") % {"field": field},
                               fields={field: [reason]})
    return value


def _email(value: str | None) -> str:
    from django.core.validators import validate_email

    value = _text(value, "email", 254)
    if value:
        try:
            validate_email(value)
        except ValidationError:
            reason = _("Alamat surel tidak sah.")
            raise ValidationFailed(reason, fields={"email": [reason]}) from None
    return value


def _actor_user(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


# --- Writes ---------------------------------------------------------------------------------------

def temporary_password() -> str:
    return "".join(secrets.choice(TEMP_PASSWORD_ALPHABET) for _ in range(TEMP_PASSWORD_LENGTH))


@dataclass(frozen=True)
class Credentials:
    """What the admin hands over once: a temporary password, or a path to set one (never stored)."""
    temporary_password: str = ""
    reset_path: str = ""


@transaction.atomic
def user_add(*, actor: Any, username: str, name: str, role: str, areas: Iterable[str] = (),
             phone: str = "", email: str = "", password: str | None = None,
             credentials: str = "temporary") -> tuple[User, Credentials]:
    """Create a user within the actor's limits. Without ``password`` the new user gets a temporary
    password (``credentials="temporary"``, changed at the first login) or a one-time link to set
    one (``"link"``); either is returned once and never stored in clear."""
    admin = _actor_user(actor)
    if admin is not None:
        require(admin, "users.manage")
    username = (username or "").strip()
    if not USERNAME_RE.fullmatch(username):
        raise ValidationFailed(_("Nama pengguna wajib diisi: huruf, angka dan . _ - @ saja, tanpa spasi, paling "
                                 "panjang 150."), fields={"username": [_("Nama pengguna tidak sah.")]})
    name, phone, email = _text(name, "name", 150), _text(phone, "phone", 20), _email(email)
    codes = [r.code for r in regions_for_codes(areas)]
    if role == Role.FACILITATOR and not codes:
        reason = _("Pendamping harus punya wilayah tugas.")
        raise ValidationFailed(reason, fields={"areas": [reason]})
    if role in Role.values:
        _check_grant(admin, role=role, codes=codes)
    temp = ""
    if password is None and credentials == "temporary":
        password = temp = temporary_password()
    user = user_create(actor=actor, username=username, name=name, role=role, password=password,
                       areas=codes, phone=phone, validate=not temp)
    fields = ["email", "must_change_password", "password_changed_at"]
    user.email = email.strip()
    user.must_change_password = bool(temp)
    user.password_changed_at = timezone.now() if password else None
    user.save(update_fields=fields)
    if email:
        audit_log(actor=actor, action="user.update", obj=user, before={"email": ""}, after={"email": user.email})
    if password is None:
        return user, Credentials(reset_path=_reset_path(actor=actor, user=user, reason="invite"))
    return user, Credentials(temporary_password=temp)


@transaction.atomic
def user_update(*, actor: Any, user: User, name: str | None = None, phone: str | None = None,
                email: str | None = None, role: str | None = None,
                areas: Iterable[str] | None = None) -> bool:
    """Change a user's details, role or areas (None: unchanged), within the actor's limits.
    Returns whether anything changed; one audit event holds what did."""
    admin = _actor_user(actor)
    if admin is not None and not manageable(admin, user):
        raise NotFound(_("Pengguna tidak ditemukan."))
    old_codes = sorted(user.areas.values_list("region__code", flat=True))
    new_role = role if role is not None else user.role
    if new_role not in Role.values:
        raise ValidationFailed(_("Peran tidak dikenal: %(role)s") % {"role": str(new_role)[:20]},
                               fields={"role": [_("Pilih salah satu: %(roles)s") % {"roles": ", ".join(Role.values)}]})
    new_regions = sorted(regions_for_codes(areas), key=lambda r: r.code) if areas is not None else None
    new_codes = [r.code for r in new_regions] if new_regions is not None else old_codes
    if (new_role, new_codes) != (user.role, old_codes):
        _not_self(admin, user, _("mengubah peran atau wilayah"))
        _check_grant(admin, role=new_role, codes=new_codes)
        if new_role == Role.FACILITATOR and not new_codes:
            reason = _("Pendamping harus punya wilayah tugas.")
            raise ValidationFailed(reason, fields={"areas": [reason]})
        _ensure_an_admin_remains(user, role=new_role, codes=new_codes)
    before = {"name": user.name, "phone": user.phone, "email": user.email, "role": user.role, "areas": old_codes}
    user.name = (_text(name, "name", 150) or user.username) if name is not None else user.name
    user.phone = _text(phone, "phone", 20) if phone is not None else user.phone
    user.email = _email(email) if email is not None else user.email
    user.role = new_role
    after = {"name": user.name, "phone": user.phone, "email": user.email, "role": user.role, "areas": new_codes}
    old, new = diff(before, after)
    if not new:
        return False
    user.save(update_fields=["name", "phone", "email", "role"])
    if new_regions is not None and new_codes != old_codes:
        areas_replace(user, new_regions)
    audit_log(actor=actor, action="user.update", obj=user, before=old, after=new)
    return True


@transaction.atomic
def user_activate(*, actor: Any, user: User, active: bool, comment: str = "") -> bool:
    """Deactivate or reactivate an account (not one's own; not the last admin). A deactivated user
    cannot log in, their sessions end at the next request and their tokens are refused."""
    from jaring.accounts.services import user_set_active

    admin = _actor_user(actor)
    if admin is not None and not manageable(admin, user):
        raise NotFound(_("Pengguna tidak ditemukan."))
    if user.is_active == active:
        return False
    if not active:
        _not_self(admin, user, _("menonaktifkan"))
        _ensure_an_admin_remains(user, active=False)
    else:
        _check_grant(admin, role=user.role, codes=sorted(user.areas.values_list("region__code", flat=True)))
    user_set_active(actor=actor, user=user, active=active, comment=comment)
    return True


def _reset_path(*, actor: Any, user: User, reason: str, comment: str = "") -> str:
    from jaring.accounts.passwords import reset_path

    path = reset_path(user)
    audit_log(actor=actor, action="user.reset_link", obj=user, after=with_comment(
        {"reason": reason, "valid_minutes": settings.JARING_PASSWORD_RESET_MINUTES}, comment))
    return path


@transaction.atomic
def user_reset_password(*, actor: Any, user: User, method: str = "temporary", comment: str = "") -> Credentials:
    """An admin resets a user's password: a temporary password shown once (asked to change at the
    next login), or a one-time link to set a new one. A temporary password ends the user's
    sessions at once; a link leaves the old password working until the link is used."""
    from jaring.accounts.services import user_unlock

    admin = _actor_user(actor)
    if admin is not None and not manageable(admin, user):
        raise NotFound(_("Pengguna tidak ditemukan."))
    if method == "link":
        return Credentials(reset_path=_reset_path(actor=actor, user=user, reason="admin", comment=comment))
    if method != "temporary":
        raise ValidationFailed(_("Cara atur ulang tidak dikenal."), fields={"method": [str(method)[:20]]})
    temp = temporary_password()
    user.set_password(temp)
    user.must_change_password = True
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    audit_log(actor=actor, action="user.reset_password", obj=user,
              after=with_comment({"method": "temporary"}, comment))
    if user.locked_until is not None:
        user_unlock(actor=actor, user=user)
    return Credentials(temporary_password=temp)


@transaction.atomic
def user_revoke_tokens(*, actor: Any, user: User, comment: str = "") -> int:
    """Revoke every live API token of ``user`` (a lost laptop, a leaver). Returns how many."""
    admin = _actor_user(actor)
    if admin is not None and admin.pk != user.pk and not manageable(admin, user):
        raise NotFound(_("Pengguna tidak ditemukan."))
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    prefixes = sorted(live.values_list("prefix", flat=True))
    count = live.update(revoked_at=timezone.now())
    if count:
        audit_log(actor=actor, action="api_token.revoke_all", obj=user,
                  after=with_comment({"revoked": count, "prefixes": prefixes}, comment))
    return count


# --- One's own password ---------------------------------------------------------------------------

@transaction.atomic
def password_set(*, actor: Any, user: User, new: str, action: str) -> None:
    """Store a new password chosen by its user (checked by the validators): a change from the
    account page, or a reset by link. Clears the temporary-password flag and a lock."""
    try:
        validate_password(new, user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), fields={"new_password1": exc.messages}) from exc
    user.set_password(new)
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.locked_until = None
    user.save(update_fields=["password", "must_change_password", "password_changed_at", "locked_until"])
    audit_log(actor=actor, action=action, obj=user)


def password_change(*, actor: User, old: str, new: str) -> None:
    """A signed-in user changes their own password; the old one must be right."""
    if not actor.check_password(old):
        audit_log(actor=actor, action="user.password_change_failed", obj=actor)
        raise ValidationFailed(_("Kata sandi lama salah."), fields={"old_password": [_("Kata sandi lama salah.")]})
    if old == new:
        raise ValidationFailed(_("Kata sandi baru harus berbeda dari yang lama."),
                               fields={"new_password1": [_("Kata sandi baru harus berbeda dari yang lama.")]})
    password_set(actor=actor, user=actor, new=new, action="user.password_change")
