from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import check_password, make_password
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import get_random_string

from jaring.accounts.models import User
from jaring.accounts.selectors import login_block
from jaring.accounts.services import (
    login_failed,
    login_succeeded,
    login_throttle_keys,
    login_throttled,
    user_password_rehash,
)

_dummy_hash: dict[str, str] = {}


def _dummy_password_hash() -> str:
    """A hash of a random password made by the preferred hasher: checking a password against it
    costs what checking a real account's does."""
    from django.contrib.auth.hashers import get_hasher

    algorithm = str(get_hasher().algorithm)
    if algorithm not in _dummy_hash:
        _dummy_hash[algorithm] = make_password(get_random_string(32))
    return _dummy_hash[algorithm]


def client_ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


class LockoutBackend(ModelBackend):
    """Password login with throttling that cannot be turned against the real user.

    Every attempt does the same work whatever the outcome: one user lookup, one password hash
    (against the account's hash, or a dummy one for an unknown username), and a refusal that
    looks the same for an unknown user, a wrong password, an inactive account and a blocked one.
    """

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        ip = client_ip(request)
        user = User.objects.filter(username=username).first()
        block = login_block(keys=login_throttle_keys(username=username, ip=ip))
        if block is None and user is not None and user.locked_until and user.locked_until > timezone.now():
            block = ("account", user.locked_until)

        def upgrade(raw: str) -> None:  # a hash from an older hasher is replaced on success
            user_password_rehash(actor=user, raw=raw)  # type: ignore[arg-type]

        encoded = user.password if user is not None else _dummy_password_hash()
        password_ok = check_password(password, encoded, setter=None if block else upgrade)

        if block is not None:
            login_throttled(user=user, scope=block[0], until=block[1])
            return None
        if user is not None and password_ok and self.user_can_authenticate(user):
            login_succeeded(user=user, username=username, ip=ip)
            return user
        login_failed(user=user, username=username, ip=ip)
        return None
