from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils import timezone

from jaring.accounts.models import User
from jaring.accounts.services import login_failed, login_succeeded


class LockoutBackend(ModelBackend):
    """Password login that refuses a locked account, even with the right password."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> User | None:
        if not username or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.locked_until and user.locked_until > timezone.now():
            if request is not None:
                request.jaring_locked = True  # type: ignore[attr-defined]
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            login_succeeded(user=user)
            return user
        login_failed(user=user)
        return None
